"""Keeping donations no longer than they serve: commendation counts recent donations only.

``purge(older_than_years=N)`` deletes the donations made before the same day N years ago,
and erases donors left with none. Each donor touched gets an audit entry by the system
actor (ids and counts only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.audit import record
from publisher.donors.models import Donation, Donor
from publisher.donors.register import ENTITY, erase_donor
from publisher.organisations.guidance import local_today


@dataclass(frozen=True)
class PurgeResult:
    cutoff: date
    donations: int
    donors_erased: int
    donors_kept: int


def cutoff_for(years: int, today: date) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge(
    session: Session, older_than_years: int, *, today: date | None = None, dry_run: bool = False
) -> PurgeResult:
    """Delete donations older than the cutoff (the caller commits)."""
    if older_than_years < 1:
        raise ValueError("older_than_years must be at least 1")
    cutoff = cutoff_for(older_than_years, today or local_today())
    old = session.scalars(select(Donation).where(Donation.donated_on < cutoff)).all()
    by_donor: dict[int, list[Donation]] = {}
    for donation in old:
        by_donor.setdefault(donation.donor_id, []).append(donation)
    erased = kept = 0
    for donor_id, donations in sorted(by_donor.items()):
        donor = session.get(Donor, donor_id)
        if donor is None:
            continue
        if len(donations) == len(donor.donations):
            erased += 1
            if not dry_run:
                erase_donor(session, None, donor, reason="retention")
            continue
        kept += 1
        if not dry_run:
            for donation in donations:
                donor.donations.remove(donation)
            session.flush()
            record(
                session,
                None,
                "update",
                ENTITY,
                donor.id,
                donor.organisation_id,
                {"fields": ["donations"], "purged": len(donations), "reason": "retention"},
            )
    return PurgeResult(cutoff, len(old), erased, kept)
