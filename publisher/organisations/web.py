"""The visibility rule for the signed-in UI: scoped lists (loads: ``ui.blueprint.load_or_404``)."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select

from publisher.db import db
from publisher.organisations.visibility import may_maintain_drives, sees_everything
from publisher.organisations.visibility import scoped as scope_rows
from publisher.ui.blueprint import current_user

T = TypeVar("T")


def scoped(stmt: Select[Any], model: type) -> Select[Any]:
    return scope_rows(db.session, stmt, model, current_user())


def require_drive_keeper() -> None:
    """Only the department's and the Red Cross's people change drives (others read them)."""
    if not may_maintain_drives(db.session, current_user()):
        abort(403)


def own_organisation_slug() -> str | None:
    """The slug new people made by the signed-in admin belong to: their own unit's, or None
    (the default: the department) for the department's admins."""
    from publisher.organisations.models import Organisation

    user = current_user()
    if user is None or sees_everything(db.session, user):
        return None
    org = db.session.get(Organisation, user.organisation_id)
    return org.slug if org is not None else None
