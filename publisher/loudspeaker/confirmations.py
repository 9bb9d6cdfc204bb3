"""Broadcast confirmations ("Đã phát") and the report of which communes confirmed what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.loudspeaker import SLOTS, BulletinItem
from content_library.db import utcnow
from content_library.models import Commune
from publisher.loudspeaker.bulletins import (
    communes_by_code,
    items_by_commune,
    items_for,
    local_today,
)
from publisher.loudspeaker.models import BroadcastConfirmation

SLOT_NAMES = {"morning": "buổi sáng", "evening": "buổi chiều"}


class ConfirmationInvalid(ValueError):
    """The confirmation names something that is not in the commune's bulletin; per-field errors."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation request left in the database."""

    commune_code: str
    day: date
    publication_ids: tuple[int, ...]
    confirmed_at: datetime
    confirmed_by: int | None
    note: str
    created: int  # rows added by this request (0: everything was confirmed already)


@dataclass(frozen=True)
class ReportItem:
    publication_id: int
    title: str
    slot: str
    confirmed_at: datetime | None


@dataclass(frozen=True)
class CommuneReport:
    commune_code: str
    commune_name: str
    items: tuple[ReportItem, ...]

    @property
    def confirmed_count(self) -> int:
        return sum(1 for item in self.items if item.confirmed_at is not None)


def _existing(
    session: Session, commune_code: str, day: date, ids: Iterable[int]
) -> dict[int, BroadcastConfirmation]:
    rows = session.scalars(
        select(BroadcastConfirmation).where(
            BroadcastConfirmation.commune_code == commune_code,
            BroadcastConfirmation.air_date == day,
            BroadcastConfirmation.publication_id.in_(list(ids)),
        )
    )
    return {row.publication_id: row for row in rows}


def confirm_broadcast(
    session: Session,
    *,
    commune_code: str,
    day: date,
    publication_ids: Sequence[int],
    user_id: int | None,
    note: str = "",
    slot: str | None = None,
    now: datetime | None = None,
) -> Confirmation:
    """Record that the commune aired these items of its bulletin that day; idempotent.

    An item confirmed before keeps its first confirmation (time, person, note). The caller
    authorises and commits.
    """
    now = now or utcnow()
    ids = tuple(dict.fromkeys(publication_ids))
    if session.get(Commune, commune_code) is None:
        raise ConfirmationInvalid({"commune_code": "unknown commune / không có xã, phường này"})
    if day > local_today(now):
        raise ConfirmationInvalid(
            {"date": "cannot confirm a broadcast before its day / chưa đến ngày phát"}
        )
    if not ids:
        raise ConfirmationInvalid(
            {"publication_ids": "name at least one item / chọn ít nhất một tin"}
        )
    items = {item.publication_id: item for item in items_for(session, commune_code, day)}
    errors = {}
    absent = [str(i) for i in ids if i not in items]
    if absent:
        errors["publication_ids"] = (
            f"not in the commune's bulletin for {day.isoformat()}: {', '.join(absent)} "
            "/ không có trong bản tin của xã ngày này"
        )
    if slot is not None:
        elsewhere = [str(i) for i in ids if i in items and items[i].slot != slot]
        if elsewhere:
            errors["slot"] = (
                f"not read in the {slot} session: {', '.join(elsewhere)} "
                f"/ không thuộc {SLOT_NAMES.get(slot, slot)}"
            )
    if errors:
        raise ConfirmationInvalid(errors)
    created = _insert_missing(session, commune_code, day, ids, items, user_id, note, now)
    rows = _existing(session, commune_code, day, ids)
    latest = max(rows.values(), key=lambda row: (row.confirmed_at, row.id))
    return Confirmation(
        commune_code, day, ids, latest.confirmed_at, latest.confirmed_by, latest.note or "", created
    )


def _insert_missing(
    session: Session,
    commune_code: str,
    day: date,
    ids: tuple[int, ...],
    items: dict[int, BulletinItem],
    user_id: int | None,
    note: str,
    now: datetime,
) -> int:
    existing = _existing(session, commune_code, day, ids)
    missing = [i for i in ids if i not in existing]
    for publication_id in missing:
        session.add(
            BroadcastConfirmation(
                commune_code=commune_code,
                air_date=day,
                publication_id=publication_id,
                confirmed_by=user_id,
                confirmed_at=now,
                note=note or "",
                slot=items[publication_id].slot,
            )
        )
    try:
        session.flush()
    except IntegrityError:
        # Another request (a double tap on a slow connection) confirmed the same items
        # first: theirs stand, which is what an idempotent confirmation means.
        session.rollback()
        return 0
    return len(missing)


def confirmed_items(
    session: Session, commune_code: str, day: date
) -> dict[int, BroadcastConfirmation]:
    """The commune's confirmations for a day, by publication id."""
    rows = session.scalars(
        select(BroadcastConfirmation).where(
            BroadcastConfirmation.commune_code == commune_code,
            BroadcastConfirmation.air_date == day,
        )
    )
    return {row.publication_id: row for row in rows}


def confirmation_report(
    session: Session, day: date, commune_codes: Iterable[str] | None = None
) -> list[CommuneReport]:
    """Per commune with items that day (or each commune asked for): its items, which confirmed.

    Confirmations of items no longer in the bulletin (withdrawn before airing) are not shown.
    """
    wanted = None if commune_codes is None else sorted(set(commune_codes))
    items = items_by_commune(session, day, wanted)
    codes = wanted if wanted is not None else sorted(items)
    if not codes:
        return []
    names = {code: c.name for code, c in communes_by_code(session, codes).items()}
    stmt = select(BroadcastConfirmation).where(BroadcastConfirmation.air_date == day)
    if wanted is not None and len(wanted) == 1:
        stmt = stmt.where(BroadcastConfirmation.commune_code == wanted[0])
    confirmed: dict[tuple[str, int], datetime] = {
        (row.commune_code, row.publication_id): row.confirmed_at for row in session.scalars(stmt)
    }
    return [
        CommuneReport(
            commune_code=code,
            commune_name=names.get(code, code),
            items=tuple(
                ReportItem(
                    item.publication_id,
                    item.title,
                    item.slot,
                    confirmed.get((code, item.publication_id)),
                )
                # Stable sort: reading order (priority, time) within each session.
                for item in sorted(items.get(code, ()), key=lambda i: SLOTS.index(i.slot))
            ),
        )
        for code in codes
        if code in names
    ]
