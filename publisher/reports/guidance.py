"""Guidance coverage per unit for the results report: what the department asked for in the
period, and whether each unit it was sent to did it.

The status of each unit is the organisations package's own rule
(:func:`publisher.organisations.guidance.coverage`): the report only counts its answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.organisations.guidance import COVERAGE_STATUSES, coverage
from publisher.organisations.models import Guidance, GuidanceTarget, Organisation
from publisher.organisations.visibility import unit_of
from publisher.reports.scope import ReportQuery


def guidance_section(
    session: Session, query: ReportQuery, today: date | None = None
) -> dict[str, Any]:
    """Guidance due in the period (and of the campaign, when one is asked for), one row per
    unit it was sent to (only the asked unit when the report is a unit's), and how many
    units are at each status.

    The department's own report lists every unit: the guidance is the department's.
    """
    only = unit_of(session, query.organisation_id)
    stmt = (
        select(Guidance)
        .where(Guidance.due_on >= query.first, Guidance.due_on <= query.last)
        .order_by(Guidance.due_on, Guidance.id)
    )
    if query.campaign_id is not None:
        stmt = stmt.where(Guidance.campaign_id == query.campaign_id)
    if only is not None:
        stmt = stmt.where(
            Guidance.id.in_(
                select(GuidanceTarget.guidance_id).where(GuidanceTarget.organisation_id == only)
            )
        )
    items: list[dict[str, Any]] = []
    names: dict[int, str] = {}
    for guidance in session.scalars(stmt):
        for row in coverage(session, guidance, only=only, today=today):
            if row.organisation_id not in names:
                org = session.get(Organisation, row.organisation_id)
                names[row.organisation_id] = org.name if org is not None else ""
            items.append(
                {
                    "guidance_id": guidance.id,
                    "title": guidance.title,
                    "due_on": guidance.due_on.isoformat(),
                    "organisation_id": row.organisation_id,
                    "organisation": names[row.organisation_id],
                    "status": row.status,
                    "publications": len(row.publication_ids),
                    "evidence": len(row.evidence),
                }
            )
    return {
        "total": len({item["guidance_id"] for item in items}),
        "units": len(items),
        "totals": {
            status: sum(1 for item in items if item["status"] == status)
            for status in COVERAGE_STATUSES
        },
        "items": items,
    }
