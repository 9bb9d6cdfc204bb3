"""Rendered audio: MP3 bulletins, item MP3s and platform packages, made in the worker.

Why in the worker: synthesis and encoding cost about a second per commune-day, and the
addresses are public, so a request must never start that work itself. When a loudspeaker
item is released (the worker's delivery of it), the day's audio of the channel's communes
is queued (``queue_day_audio``) on the maintenance queue. Requests serve the stored file
by its content hash; if it is not there yet (a withdrawal changed the bulletin, Redis
lost the job) they queue the work and answer 503 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channels.loudspeaker.bulletin import Bulletin, BulletinItem
from jobqueue.connection import get_queue
from publisher.db import db
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.bulletins import (
    LOCAL,
    bulletins_for_day,
    commune_codes_of,
    local_today,
)
from publisher.loudspeaker.models import AudioRender
from publisher.loudspeaker.recordings import recording_data

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from channels.loudspeaker.audio_mp3 import AudioRenderer

# Bump when the audio changes for the same words (voice, pauses, encoder settings).
AUDIO_VERSION = "1"
MIME = {"mp3": "audio/mpeg", "zip": "application/zip", "item": "audio/mpeg"}
JOB = "publisher.loudspeaker.audio_renders.render_day_audio"
RETRY_AFTER = 30
# Rendered files are kept this long after their day (items: after they were made); an
# older day asked for again is rendered anew. Without it a province's MP3s would grow the
# database by tens of gigabytes a year.
KEEP_DAYS = 14


def _digest(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, default=str).encode()).hexdigest()


def _item_payload(item: BulletinItem) -> list:
    return [
        item.title,
        item.recording_sha256 or item.reading_text,
        item.priority,
        item.slot,
        item.repeats,
        item.valid_until,
    ]


def bulletin_key(bulletin: Bulletin, kind: str) -> str:
    """The content hash of what the file says: words, recordings, order, repeats, tags."""
    slots = [
        [
            slot.slot,
            slot.name,
            slot.time,
            slot.opening,
            slot.empty_notice,
            slot.closing,
            [_item_payload(entry.item) for entry in slot.entries],
        ]
        for slot in bulletin.slots
    ]
    head = [AUDIO_VERSION, kind, bulletin.commune_code, bulletin.day, bulletin.title]
    return _digest([*head, bulletin.issuer, *slots])


def item_key(item: BulletinItem) -> str:
    """The content hash of one item read once (shared by every commune that reads it)."""
    return _digest(
        [
            AUDIO_VERSION,
            "item",
            item.title,
            item.recording_sha256 or item.reading_text,
            item.scheduled_at.date(),
        ]
    )


def cached(session: Session, key: str) -> AudioRender | None:
    return session.get(AudioRender, key)


def cached_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    return set(session.scalars(select(AudioRender.key).where(AudioRender.key.in_(wanted))))


def _store(
    session: Session,
    key: str,
    kind: str,
    data: bytes,
    seconds: float,
    commune_code: str | None = None,
    day: date | None = None,
) -> None:
    if commune_code is not None:
        # The commune-day's earlier renders describe a bulletin that no longer is.
        session.execute(
            delete(AudioRender).where(
                AudioRender.commune_code == commune_code,
                AudioRender.air_date == day,
                AudioRender.kind == kind,
                AudioRender.key != key,
            )
        )
    if session.get(AudioRender, key) is None:
        session.add(
            AudioRender(
                key=key,
                kind=kind,
                commune_code=commune_code,
                air_date=day,
                mime=MIME[kind],
                bytes=len(data),
                seconds=round(seconds, 2),
                data=data,
            )
        )


@dataclass
class RenderReport:
    """What one run rendered (files already stored are skipped)."""

    bulletins: int = 0
    packages: int = 0
    items: int = 0
    skipped: int = 0
    bytes: int = 0
    seconds: float = 0.0
    keys: list[str] = field(default_factory=list)


def render_bulletins(
    session: Session,
    bulletins: Iterable[Bulletin],
    renderer: AudioRenderer | None = None,
) -> RenderReport:
    """Store each bulletin's MP3, package and item MP3s unless stored already; commits each."""
    # Imported here: numpy and the encoder are the worker's, not every app's (dispatcher, CLI).
    from channels.loudspeaker.audio_mp3 import AudioRenderer
    from channels.loudspeaker.audio_package import build_package

    renderer = renderer or AudioRenderer()
    report = RenderReport()
    for bulletin in bulletins:
        if bulletin.is_empty:
            continue
        items = [entry.item for slot in bulletin.slots for entry in slot.entries]
        shas = [item.recording_sha256 for item in items if item.recording_sha256]
        recordings = recording_data(session, shas) if shas else {}
        mp3_key, zip_key = bulletin_key(bulletin, "mp3"), bulletin_key(bulletin, "zip")
        have = cached_keys(session, [mp3_key, zip_key, *map(item_key, items)])
        if mp3_key not in have:
            audio = renderer.bulletin(bulletin, recordings)
            _store(session, mp3_key, "mp3", audio.data, audio.seconds, bulletin.commune_code,
                   bulletin.day)  # fmt: skip
            report.bulletins += 1
            report.bytes += len(audio.data)
            report.seconds += audio.seconds
        else:
            report.skipped += 1
        if zip_key not in have:
            package = build_package(bulletin, recordings, renderer)
            _store(session, zip_key, "zip", package, 0.0, bulletin.commune_code, bulletin.day)
            report.packages += 1
        for item in items:
            key = item_key(item)
            if key not in have:
                audio = renderer.item(item, recordings).audio
                _store(session, key, "item", audio.data, audio.seconds)
                have.add(key)
                report.items += 1
        report.keys.append(mp3_key)
        session.commit()
    return report


def prune_renders(session: Session, today: date) -> int:
    """Delete renders of days (and items made) more than ``KEEP_DAYS`` ago; commits."""
    cutoff = today - timedelta(days=KEEP_DAYS)
    old_days = delete(AudioRender).where(AudioRender.air_date < cutoff)
    made_long_ago = datetime.combine(cutoff, time(0), LOCAL)
    old_items = delete(AudioRender).where(
        AudioRender.kind == "item", AudioRender.created_at < made_long_ago
    )
    removed = session.execute(old_days).rowcount + session.execute(old_items).rowcount
    session.commit()
    return removed


def render_day_audio(day_iso: str, commune_codes: list[str] | None = None) -> str:
    """The job: render the day's audio for these communes (default: all). Safe to run twice."""
    day = date.fromisoformat(day_iso)
    prune_renders(db.session, local_today())
    bulletins = bulletins_for_day(db.session, day, commune_codes).values()
    report = render_bulletins(db.session, bulletins)
    log.info(
        "audio for %s: %d bulletins, %d packages, %d items rendered, %d already stored",
        day_iso,
        report.bulletins,
        report.packages,
        report.items,
        report.skipped,
    )
    return "rendered"


def queue_day_audio(day: date, commune_codes: Iterable[str]) -> bool:
    """Queue the day's audio for these communes; False when the queue cannot be reached."""
    codes = sorted(set(commune_codes))
    job_id = f"audio-{day.isoformat()}-{_digest(codes)[:16]}"
    try:
        get_queue().enqueue_once(JOB, day.isoformat(), codes, job_id=job_id, queue="maintenance")
    except RedisError:
        # The request path queues it again when someone asks for the file.
        log.warning("could not queue the audio of %s", day, exc_info=True)
        return False
    return True


def on_published(sender: Flask, publication_id: int, kind: str, **_: object) -> None:
    """After a loudspeaker item is released, queue its day's audio for the channel's communes."""
    if kind != "loudspeaker":
        return
    session = db.session
    pub = session.get(Publication, publication_id)
    channel = session.get(Channel, pub.channel_id) if pub else None
    if pub is None or channel is None:
        return
    day = pub.scheduled_at.astimezone(LOCAL).date()
    if day < local_today():
        return
    codes = commune_codes_of(channel)
    session.commit()  # end the read transaction before the job runs (embedded mode: inline)
    if codes:
        queue_day_audio(day, codes)
