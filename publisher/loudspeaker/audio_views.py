"""Serving rendered audio: the day's MP3 and package, and each item's MP3 for the players.

Nothing here renders: the worker does (``audio_renders``). A file not rendered yet is
queued and answered with 503 and ``Retry-After`` (not 202: a GET that succeeds later at
the same address is what phones, download managers and platforms retry on their own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from sqlalchemy.orm import Session

from channels.loudspeaker import Bulletin
from publisher.errors import ApiError
from publisher.loudspeaker.audio_renders import (
    RETRY_AFTER,
    bulletin_key,
    cached,
    cached_keys,
    item_key,
    queue_day_audio,
)

ITEM_KEY = re.compile(r"[0-9a-f]{64}")


def _not_ready(bulletin: Bulletin) -> ApiError:
    queue_day_audio(bulletin.day, [bulletin.commune_code])
    return ApiError(
        503,
        "Bản tin âm thanh đang được tạo, vui lòng thử lại sau ít phút "
        "/ the audio is being rendered, retry shortly",
        headers={"Retry-After": str(RETRY_AFTER)},
    )


def bulletin_audio(session: Session, bulletin: Bulletin, fmt: str) -> tuple[bytes, str, str]:
    """(body, mime, etag) of the day's MP3 or zip; raises 404 (nothing to air) or 503."""
    if bulletin.is_empty:
        raise ApiError(
            404, "Ngày này không có tin nào để phát / no items to air that day, so no audio"
        )
    key = bulletin_key(bulletin, fmt)
    render = cached(session, key)
    if render is None:
        raise _not_ready(bulletin)
    return render.data, render.mime, key[:32]


def item_audio(session: Session, key: str) -> tuple[bytes, str]:
    """(body, etag) of one item's MP3 by its content hash."""
    render = cached(session, key) if ITEM_KEY.fullmatch(key) else None
    if render is None or render.kind != "item":
        raise ApiError(404, "Không có tệp âm thanh này / no such audio")
    return render.data, key[:32]


@dataclass(frozen=True)
class Player:
    """What the operator page shows for an item: its audio (when rendered), who reads it."""

    url: str | None
    recorded: bool
    seconds: int


def players(session: Session, bulletin: Bulletin) -> dict[int, Player]:
    """Each item's player by publication id; asks for rendering when any file is missing."""
    entries = [entry for slot in bulletin.slots for entry in slot.entries]
    keys = {entry.item.publication_id: item_key(entry.item) for entry in entries}
    have = cached_keys(session, keys.values()) if keys else set()
    if len(have) < len(set(keys.values())):
        queue_day_audio(bulletin.day, [bulletin.commune_code])
    return {
        entry.item.publication_id: Player(
            url=url_for("loudspeaker.item_audio_file", key=keys[entry.item.publication_id])
            if keys[entry.item.publication_id] in have
            else None,
            recorded=entry.item.recording_sha256 is not None,
            seconds=entry.seconds_once,
        )
        for entry in entries
    }
