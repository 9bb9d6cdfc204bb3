"""Who sees which rows: the one rule applied at every list and every load-or-404.

A unit's people see and act on their own organisation's rows; the department's people see
everything. Content sent to a unit with guidance is readable by it (to adopt it), not
editable. The department's campaigns are the province's plan: every unit reads them, only
the department changes them. A row of another unit answers 404, as if it did not exist.
Rows without an organisation are the department's (made by the seed, imports, the planner).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from content_library.models import Campaign, ContentItem
from publisher.auth.models import ApiToken, User
from publisher.consents.models import Consent
from publisher.delivery.models import Channel, Publication
from publisher.organisations.models import GuidanceContent, GuidanceTarget, Organisation

# Tables whose rows belong to one organisation through their own organisation_id column.
OWNED = (ContentItem, Channel, Campaign, ApiToken, User, Consent)


def user_organisation(session: Session, user: User | None) -> Organisation | None:
    if user is None or user.organisation_id is None:
        return None
    return session.get(Organisation, user.organisation_id)


def sees_everything(session: Session, user: User | None) -> bool:
    """The department's people (and users from before organisations) see every row."""
    if user is None:
        return False
    org = user_organisation(session, user)
    return org is None or org.kind == "department"


def _department_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Organisation.id).where(Organisation.kind == "department")))


def _owned_by(column: Any, org_id: int) -> ColumnElement[bool]:
    return column == org_id


def guided_content_ids(org_id: int) -> Select[Any]:
    """Ids of the content sent to the unit with guidance."""
    return (
        select(GuidanceContent.content_id)
        .join(GuidanceTarget, GuidanceTarget.guidance_id == GuidanceContent.guidance_id)
        .where(GuidanceTarget.organisation_id == org_id)
    )


def condition(
    session: Session, model: type, user: User | None, *, acting: bool = False
) -> ColumnElement[bool]:
    """The WHERE clause that keeps the rows of ``model`` the user may see (or act on)."""
    if sees_everything(session, user):
        return true()
    if user is None:
        return false()
    org_id = user.organisation_id
    if model is ContentItem:
        own = _owned_by(ContentItem.organisation_id, org_id)
        return own if acting else or_(own, ContentItem.id.in_(guided_content_ids(org_id)))
    if model is Campaign:
        own = _owned_by(Campaign.organisation_id, org_id)
        if acting:
            return own
        departments = _department_ids(session)
        return or_(
            own, Campaign.organisation_id.is_(None), Campaign.organisation_id.in_(departments)
        )
    if model is Publication:
        return Publication.channel_id.in_(
            select(Channel.id).where(Channel.organisation_id == org_id)
        )
    if model in OWNED:
        return _owned_by(model.organisation_id, org_id)
    return true()


def scoped(session: Session, stmt: Select[Any], model: type, user: User | None) -> Select[Any]:
    """``stmt`` narrowed to the rows of ``model`` the user may see."""
    return stmt.where(condition(session, model, user))


def visible(session: Session, row: Any, user: User | None, *, acting: bool = False) -> bool:
    """Whether the user may see (``acting``: change) this loaded row."""
    model = type(row)
    if model not in (*OWNED, Publication) or sees_everything(session, user):
        return True
    if user is None:
        return False
    stmt = select(model).where(model.id == row.id, condition(session, model, user, acting=acting))
    return session.scalar(stmt.with_only_columns(model.id)) is not None


def owner_for_new_row(session: Session, user: User | None) -> int | None:
    """The organisation a row made by ``user`` belongs to (the department's when unknown)."""
    if user is not None and user.organisation_id is not None:
        return user.organisation_id
    from publisher.organisations.service import department

    return department(session).id


class NotYours(LookupError):
    """The named row is not the user's to use: answered as if it did not exist."""

    def __init__(self, what: str, ident: Any):
        super().__init__(what)
        self.what = what
        self.ident = ident


class NotGuidedVersion(ValueError):
    """Another unit's content whose approved version is not the one sent with guidance."""


def check_schedulable(
    session: Session, user: User | None, content_id: Any, channel_id: Any
) -> None:
    """A unit schedules on its own channels only, and only its own content or the exact
    version the department approved and sent to it with guidance (its approval carries
    over, so no second approval is needed — and no other version gets through)."""
    if sees_everything(session, user) or user is None:
        return
    channel = session.get(Channel, channel_id) if isinstance(channel_id, int) else None
    if channel is not None and not visible(session, channel, user, acting=True):
        raise NotYours("Channel", channel_id)
    item = session.get(ContentItem, content_id) if isinstance(content_id, int) else None
    if item is None or visible(session, item, user, acting=True):
        return
    if not visible(session, item, user):
        raise NotYours("Content", content_id)
    guided = set(
        session.scalars(
            select(GuidanceContent.version_id)
            .join(GuidanceTarget, GuidanceTarget.guidance_id == GuidanceContent.guidance_id)
            .where(
                GuidanceTarget.organisation_id == user.organisation_id,
                GuidanceContent.content_id == item.id,
            )
        )
    )
    if item.approved_version_id is None or item.approved_version_id not in guided:
        raise NotGuidedVersion(
            "Chỉ được đăng đúng phiên bản đã được Sở duyệt và gửi kèm hướng dẫn "
            "/ only the approved version sent with guidance may be scheduled by a unit"
        )


def unit_of(session: Session, organisation_id: int | None) -> int | None:
    """``organisation_id`` when it names a unit, None for the department (or no owner)."""
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id)
    return None if org is None or org.kind == "department" else org.id


DRIVE_KEEPERS = ("department", "red_cross")
DRIVES_REFUSED = (
    "Chỉ Sở và Hội Chữ thập đỏ cập nhật đợt hiến máu "
    "/ only the department and the Red Cross maintain drives"
)


def may_maintain_drives(session: Session, user: User | None) -> bool:
    """Drives are the Red Cross's to keep (the department too); every unit reads them."""
    if sees_everything(session, user):
        return True
    org = user_organisation(session, user)
    return org is not None and org.kind in DRIVE_KEEPERS
