"""What a results report covers: a period, a campaign, an organisation.

Organisations (units such as a commune or the press office) are wired in elsewhere;
this module is the one place that knows how a unit's rows are told apart, so that the
figures stay the same code with or without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select

from publisher.delivery.models import Channel
from publisher.planning.vietnamese_dates import LOCAL_TZ

# A where-clause hook applied to every publications query of the report (each joins
# ``channels``): it narrows the figures to one organisation's rows.
Scope = Callable[[Select[Any]], Select[Any]]

# The longest period one report covers: a year and a little (a year across a leap day).
MAX_DAYS = 400


@dataclass(frozen=True)
class ReportQuery:
    """The report's question: local days ``first``..``last``, optionally one campaign and unit."""

    first: date
    last: date
    campaign_id: int | None = None
    organisation_id: int | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        """The local days as a half-open UTC interval."""
        start = datetime.combine(self.first, time(0), LOCAL_TZ)
        end = datetime.combine(self.last + timedelta(days=1), time(0), LOCAL_TZ)
        return start.astimezone(UTC), end.astimezone(UTC)


def organisation_scope(organisation_id: int | None) -> Scope | None:
    """The filter for one organisation's figures, or None when there is none to apply.

    A unit's figures are what went out on its own channels: a unit adopts guidance by
    scheduling the department's content on them. The filter is applied where
    ``Channel.organisation_id`` exists; until the organisations' columns are in the
    schema there is nothing to filter on and the report says ``applied: false``. This
    ``hasattr`` is the only place the report asks whether organisations exist.
    """
    if organisation_id is None or not hasattr(Channel, "organisation_id"):
        return None
    column = Channel.organisation_id

    def narrow(stmt: Select[Any]) -> Select[Any]:
        return stmt.where(column == organisation_id)

    return narrow


def unit_of(user: Any) -> int | None:
    """The organisation a person may see only the figures of; None for the department.

    People of the department (and everyone while organisations do not exist) see every
    unit's figures and may ask for one with ``organisation_id``.
    """
    organisation = getattr(user, "organisation", None)
    if organisation is None or getattr(organisation, "kind", "department") == "department":
        return None
    return getattr(user, "organisation_id", None)


def apply(stmt: Select[Any], scope: Scope | None) -> Select[Any]:
    return stmt if scope is None else scope(stmt)
