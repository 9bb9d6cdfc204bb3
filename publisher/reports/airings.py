"""Loudspeaker figures: items aired per commune against those scheduled, from confirmations.

"Scheduled" is what the commune's bulletins carried: items released (status
``published``) on channels of kinds delivered in daily sessions, for a local air day
in the period, once for every commune the channel serves. "Aired" is the part of those
an operator confirmed for that commune and day (``BroadcastConfirmation``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import registry
from content_library.models import Commune, ContentVersion, Drive
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.planning.vietnamese_dates import LOCAL_TZ
from publisher.reports.scope import ReportQuery, Scope, apply


def _commune_codes(settings: dict[str, Any] | None) -> list[str]:
    codes = (settings or {}).get("commune_codes") or ()
    return sorted({c.strip() for c in codes if isinstance(c, str) and c.strip()})


def airings_section(session: Session, query: ReportQuery, scope: Scope | None) -> dict[str, Any]:
    """Per commune: items scheduled and aired in the period; the communes that aired none."""
    start, end = query.bounds()
    stmt = (
        select(
            Publication.id,
            Publication.scheduled_at,
            Channel.settings,
            ContentVersion.title,
            ContentVersion.campaign_id,
            Publication.drive_id,
        )
        .join(Channel, Channel.id == Publication.channel_id)
        .join(ContentVersion, ContentVersion.id == Publication.version_id)
        .where(
            Channel.kind.in_(registry.kinds_where("scheduled_in_slots")),
            Publication.status == "published",
            Publication.scheduled_at >= start,
            Publication.scheduled_at < end,
        )
        .order_by(Publication.scheduled_at, Publication.id)
    )
    rows = session.execute(apply(stmt, scope)).all()
    if query.campaign_id is not None:
        drive_campaigns = dict(
            session.execute(
                select(Drive.id, Drive.campaign_id).where(
                    Drive.id.in_({r.drive_id for r in rows if r.drive_id})
                )
            ).all()
        )
        rows = [
            r for r in rows if query.campaign_id in (r.campaign_id, drive_campaigns.get(r.drive_id))
        ]
    confirmed: dict[tuple[str, date, int], Any] = {
        (c.commune_code, c.air_date, c.publication_id): c.confirmed_at
        for c in session.scalars(
            select(BroadcastConfirmation).where(
                BroadcastConfirmation.air_date >= query.first,
                BroadcastConfirmation.air_date <= query.last,
            )
        )
    }
    names = {c.code: c.full_name for c in session.scalars(select(Commune))}
    per_commune: dict[str, dict[str, Any]] = {}
    items = []
    for row in rows:
        air_day = row.scheduled_at.astimezone(LOCAL_TZ).date()
        for code in _commune_codes(row.settings):
            entry = per_commune.setdefault(
                code,
                {"commune_code": code, "name": names.get(code, code), "scheduled": 0, "aired": 0},
            )
            confirmed_at = confirmed.get((code, air_day, row.id))
            entry["scheduled"] += 1
            entry["aired"] += int(confirmed_at is not None)
            items.append(
                {
                    "publication_id": row.id,
                    "title": row.title,
                    "commune_code": code,
                    "commune": names.get(code, code),
                    "air_date": air_day.isoformat(),
                    "confirmed_at": (
                        None
                        if confirmed_at is None
                        else confirmed_at.astimezone(LOCAL_TZ).isoformat()
                    ),
                }
            )
    communes = sorted(per_commune.values(), key=lambda e: (e["name"], e["commune_code"]))
    for entry in communes:
        entry["not_aired"] = entry["scheduled"] - entry["aired"]
    return {
        "scheduled": sum(e["scheduled"] for e in communes),
        "aired": sum(e["aired"] for e in communes),
        "communes": communes,
        "silent": [
            {"commune_code": e["commune_code"], "name": e["name"], "scheduled": e["scheduled"]}
            for e in communes
            if e["aired"] == 0
        ],
        "items": items,
    }
