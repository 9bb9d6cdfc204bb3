"""Recording, listing and withdrawing consents; what a withdrawal stops and takes down.

Views call these inside their transaction and record the audit entry there too. Nothing
here logs or raises a message carrying the person's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from channels.registry import adapter_class, kinds, kinds_where
from content_library.db import utcnow
from content_library.models import PROFILE_KIND, Commune, ContentItem
from content_library.sanitize import plain_text
from content_library.search import fold
from publisher.audit import record
from publisher.auth.models import User
from publisher.consents.forms import EXTENSIONS, DecodedForm
from publisher.consents.gate import CONSENT_CLASS, EXPIRED, WITHDRAWN, lapse
from publisher.consents.models import Consent
from publisher.db import db
from publisher.delivery.models import Channel, Publication
from publisher.delivery.publications import PublicationError, cancel
from publisher.organisations.visibility import owner_for_new_row, scoped, visible
from publisher.times import iso_z

# How the audit log names consents (publisher.audit).
ENTITY = "consent"
STOPPABLE = ("scheduled", "queued", "failed", "expired")
IN_FLIGHT = ("publishing", "unconfirmed")


class ConsentError(Exception):
    """Refused; ``status`` is the HTTP status and ``errors`` per-field details."""

    def __init__(self, message: str, status: int = 422, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


def check_fields(session: Session, data: Mapping[str, Any]) -> dict[str, str]:
    """Field errors of a new consent (English, as the API's per-field errors are)."""
    errors: dict[str, str] = {}
    scope = data.get("scope") or []
    unknown = [k for k in scope if k not in kinds()]
    if not scope:
        errors["scope"] = "must list at least one channel kind"
    elif unknown:
        errors["scope"] = "unknown channel kinds; must be among " + ", ".join(kinds())
    given, expires = data.get("given_on"), data.get("expires_on")
    if isinstance(given, date) and isinstance(expires, date) and expires < given:
        errors["expires_on"] = "must not be before given_on"
    code = data.get("commune_code")
    if code and session.get(Commune, code) is None:
        errors["commune_code"] = "no such commune"
    if not plain_text(str(data.get("person_name") or "")):
        errors["person_name"] = "is required"
    return errors


def create_consent(
    session: Session, user: User | None, data: Mapping[str, Any], form: DecodedForm | None
) -> Consent:
    errors = check_fields(session, data)
    if errors:
        raise ConsentError("invalid consent", 422, errors)
    consent = Consent(
        organisation_id=owner_for_new_row(session, user),
        person_name=plain_text(str(data["person_name"])),
        commune_code=data.get("commune_code") or None,
        scope=[k for k in kinds() if k in set(data["scope"])],
        given_on=data["given_on"],
        expires_on=data.get("expires_on"),
        note=plain_text(str(data.get("note") or "")),
        created_by=user.id if user else None,
    )
    if form is not None:
        consent.form_data = form.data
        consent.form_mime = form.mime
        consent.form_pages = form.pages
        consent.form_sha256 = form.sha256
        # Not the uploaded file's name: people name scans after the person.
        consent.form_filename = f"giay-dong-y.{EXTENSIONS[form.mime]}"
    session.add(consent)
    session.flush()
    record(session, user, "create", ENTITY, consent.id, consent.organisation_id,
           {"form": form is not None, "scope": list(consent.scope)})  # fmt: skip
    return consent


def consent_fields(consent: Consent) -> dict[str, Any]:
    """What is held on the person in the consent itself, as the API and exports show it."""
    return {
        "id": consent.id,
        "organisation_id": consent.organisation_id,
        "person_name": consent.person_name,
        "commune_code": consent.commune_code,
        "scope": list(consent.scope or []),
        "given_on": iso_z(consent.given_on),
        "expires_on": iso_z(consent.expires_on),
        "note": consent.note or "",
        "withdrawn_at": iso_z(consent.withdrawn_at),
        "withdraw_reason": consent.withdraw_reason,
        "created_at": iso_z(consent.created_at),
    }


def record_listing(session: Session, user: User | None, count: int, filtered: bool) -> None:
    """Audit a listing of consents (ids and counts only, never names)."""
    record(session, user, "list", ENTITY, None, owner_for_new_row(session, user),
           {"count": count, "filtered": filtered})  # fmt: skip


def record_reading(
    session: Session, user: User | None, consent: Consent, part: str | None = None
) -> None:
    """Audit a reading of ``consent`` (``part``: "form" for the signed form alone)."""
    details = {"part": part} if part else None
    record(session, user, "read", ENTITY, consent.id, consent.organisation_id, details)


def visible_consents(session: Session, user: User | None) -> Select[Any]:
    stmt = select(Consent).order_by(Consent.person_name, Consent.id)
    return scoped(session, stmt, Consent, user)


def matching_person(session: Session, stmt: Select[Any], person: str) -> Select[Any]:
    """``stmt`` narrowed to consents whose person's name contains ``person``, ignoring
    diacritics and case (folded here: names are few per organisation, and no folded
    copy of a name is kept)."""
    wanted = fold(person)
    ids = [
        cid
        for cid, name in session.execute(stmt.with_only_columns(Consent.id, Consent.person_name))
        if wanted in fold(name)
    ]
    return stmt.where(Consent.id.in_(ids))


def valid_consents(session: Session, user: User | None, at: Any) -> list[Consent]:
    """Consents an editor may pick for a profile: the organisation's, in force at ``at``."""
    stmt = visible_consents(session, user).where(Consent.withdrawn_at.is_(None))
    return [c for c in session.scalars(stmt) if lapse(c, at) is None]


def usable_consent(session: Session, user: User | None, consent_id: Any) -> str | None:
    """Why ``consent_id`` cannot back a profile written by ``user``; None when it can.
    Another organisation's consent reads as missing (its existence is not revealed)."""
    consent = session.get(Consent, consent_id) if isinstance(consent_id, int) else None
    if consent is None or not visible(session, consent, user):
        return "no such consent"
    reason = lapse(consent, utcnow())
    if reason in (WITHDRAWN, EXPIRED):
        return reason
    return None


@dataclass
class WithdrawalOutcome:
    """What a withdrawal did: each list holds ``{publication_id, channel_id, ...}``."""

    cancelled: list[dict[str, Any]] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    withdrawing: list[dict[str, Any]] = field(default_factory=list)
    not_withdrawn: list[dict[str, Any]] = field(default_factory=list)
    archived_content_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cancelled": self.cancelled,
            "withdrawn": self.withdrawn,
            "withdrawing": self.withdrawing,
            "not_withdrawn": self.not_withdrawn,
            "archived_content_ids": self.archived_content_ids,
        }

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.as_dict().items()}


AIRED = "Đã phát trên loa, không rút lại được buổi đã phát / already aired"
CANNOT = "Kênh này không cho gỡ bài / this channel cannot withdraw"
IN_FLIGHT_REASON = (
    "Đang gửi hoặc đang đối soát; sẽ được gỡ khi biết kết quả "
    "/ delivery in progress: withdrawn once its outcome is known"
)


def profiles_of(session: Session, consent_id: int) -> list[ContentItem]:
    """Profile items any version of which names the consent."""
    items = session.scalars(select(ContentItem).where(ContentItem.kind == PROFILE_KIND))
    return [
        item
        for item in items
        if item.consent_id == consent_id
        or any((v.person or {}).get("consent_id") == consent_id for v in item.versions)
    ]


def withdraw_consent(
    session: Session, user: User | None, consent: Consent, reason: str | None
) -> WithdrawalOutcome:
    """Withdraw ``consent``: archive its profiles, cancel what is pending, take down what
    was delivered where the channel can. A second withdrawal is refused (409)."""
    if consent.withdrawn_at is not None:
        raise ConsentError("Giấy đồng ý đã được rút lại trước đó / already withdrawn", 409)
    now = utcnow()
    consent.withdrawn_at = now
    consent.withdrawn_by = user.id if user else None
    consent.withdraw_reason = plain_text(reason or "") or None
    outcome = WithdrawalOutcome()
    items = profiles_of(session, consent.id)
    for item in items:
        item.status = "archived"
        if item.versions[-1].status == "in_review":
            item.versions[-1].status = "draft"
        outcome.archived_content_ids.append(item.id)
    if items:
        pubs = session.scalars(
            select(Publication)
            .where(Publication.content_id.in_([i.id for i in items]))
            .order_by(Publication.id)
        )
        for pub in pubs:
            _stop(session, pub, outcome, now)
    session.flush()
    record(session, user, "withdraw", ENTITY, consent.id, consent.organisation_id,
           outcome.counts())  # fmt: skip
    return outcome


def _stop(session: Session, pub: Publication, outcome: WithdrawalOutcome, now: Any) -> None:
    row = {"publication_id": pub.id, "channel_id": pub.channel_id, "status": pub.status}
    if pub.status in STOPPABLE:
        cancel(session, pub)
        _mark(pub)
        outcome.cancelled.append(row)
        return
    if pub.status in IN_FLIGHT:
        outcome.withdrawing.append({**row, "reason": IN_FLIGHT_REASON})
        return
    if pub.status == "cancelled" and pub.withdraw_pending:
        outcome.withdrawing.append(row)
        return
    if pub.status != "published":
        return
    adapter = adapter_class(pub.channel.kind)
    if not adapter.can_withdraw:
        outcome.not_withdrawn.append({**row, "reason": CANNOT})
        return
    aired = adapter.scheduled_in_slots and pub.scheduled_at <= now
    try:
        cancel(session, pub)
    except PublicationError as exc:
        outcome.not_withdrawn.append({**row, "reason": str(exc)})
        return
    _mark(pub)
    if aired:
        # The aired session keeps it in its record; later sessions no longer read it.
        outcome.not_withdrawn.append({**row, "reason": AIRED})
    elif pub.withdraw_pending:
        outcome.withdrawing.append(row)
    else:
        outcome.withdrawn.append(row)


def _mark(pub: Publication) -> None:
    pub.last_error = WITHDRAWN
    pub.last_error_class = CONSENT_CLASS


def sweep_withdrawn(session: Session) -> int:
    """Take down delivered profiles whose consent was withdrawn since (rows that were in
    flight at the withdrawal): the dispatcher calls this every tick. Returns how many."""
    stmt = (
        select(Publication)
        .join(ContentItem, ContentItem.id == Publication.content_id)
        .join(Channel, Channel.id == Publication.channel_id)
        .where(
            ContentItem.consent_id.in_(select(Consent.id).where(Consent.withdrawn_at.is_not(None))),
            Publication.status == "published",
            Publication.withdraw_pending.is_(False),
            # Once tried: a channel that refused to take the post down is not asked forever.
            or_(
                Publication.last_error_class.is_(None),
                Publication.last_error_class != CONSENT_CLASS,
            ),
            Channel.kind.in_(kinds_where("can_withdraw")),
        )
        .limit(200)
    )
    done = 0
    for pub in session.scalars(stmt):
        try:
            cancel(session, pub)
        except PublicationError:
            continue
        _mark(pub)
        done += 1
    return done


def consent_sweep(queue: Any, now: Any) -> int:
    """The dispatcher's duty (a dispatch hook): :func:`sweep_withdrawn`, committed."""
    done = sweep_withdrawn(db.session)
    db.session.commit()
    return done
