"""Who may read a donor: narrower than the organisation rule.

Only active admins read donors: a unit's admins their own organisation's, the department's
admins every organisation's. Everyone else (editors and approvers of the department too)
is answered as if no donor existed (404), so the register's existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import Session

from publisher.auth.models import User
from publisher.donors.models import Donor


def reads_donors(user: User | None) -> bool:
    return bool(user is not None and user.active and user.role == "admin")


def donor_condition(session: Session, user: User | None) -> ColumnElement[bool]:
    """The WHERE clause keeping the donors ``user`` may read (and change)."""
    from publisher.organisations.visibility import sees_everything

    if not reads_donors(user):
        return false()
    assert user is not None
    if sees_everything(session, user):
        return true()
    return Donor.organisation_id == user.organisation_id


def may_read_donor(session: Session, user: User | None, donor: Donor | Any) -> bool:
    from publisher.organisations.visibility import sees_everything

    if not reads_donors(user):
        return False
    assert user is not None
    return sees_everything(session, user) or donor.organisation_id == user.organisation_id
