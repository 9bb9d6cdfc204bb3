"""Row factories for tests: approved content, channels, publications."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from content_library.db import utcnow
from content_library.services import approve, create_content, submit
from publisher.auth.services import create_user
from publisher.delivery.channels import create_channel
from publisher.delivery.publications import schedule

_counter = iter(range(1, 1_000_000))


def approved_content(
    session,
    *,
    kind: str = "article",
    title: str = "Hiến máu cứu người",
    body: str = "Mỗi giọt máu cho đi, một cuộc đời ở lại.",
    **kw: Any,
):
    n = next(_counter)
    author = create_user(session, f"author-{n}", "editor")
    approver = create_user(session, f"approver-{n}", "approver")
    item = create_content(session, kind=kind, title=title, body=body, author_id=author.id, **kw)
    submit(item, author.id)
    approve(session, item, approver.id)
    session.flush()
    return item


def webhook_channel(session, url: str, secret: str = "receiver-secret-0123456789", **kw: Any):
    from flask import current_app

    return create_channel(
        session,
        kind="webhook",
        slug=f"hook-{next(_counter)}",
        name="Đối tác",
        settings={"url": url, "secret": secret},
        secret_key=current_app.config["SETTINGS"].SECRET_KEY,
        **kw,
    )


def due_publication(
    session,
    item,
    channel,
    *,
    at: datetime | None = None,
    expires_at: datetime | None = None,
    **kw: Any,
):
    return schedule(
        session,
        content_id=item.id,
        channel_id=channel.id,
        scheduled_at=at or utcnow() - timedelta(seconds=1),
        expires_at=expires_at,
        **kw,
    )
