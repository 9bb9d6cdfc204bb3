"""The dashboard: the coming week, what failed, channels to re-authorise, silent communes."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import redirect, render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from content_library.db import utcnow
from content_library.models import ContentItem, Drive
from publisher.db import db
from publisher.delivery.channels import health
from publisher.delivery.models import PENDING_STATUSES, Channel, Publication
from publisher.loudspeaker.airings import airings
from publisher.organisations.web import scoped
from publisher.times import LOCAL_TZ
from publisher.ui.blueprint import current_user, operator_home, require, ui

TOKEN_WARNING = timedelta(days=14)
ATTENTION_STATUSES = ("failed", "unconfirmed", "expired")


@ui.get("/")
@require()
def dashboard() -> str | Response:
    user = current_user()
    assert user is not None
    if user.role == "operator":
        return redirect(operator_home(user))
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    week_end = now + timedelta(days=7)
    upcoming = list(
        db.session.scalars(
            scoped(
                select(Publication)
                .where(
                    Publication.status.in_(PENDING_STATUSES),
                    Publication.scheduled_at >= now - timedelta(hours=1),
                    Publication.scheduled_at < week_end,
                )
                .options(selectinload(Publication.channel), selectinload(Publication.version))
                .order_by(Publication.scheduled_at)
                .limit(30),
                Publication,
            )
        )
    )
    drives = list(
        db.session.scalars(
            select(Drive)
            .where(Drive.starts_at < week_end, Drive.ends_at >= now, Drive.status != "cancelled")
            .order_by(Drive.starts_at)
            .limit(20)
        )
    )
    failures = list(
        db.session.scalars(
            scoped(
                select(Publication)
                .where(
                    Publication.status.in_(ATTENTION_STATUSES),
                    Publication.updated_at >= now - timedelta(days=14),
                )
                .options(selectinload(Publication.channel), selectinload(Publication.version))
                .order_by(Publication.updated_at.desc())
                .limit(20),
                Publication,
            )
        )
    )
    channels = [
        (channel, health(channel, now))
        for channel in db.session.scalars(
            scoped(
                select(Channel)
                .where(
                    or_(
                        Channel.health_status.in_(("needs_attention", "expiring")),
                        Channel.token_expires_at < now + TOKEN_WARNING,
                    )
                )
                .order_by(Channel.name),
                Channel,
            )
        )
    ]
    silent = [a for a in airings(db.session, today - timedelta(days=6), today) if a.unconfirmed]
    waiting = db.session.scalar(
        select(ContentItem.id).where(ContentItem.status == "in_review").limit(1)
    )
    return render_template(
        "ui/dashboard.html",
        upcoming=upcoming,
        drives=drives,
        failures=failures,
        channels=channels,
        silent=silent,
        has_waiting=waiting is not None,
        now=now,
        token_deadline=now + TOKEN_WARNING,
        greeting=_greeting(now),
    )


def _greeting(now: datetime) -> str:
    hour = now.astimezone(LOCAL_TZ).hour
    if hour < 11:
        return "Chào buổi sáng"
    if hour < 14:
        return "Chào buổi trưa"
    if hour < 18:
        return "Chào buổi chiều"
    return "Chào buổi tối"
