"""Which commune was due to air which loudspeaker item on which day, and whether it confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.loudspeaker import LoudspeakerAdapter
from content_library.models import Commune
from publisher.delivery.models import Channel, Publication
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.times import LOCAL_TZ


@dataclass
class CommuneAirings:
    """One commune's due airings in a period: how many, how many confirmed, what is missing."""

    code: str
    name: str
    due: int = 0
    confirmed: int = 0
    missing: list[tuple[date, int]] = field(default_factory=list)

    @property
    def unconfirmed(self) -> int:
        return self.due - self.confirmed


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(0), LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), LOCAL_TZ)
    return start, end


def airings(session: Session, first: date, last: date) -> list[CommuneAirings]:
    """Delivered loudspeaker items with an air day in ``first..last`` (local), per commune.

    An item airs in every commune its channel serves, on the local day it is scheduled for;
    an operator confirms it with a :class:`BroadcastConfirmation` for that commune and day.
    """
    start, end = _day_bounds(first, last)
    rows = session.execute(
        select(Publication.id, Publication.scheduled_at, Channel.settings)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(
            Channel.kind == LoudspeakerAdapter.kind,
            Publication.status == "published",
            Publication.scheduled_at >= start,
            Publication.scheduled_at < end,
        )
    ).all()
    confirmed = set(
        session.execute(
            select(
                BroadcastConfirmation.commune_code,
                BroadcastConfirmation.air_date,
                BroadcastConfirmation.publication_id,
            ).where(BroadcastConfirmation.air_date >= first, BroadcastConfirmation.air_date <= last)
        ).all()
    )
    per_commune: dict[str, CommuneAirings] = {}
    names = dict(session.execute(select(Commune.code, Commune.kind + " " + Commune.name)).all())
    for pub_id, scheduled_at, settings in rows:
        air_day = scheduled_at.astimezone(LOCAL_TZ).date()
        for code in (settings or {}).get("commune_codes", []):
            entry = per_commune.setdefault(code, CommuneAirings(code, names.get(code, code)))
            entry.due += 1
            if (code, air_day, pub_id) in confirmed:
                entry.confirmed += 1
            else:
                entry.missing.append((air_day, pub_id))
    return sorted(per_commune.values(), key=lambda a: (-a.unconfirmed, a.name))
