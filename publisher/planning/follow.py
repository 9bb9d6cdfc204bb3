"""Planned publications follow their drive when it moves, changes or is cancelled.

Called by ``PATCH /api/v1/drives/{id}`` (and the CSV import) after the drive's new
values are flushed, inside the same transaction:

* **moved**: pending publications (``scheduled``; ``queued`` ones are taken back to
  ``scheduled`` by compare-and-set) move by the same delta as the drive's start;
  items planned in a broadcast slot move by whole days so they stay in their
  slot, and ``asap`` items (cancellation notices) stay where they are. Items that
  expired only because the old deadline passed come back when the new one lies
  ahead. Deadlines follow the drive's end.
* **any change**: the words of pending planned items are rendered again from
  their frozen template version, so the new date, time or place is what goes out;
  a template that can no longer be filled refuses the change (422).
* **cancelled**: pending publications are cancelled, and the cancellation steps
  of the drive's playbook(s) are planned at once (on every channel kind they name).
* **cancellation undone**: what the cancellation stopped is scheduled again (if its
  deadline lies ahead) and cancellation notices not yet sent are cancelled.

Published publications are never touched: a post that went out stays as it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from content_library.db import utcnow
from content_library.models import Drive
from publisher.delivery.models import Publication
from publisher.delivery.publications import (
    DEFAULT_DEADLINE,
    PublicationError,
    cancel,
    release_time,
)
from publisher.planning.kinds import has_trait
from publisher.planning.models import PlaybookRecord
from publisher.planning.playbooks import Playbook, Step
from publisher.planning.rendering import (
    campaign_facts,
    drive_facts,
    render_words,
    template_from_version,
    template_key,
)
from publisher.planning.sources import PlanRefused
from publisher.planning.templates import TemplateContext, TemplateError
from publisher.planning.vietnamese_dates import to_local

log = logging.getLogger(__name__)
CANCELLED_MARK = "drive_cancelled"
CANCELLED_REASON = "Đợt hiến máu đã hủy / the drive was cancelled"


@dataclass
class FollowReport:
    """What following a drive changed."""

    moved: int = 0
    rerendered: int = 0
    cancelled: int = 0
    restored: int = 0
    notices: int = 0
    notes: list[str] = field(default_factory=list)


def follow_drive(
    session: Session,
    drive: Drive,
    *,
    previous_start: datetime,
    previous_status: str,
    now: datetime | None = None,
) -> FollowReport:
    """Bring the drive's publications in line with the drive (see the module's docstring)."""
    now = now or utcnow()
    report = FollowReport()
    pubs = list(
        session.scalars(
            select(Publication)
            .where(Publication.drive_id == drive.id)
            .options(
                selectinload(Publication.version),
                selectinload(Publication.content),
                selectinload(Publication.channel),
            )
            .order_by(Publication.id)
        )
    )
    if not pubs:
        return report
    steps = _StepLookup(session)
    if drive.status == "cancelled":
        if previous_status != "cancelled":
            _cancel_pending(session, pubs, report)
            _plan_cancellation(session, drive, pubs, now, report)
        return report
    if previous_status == "cancelled":
        _restore(session, pubs, steps, now, report)
    _move_and_rerender(session, drive, pubs, steps, previous_start, now, report)
    session.flush()
    return report


class _StepLookup:
    """The playbook step a planned publication came from, read from its plan key."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.playbooks: dict[str, Playbook | None] = {}

    def step(self, pub: Publication) -> Step | None:
        parts = (pub.plan_key or "").split(":")
        if len(parts) != 5 or parts[0] != "drive":
            return None
        slug, step_key = parts[2], parts[3]
        if slug not in self.playbooks:
            record = self.session.scalar(select(PlaybookRecord).where(PlaybookRecord.slug == slug))
            self.playbooks[slug] = _playbook(record)
        playbook = self.playbooks[slug]
        if playbook is None:
            return None
        try:
            return playbook.step(step_key)
        except KeyError:
            return None


def _playbook(record: PlaybookRecord | None) -> Playbook | None:
    from publisher.planning.service import playbook_of

    if record is None:
        return None
    try:
        return playbook_of(record)
    except PlanRefused:
        return None


def _cancel_pending(session: Session, pubs: list[Publication], report: FollowReport) -> None:
    for pub in pubs:
        if pub.status not in ("scheduled", "queued"):
            continue
        try:
            cancel(session, pub)
        except PublicationError as exc:
            report.notes.append(f"#{pub.id}: {exc}")
            continue
        pub.last_error_class = CANCELLED_MARK
        pub.last_error = CANCELLED_REASON
        report.cancelled += 1
    session.flush()


def _plan_cancellation(
    session: Session, drive: Drive, pubs: list[Publication], now: datetime, report: FollowReport
) -> None:
    """Plan the cancellation steps of every playbook the drive was planned with."""
    from publisher.planning.service import plan_drives

    if drive.campaign is None:
        return
    slugs = sorted(
        {
            p.plan_key.split(":")[2]
            for p in pubs
            if p.plan_key and p.plan_key.startswith(f"drive:{drive.id}:")
        }
    )
    for slug in slugs:
        record = session.scalar(select(PlaybookRecord).where(PlaybookRecord.slug == slug))
        playbook = _playbook(record)
        if playbook is None:
            report.notes.append(f"playbook {slug!r} is gone or invalid: no cancellation notice")
            continue
        try:
            with session.begin_nested():
                result = plan_drives(
                    session,
                    drive.campaign,
                    playbook,
                    [drive],
                    include_reminders=False,
                    dry_run=False,
                    user_id=None,
                    now=now,
                )
        except PlanRefused as exc:
            # Cancelling must not be blocked by a template; re-planning shows the problem.
            report.notes.append(f"no cancellation notice: {exc.detail} {exc.errors}")
            log.warning(
                "drive %s cancelled without a notice: %s %s", drive.id, exc.detail, exc.errors
            )
            continue
        report.notices += result.created


def _restore(
    session: Session,
    pubs: list[Publication],
    steps: _StepLookup,
    now: datetime,
    report: FollowReport,
) -> None:
    release_hour = _release_hour()
    for pub in pubs:
        step = steps.step(pub)
        if step is not None and step.when == "cancelled" and pub.status in ("scheduled", "queued"):
            try:
                cancel(session, pub)
            except PublicationError as exc:
                report.notes.append(f"#{pub.id}: {exc}")
            continue
        if (
            pub.status == "cancelled"
            and pub.last_error_class == CANCELLED_MARK
            and pub.published_at is None
            and pub.expires_at
            and pub.expires_at > now
        ):
            pub.status = "scheduled"
            pub.cancelled_at = None
            pub.last_error = None
            pub.last_error_class = None
            pub.next_attempt_at = _due(pub, pub.scheduled_at, release_hour)
            report.restored += 1
    session.flush()


def _move_and_rerender(
    session: Session,
    drive: Drive,
    pubs: list[Publication],
    steps: _StepLookup,
    previous_start: datetime,
    now: datetime,
    report: FollowReport,
) -> None:
    delta = drive.starts_at - previous_start
    day_delta = to_local(drive.starts_at).date() - to_local(previous_start).date()
    release_hour = _release_hour()
    context = TemplateContext(drive=drive_facts(drive), campaign=campaign_facts(drive.campaign))
    errors: dict[str, str] = {}
    for pub in pubs:
        if not _movable(pub):
            continue
        step = steps.step(pub)
        if pub.plan_key and not _serves(pub, drive.commune_code):
            # The drive changed commune: this station no longer serves it; re-planning adds
            # the stations that do.
            _cancel_quietly(session, pub, report)
            continue
        values: dict[str, object] = {}
        if delta and not (step is not None and step.asap):
            shift = day_delta if step is not None and step.slot is not None else delta
            if shift:
                values["scheduled_at"] = pub.scheduled_at + shift
        scheduled = values.get("scheduled_at", pub.scheduled_at)
        assert isinstance(scheduled, datetime)
        if pub.plan_key:
            expires = drive.ends_at if scheduled < drive.ends_at else scheduled + DEFAULT_DEADLINE
        else:
            expires = (pub.expires_at + delta) if pub.expires_at else None
        if expires != pub.expires_at:
            values["expires_at"] = expires
        if "scheduled_at" in values or pub.status == "expired":
            values["next_attempt_at"] = _due(pub, scheduled, release_hour)
        if pub.render_context and pub.content.is_template:
            words = _rerender(pub, context, errors)
            if words is not None and words != pub.render_context:
                values["render_context"] = words
                report.rerendered += 1
        if pub.status == "expired":
            if expires is None or expires <= now:
                continue  # still past its deadline: it stays expired where it was
            values.update(status="scheduled", last_error=None, last_error_class=None)
        if values:
            if _compare_and_set(session, pub, values):
                report.moved += "scheduled_at" in values
            else:
                report.notes.append(f"#{pub.id} changed state while the drive moved; left as is")
    if errors:
        raise PlanRefused(
            "Không cập nhật được nội dung đã lên lịch cho đợt này; hãy bổ sung thông tin "
            "/ cannot update the planned content of this drive",
            errors,
        )


def _movable(pub: Publication) -> bool:
    if pub.status in ("scheduled", "queued"):
        return True
    # Expired only because the old deadline passed: never sent, nothing to reconcile.
    return (
        pub.status == "expired"
        and pub.last_error_class == "expired"
        and pub.published_at is None
        and not pub.reconcile
    )


def _compare_and_set(session: Session, pub: Publication, values: dict[str, object]) -> bool:
    """Write ``values`` only if the row is still in the state we read (the dispatcher races us)."""
    status = pub.status
    if status == "queued":
        # Take it back from the queue: the job, if it runs, finds the row no longer queued.
        values = {"status": "scheduled", "job_id": None, "queued_at": None, **values}
    values = {**values, "updated_at": utcnow()}
    done = session.execute(
        update(Publication)
        .where(Publication.id == pub.id, Publication.status == status)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(pub)
    return bool(done)


def _cancel_quietly(session: Session, pub: Publication, report: FollowReport) -> None:
    try:
        cancel(session, pub)
    except PublicationError as exc:
        report.notes.append(f"#{pub.id}: {exc}")
        return
    report.cancelled += 1


def _rerender(
    pub: Publication, context: TemplateContext, errors: dict[str, str]
) -> dict[str, object] | None:
    key = template_key(pub.content)
    if key is None:
        return None
    try:
        return render_words(template_from_version(key, pub.content, pub.version), context)
    except TemplateError as exc:
        errors[f"publications.{pub.id}"] = exc.message_vi
        return None


def _serves(pub: Publication, commune_code: str) -> bool:
    """Whether the publication's channel reaches the commune (kinds serving communes are local)."""
    if not has_trait(pub.channel.kind, "serves_communes"):
        return True
    return commune_code in ((pub.channel.settings or {}).get("commune_codes") or ())


def _due(pub: Publication, scheduled: datetime, release_hour: int) -> datetime:
    # Kinds broadcast in slots take their items into bulletins released ahead of the day.
    if has_trait(pub.channel.kind, "scheduled_in_slots"):
        return release_time(scheduled, release_hour)
    return scheduled


def _release_hour() -> int:
    if has_app_context():
        return int(current_app.config["SETTINGS"].BULLETIN_RELEASE_HOUR)
    return 18
