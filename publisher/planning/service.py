"""Planning a campaign: a playbook applied to its drives, plus its recurring reminders.

The pure layer (``planner``, ``rules``, ``reminders``) decides what goes where and
when; this module feeds it rows and turns its answer into publications. A dry
run writes nothing. Applying creates one publication per new ``plan_key``
through :func:`publisher.delivery.publications.schedule`; keys that exist are
skipped whatever their state, so running the plan again creates nothing new
(and a publication an editor cancelled stays cancelled).

Conflicts with channel rules are reported for new items only (old ones were
reported when they were created), and settled the same way in a dry run and an
apply: a step whose time has passed is never created late (it is listed as
skipped, with the reason), quiet hours move a step to their end (or skip it when
that is past its deadline), and a step that repeats a live publication of the same
words on the same channel at the same time is skipped. With ``accept_suggestions``
past and over-cap items are created at the suggested time instead.

Templates are rendered now: a template that cannot be filled in refuses the
whole plan (422) with every problem listed, so nothing fails at delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Campaign, Drive
from publisher.delivery.drive_holds import hold_for_drive_change
from publisher.delivery.models import Channel
from publisher.delivery.publications import DEFAULT_DEADLINE, PublicationError, schedule
from publisher.organisations.visibility import unit_of
from publisher.planning.errors import PlanningError, PlaybookInvalid, RecurrenceInvalid
from publisher.planning.kinds import has_trait
from publisher.planning.models import PlaybookRecord
from publisher.planning.planner import ChannelTarget, plan_drive
from publisher.planning.playbooks import Playbook, playbook_from_dict
from publisher.planning.reminders import (
    ReminderInvalid,
    reminder_deadline,
    reminder_from_dict,
    reminder_plan_key,
    reminder_times,
)
from publisher.planning.rendering import (
    campaign_facts,
    drive_facts,
    html_context,
    render_title,
    render_words,
    words,
)
from publisher.planning.results import PlanItem, PlanNote, PlanResult, iso
from publisher.planning.rules import Conflict, ProposedItem, check_conflicts
from publisher.planning.sources import (
    OCCUPYING_STATUSES,
    ExistingRow,
    PlanRefused,
    TemplateSource,
    campaign_drives,
    channel_targets,
    counts_by_channel_day,
    existing_planned,
    load_templates,
)
from publisher.planning.templates import TemplateContext, TemplateError
from publisher.planning.vietnamese_dates import require_aware

__all__ = [
    "PlanItem",
    "PlanNote",
    "PlanRefused",
    "PlanResult",
    "iso",
    "plan_campaign",
    "playbook_of",
]


def playbook_of(record: PlaybookRecord) -> Playbook:
    """The validated playbook stored in ``record``."""
    try:
        return playbook_from_dict(record.definition)
    except PlaybookInvalid as exc:
        raise PlanRefused(
            f"Kịch bản “{record.slug}” không hợp lệ / playbook {record.slug!r} is invalid",
            {f"playbook.{k}": v for k, v in exc.errors.items()},
        ) from None


def plan_campaign(
    session: Session,
    campaign: Campaign,
    playbook_record: PlaybookRecord,
    *,
    drive_ids: list[int] | None = None,
    dry_run: bool = True,
    user_id: int | None = None,
    now: datetime | None = None,
    accept_suggestions: bool = False,
) -> PlanResult:
    """Apply ``playbook_record`` to the campaign's drives (all, or ``drive_ids``).

    Without ``drive_ids`` the campaign's recurring reminders are planned too.
    Raises :class:`PlanRefused` (422) listing every problem; flushes, never commits.
    """
    now = require_aware(now or utcnow(), "now")
    playbook = playbook_of(playbook_record)
    drives = campaign_drives(session, campaign.id, drive_ids)
    return plan_drives(
        session,
        campaign,
        playbook,
        drives,
        include_reminders=drive_ids is None,
        dry_run=dry_run,
        user_id=user_id,
        now=now,
        accept_suggestions=accept_suggestions,
    )


def plan_drives(
    session: Session,
    campaign: Campaign,
    playbook: Playbook,
    drives: list[Drive],
    *,
    include_reminders: bool,
    dry_run: bool,
    user_id: int | None,
    now: datetime,
    accept_suggestions: bool = False,
) -> PlanResult:
    """The work of :func:`plan_campaign` for drives already loaded (also used by ``follow``)."""
    # A unit's campaign is planned onto that unit's channels only.
    targets, channels = channel_targets(session, unit_of(session, campaign.organisation_id))
    existing = existing_planned(session, campaign.id, [d.id for d in drives])
    planned_drives = {
        int(key.split(":")[1])
        for key in existing
        if key.startswith("drive:") and key.split(":")[2] == playbook.slug
    }
    reminders = _reminders(campaign) if include_reminders else []
    result = PlanResult(dry_run=dry_run)

    # Which drives get which steps, and so which templates must be approved.
    work: list[tuple[Drive, bool]] = []
    for drive in drives:
        cancelled = drive.status == "cancelled"
        if cancelled and drive.id not in planned_drives:
            result.notes.append(
                PlanNote(
                    drive.id,
                    None,
                    "cancelled_unannounced",
                    f"Đợt “{drive.name}” đã hủy và chưa từng được lên kế hoạch: "
                    "không cần thông báo hủy.",
                )
            )
            continue
        work.append((drive, cancelled))
    needed = {s.template for _, c in work for s in playbook.steps if s.applies_to(cancelled=c)}
    needed |= {r.template for r in reminders}
    image_needed = {
        s.template
        for s in playbook.steps
        if any(has_trait(kind, "poster_needs_image") for kind in s.channels)
    }
    templates = load_templates(session, needed, image_needed=image_needed)
    pure_templates = {key: source.template for key, source in templates.items()}

    proposals: list[PlanItem] = []
    errors: dict[str, str] = {}
    context_campaign = campaign_facts(campaign)
    for drive, cancelled in work:
        facts = drive_facts(drive)
        context = TemplateContext(drive=facts, campaign=context_campaign)
        # The pure planner renders the bodies, which are HTML: it gets the facts escaped.
        escaped = html_context(context)
        try:
            drive_plan = plan_drive(
                playbook,
                drive_id=drive.id,
                drive=escaped.drive,  # type: ignore[arg-type]
                commune_code=drive.commune_code,
                cancelled=cancelled,
                campaign=escaped.campaign,
                channels=targets,
                templates=pure_templates,
                now=now,
            )
        except PlanningError as exc:
            errors[f"drives.{drive.id}"] = f"{drive.name}: {exc.message_vi}"
            continue
        result.notes.extend(
            PlanNote(drive.id, n.step_key, n.kind, n.message_vi) for n in drive_plan.notes
        )
        rendered: dict[str, dict[str, Any]] = {}
        for planned in drive_plan.items:
            if planned.template_key not in rendered:
                title = render_title(templates[planned.template_key].template, context)
                rendered[planned.template_key] = words(title, planned.body)
            channel = channels[int(planned.channel_id)]
            proposals.append(
                PlanItem(
                    plan_key=planned.plan_key,
                    drive_id=drive.id,
                    channel_id=channel.id,
                    channel_slug=channel.slug,
                    channel_kind=channel.kind,
                    step=planned.step_key,
                    template=planned.template_key,
                    scheduled_at=planned.scheduled_at,
                    expires_at=planned.expires_at,
                    priority=planned.priority,
                    slot=planned.slot,
                    repeats=planned.repeats,
                    title=rendered[planned.template_key]["title"],
                    render_context=rendered[planned.template_key],
                )
            )
    for reminder in reminders:
        try:
            proposals.extend(_reminder_items(campaign, reminder, targets, channels, templates))
        except (PlanningError, TemplateError) as exc:
            errors[f"recurrence.{reminder.id}"] = exc.message_vi
    if errors:
        raise PlanRefused(
            "Không lập được kế hoạch cho một số đợt / cannot plan some drives", errors
        )
    if not include_reminders and campaign.recurrence:
        result.notes.append(
            PlanNote(
                None,
                None,
                "reminders_skipped",
                "Chỉ lập kế hoạch cho các đợt đã chọn; các nhắc lặp lại của chiến dịch không đổi.",
            )
        )
    if campaign.paused:
        result.notes.append(
            PlanNote(
                None,
                None,
                "campaign_paused",
                "Chiến dịch đang tạm dừng: các mục đã lên lịch được giữ lại cho đến khi tiếp tục.",
            )
        )
    _resolve(session, result, proposals, existing, targets, templates, now, accept_suggestions)
    if not dry_run:
        _apply(session, result, templates, user_id)
        for drive, _cancelled in work:
            if drive.pending_change is not None:
                # The dispatcher holds them anyway; this says why on the new rows too.
                session.flush()
                hold_for_drive_change(session, drive.id)
    result.items.sort(key=lambda i: (i.scheduled_at, i.plan_key))
    return result


def _reminders(campaign: Campaign) -> list[Any]:
    reminders = []
    for raw in campaign.recurrence or []:
        try:
            reminders.append(reminder_from_dict(raw))
        except (ReminderInvalid, RecurrenceInvalid) as exc:
            raise PlanRefused(
                "Nhắc lặp lại của chiến dịch không hợp lệ / invalid recurring reminder",
                {f"recurrence.{raw.get('id', '?')}": str(exc)},
            ) from None
    return reminders


def _reminder_items(
    campaign: Campaign,
    reminder: Any,
    targets: list[ChannelTarget],
    channels: dict[int, Channel],
    templates: dict[str, TemplateSource],
) -> list[PlanItem]:
    source = templates[reminder.template]
    context = TemplateContext(drive=None, campaign=campaign_facts(campaign))
    reminder_words = render_words(source.template, context)
    items = []
    for target in targets:
        if target.kind not in reminder.channels:
            continue
        channel = channels[int(target.id)]
        rules = target.effective_rules()
        in_slots = has_trait(target.kind, "scheduled_in_slots")
        for moment in reminder_times(reminder, campaign.starts_on, campaign.ends_on, rules):
            items.append(
                PlanItem(
                    plan_key=reminder_plan_key(campaign.id, reminder.id, channel.id, moment),
                    drive_id=None,
                    channel_id=channel.id,
                    channel_slug=channel.slug,
                    channel_kind=channel.kind,
                    step=reminder.step_key,
                    template=reminder.template,
                    scheduled_at=moment,
                    expires_at=reminder_deadline(moment),
                    priority=reminder.priority,
                    slot=reminder.slot if in_slots else None,
                    repeats=reminder.repeats if in_slots else 1,
                    title=reminder_words["title"],
                    render_context=reminder_words,
                )
            )
    return items


def _resolve(
    session: Session,
    result: PlanResult,
    proposals: list[PlanItem],
    existing: dict[str, ExistingRow],
    targets: list[ChannelTarget],
    templates: dict[str, TemplateSource],
    now: datetime,
    accept_suggestions: bool,
) -> None:
    """Split proposals into new and existing, and settle the new ones against channel rules.

    A dry run and an apply go through the same decisions, so the preview shows what
    applying does: a step whose time has passed is skipped (or, with
    ``accept_suggestions``, moved to the suggested time); a step in a channel's quiet
    hours moves to the end of them, or is skipped when that is past its deadline;
    a step that would repeat a live publication of the same words is skipped.
    """
    new: list[PlanItem] = []
    for item in proposals:
        row = existing.get(item.plan_key)
        if row is None:
            new.append(item)
            continue
        item.publication_id, item.status, item.action = row.id, row.status, "exists"
        item.scheduled_at, item.expires_at = row.scheduled_at, row.expires_at
        result.skipped_existing += 1
    result.items = proposals
    new = _without_duplicates(new, existing, templates)
    if not new:
        return
    rules = {t.id: t.effective_rules() for t in targets}
    capped = [t.id for t in targets if rules[t.id].daily_cap is not None]
    counts = counts_by_channel_day(
        session, capped, min(i.scheduled_at for i in new), max(i.scheduled_at for i in new)
    )
    result.conflicts = check_conflicts(
        [
            ProposedItem(
                key=i.plan_key,
                channel_id=i.channel_id,
                channel_kind=i.channel_kind,
                scheduled_at=i.scheduled_at,
                priority=i.priority,
                title=i.title,
                expires_at=i.expires_at,
            )
            for i in new
        ],
        rules,
        counts,
        now=now,
    )
    by_key = {item.plan_key: item for item in new}
    for conflict in result.conflicts:
        result.resolutions[conflict.key] = _settle(
            by_key[conflict.key], conflict, accept_suggestions
        )
    if any(item.moved_from is not None for item in new):
        # A step moved out of quiet hours may land on another step's time (23:30 and 06:00).
        _without_duplicates([i for i in new if i.action == "create"], existing, templates)


def _settle(item: PlanItem, conflict: Conflict, accept_suggestions: bool) -> str:
    """Apply one conflict to its item; answers moved, skipped or kept (reported only)."""
    hint = conflict.suggestion
    if hint is not None and item.expires_at is not None and hint >= item.expires_at:
        hint = None
    if conflict.kind == "quiet_hours":
        # A rule, not a warning: nothing but an emergency (never in conflict) goes out in them.
        if hint is None:
            item.skip("quiet_hours", f"Bỏ qua: {conflict.message_vi}")
            return "skipped"
        item.move(hint)
        return "moved"
    if conflict.kind == "past":
        if accept_suggestions and hint is not None:
            item.move(hint)
            return "moved"
        # Publishing late without saying so misleads the public; the editor decides.
        item.skip("past", f"Bỏ qua: {conflict.message_vi}")
        return "skipped"
    if conflict.kind == "after_deadline":
        item.skip("after_deadline", f"Bỏ qua: {conflict.message_vi}")
        return "skipped"
    if accept_suggestions and hint is not None:
        item.move(hint)
        return "moved"
    return "kept"


def _without_duplicates(
    new: list[PlanItem], existing: dict[str, ExistingRow], templates: dict[str, TemplateSource]
) -> list[PlanItem]:
    """Skip new items that repeat the same words on the same channel at the same minute.

    Plan keys tell steps apart, so two playbooks (or a renamed step, or two steps
    with the same template and time) would otherwise post the same message twice.
    """
    live = {
        (row.channel_id, row.content_id, row.drive_id, _minute(row.scheduled_at)): row.id
        for row in existing.values()
        if row.status in OCCUPYING_STATUSES
    }
    kept: list[PlanItem] = []
    for item in sorted(new, key=lambda i: (i.scheduled_at, i.plan_key)):
        identity = (
            item.channel_id,
            templates[item.template].item_id,
            item.drive_id,
            _minute(item.scheduled_at),
        )
        if identity in live:
            other = f" (lượt đăng #{live[identity]})" if live[identity] else ""
            item.skip(
                "duplicate",
                f"Bỏ qua: “{item.title}” đã được xếp trên kênh này vào cùng thời điểm{other}.",
            )
            continue
        live[identity] = 0
        kept.append(item)
    return kept


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _apply(
    session: Session,
    result: PlanResult,
    templates: dict[str, TemplateSource],
    user_id: int | None,
) -> None:
    release_hour, max_attempts = _delivery_settings()
    for item in sorted(result.items, key=lambda i: (i.scheduled_at, i.plan_key)):
        if item.action != "create":
            continue
        when = item.scheduled_at
        # Items for after the drive (thanks) have no drive deadline: they keep a month.
        expires = item.expires_at or when + DEFAULT_DEADLINE
        try:
            pub = schedule(
                session,
                content_id=templates[item.template].item_id,
                channel_id=item.channel_id,
                scheduled_at=when,
                expires_at=expires,
                created_by=user_id,
                priority=item.priority,
                slot=item.slot,
                repeats=item.repeats,
                drive_id=item.drive_id,
                plan_key=item.plan_key,
                render_context=item.render_context,
                max_attempts=max_attempts,
                release_hour=release_hour,
            )
        except PublicationError as exc:
            raise PlanRefused(
                f"Không tạo được mục “{item.title}” / cannot schedule {item.plan_key}: {exc}",
                {item.plan_key: str(exc), **exc.errors},
            ) from None
        item.publication_id, item.status, item.action = pub.id, pub.status, "created"
        item.scheduled_at, item.expires_at = pub.scheduled_at, pub.expires_at
        result.created += 1


def _delivery_settings() -> tuple[int, int]:
    if has_app_context():
        settings = current_app.config["SETTINGS"]
        return settings.BULLETIN_RELEASE_HOUR, settings.MAX_ATTEMPTS
    return 18, 5
