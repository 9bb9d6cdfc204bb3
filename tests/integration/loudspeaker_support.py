"""Rows for the loudspeaker tests: channels covering communes, released items, local times."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from content_library.db import utcnow
from publisher.delivery.channels import create_channel
from publisher.delivery.models import Channel, Publication
from publisher.delivery.publications import schedule
from tests.factories import approved_content

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
TAN_PHONG = "03408"  # phường Tân Phong (the default operator commune of make_user)
DOAN_KET = "03388"  # phường Đoàn Kết
MUONG_KIM = "03637"
DAY = date(2030, 6, 14)  # far ahead: the worker compares deadlines with the real clock

_counter = iter(range(1, 1_000_000))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware local (UTC+7) time on ``day``."""
    return datetime.combine(day, time(hour, minute), LOCAL)


def loudspeaker_channel(
    session, codes: list[str], slots: dict[str, str] | None = None, **kw: Any
) -> Channel:
    settings: dict[str, Any] = {"commune_codes": codes}
    if slots:
        settings["slots"] = slots
    return create_channel(
        session,
        kind="loudspeaker",
        slug=f"loa-{next(_counter)}",
        name="Loa truyền thanh",
        settings=settings,
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
        **kw,
    )


def scheduled(
    session,
    channel: Channel,
    at: datetime,
    *,
    title: str = "Thông báo hiến máu",
    body: str = "Mời bà con đến hiến máu.",
    content: Any = None,
    **kw: Any,
) -> Publication:
    """A scheduled loudspeaker publication of a new approved item (or of ``content``)."""
    item = content or approved_content(
        session,
        kind="script",
        title=title,
        body=body,
        **{k: kw.pop(k) for k in ("reading_text", "variants") if k in kw},
    )
    return schedule(
        session,
        content_id=item.id,
        channel_id=channel.id,
        scheduled_at=at,
        release_hour=current_app.config["SETTINGS"].BULLETIN_RELEASE_HOUR,
        **kw,
    )


def released(session, channel: Channel, at: datetime, **kw: Any) -> Publication:
    """A publication already released into bulletins (as the worker leaves it)."""
    pub = scheduled(session, channel, at, **kw)
    pub.status = "published"
    pub.published_at = utcnow()
    pub.external_id = f"loudspeaker-{pub.id}"
    session.flush()
    return pub


def login(client, user_id: int) -> None:
    """Sign the test client in as the UI's login page does (a server-side session)."""
    from tests.integration.ui_support import open_session

    open_session(client, user_id)
