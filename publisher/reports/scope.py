"""What a results report covers: a period, a campaign, an organisation.

This module is the one place that knows how a unit's rows are told apart (by the
organisation owning the channel they went out on), so that the figures stay the same
code for the whole province and for one unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from publisher.auth.models import User
from publisher.delivery.models import Channel
from publisher.organisations.models import Organisation
from publisher.organisations.visibility import sees_everything
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


def organisation_scope(session: Session, organisation_id: int | None) -> Scope | None:
    """The filter for one organisation's figures: what went out on its own channels.

    A unit adopts guidance by scheduling the department's content on its channels, so its
    figures are those channels' rows. Channels without an organisation are the
    department's (the rule of :mod:`publisher.organisations.visibility`): the department's
    figures count them too. None when no organisation is asked for (every row counts).
    """
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id)
    column = Channel.organisation_id
    own = column == organisation_id
    condition = or_(own, column.is_(None)) if org is not None and org.kind == "department" else own

    def narrow(stmt: Select[Any]) -> Select[Any]:
        return stmt.where(condition)

    return narrow


def own_unit(session: Session, user: User | None) -> int | None:
    """The organisation a person may see only the figures of; None when they see every unit.

    The department's people, and users without an organisation, see every unit's figures
    and may ask for one with ``organisation_id``; a unit's people see their unit's only.
    """
    if user is None or sees_everything(session, user):
        return None
    return user.organisation_id


def apply(stmt: Select[Any], scope: Scope | None) -> Select[Any]:
    return stmt if scope is None else scope(stmt)
