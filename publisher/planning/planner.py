"""Apply a playbook to one drive: which content goes to which channel, when.

This is the pure core of ``POST /api/v1/campaigns/{id}/plan``: the caller loads
the drive, its channels and templates, calls :func:`plan_drive`, and turns the
result into content and publications (or shows it, for a dry run). Every item
carries a stable ``plan_key`` so that planning again skips what exists.

All rendering happens here, so a template that cannot be filled fails now and
never at delivery. The one exception is a template that needs the drive's
results (the thanks post): before the drive those cannot be known, so its step
is reported as waiting and is planned by a later run, once results are in.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from publisher.planning.errors import PlanningError, TemplateError
from publisher.planning.kinds import has_trait
from publisher.planning.playbooks import Playbook, Step
from publisher.planning.rules import (
    ChannelRules,
    Conflict,
    ProposedItem,
    check_conflicts,
    step_time,
)
from publisher.planning.templates import (
    RESULT_PLACEHOLDERS,
    CampaignFacts,
    DriveFacts,
    Template,
    TemplateContext,
    render_template,
)
from publisher.planning.vietnamese_dates import local_date, local_to_utc, require_aware, to_local


@dataclass(frozen=True)
class ChannelTarget:
    """A configured channel as planning sees it; a kind serving communes lists those it covers."""

    id: Hashable
    kind: str
    name: str = ""
    commune_codes: frozenset[str] = frozenset()
    rules: ChannelRules | None = None

    def effective_rules(self) -> ChannelRules:
        """The channel's rules, or its kind's defaults."""
        return self.rules or ChannelRules.defaults_for(self.kind)


@dataclass(frozen=True)
class PlannedItem:
    """One publication to create: rendered content for one channel at one time."""

    plan_key: str
    step_key: str
    channel_id: Hashable
    channel_kind: str
    template_key: str
    content_kind: str
    title: str
    body: str
    scheduled_at: datetime
    expires_at: datetime | None
    priority: str
    repeats: int
    slot: str | None = None


@dataclass(frozen=True)
class PlanNote:
    """A step that produced nothing, and why (``awaiting_results`` or ``no_channel``)."""

    step_key: str
    kind: str
    message_vi: str


@dataclass(frozen=True)
class DrivePlan:
    """What a playbook yields for one drive."""

    items: tuple[PlannedItem, ...] = ()
    notes: tuple[PlanNote, ...] = ()
    conflicts: tuple[Conflict, ...] = field(default_factory=tuple)


def plan_key(drive_id: Hashable, playbook_slug: str, step_key: str, channel_id: Hashable) -> str:
    """The stable identity of a planned publication, unique per drive, step and channel."""
    return f"drive:{drive_id}:{playbook_slug}:{step_key}:{channel_id}"


def plan_drive(
    playbook: Playbook,
    *,
    drive_id: Hashable,
    drive: DriveFacts,
    commune_code: str,
    cancelled: bool,
    campaign: CampaignFacts | None,
    channels: Sequence[ChannelTarget],
    templates: Mapping[str, Template],
    now: datetime,
    existing_counts_by_channel_day: Mapping[tuple[Hashable, date], int] | None = None,
) -> DrivePlan:
    """Render and time every step of ``playbook`` that applies to this drive.

    Raises :class:`TemplateError` (naming the step) when a template cannot be
    filled for a reason other than results not yet known.
    """
    require_aware(now, "now")
    context = TemplateContext(drive=drive, campaign=campaign)
    drive_day = local_date(drive.starts_at)
    drive_end = drive.ends_at or drive.starts_at
    items: list[PlannedItem] = []
    notes: list[PlanNote] = []
    for step in playbook.steps:
        if not step.applies_to(cancelled=cancelled):
            continue
        targets = [c for c in channels if _covers(c, step, commune_code)]
        if not targets:
            notes.append(PlanNote(step.key, "no_channel", _no_channel_message(step)))
            continue
        template = templates.get(step.template)
        if template is None:
            raise PlanningError(
                f"Bước “{step.key}” dùng mẫu “{step.template}” nhưng mẫu này không tồn tại.",
                f"step {step.key!r} uses unknown template {step.template!r}",
            )
        try:
            rendered = render_template(template, context)
        except TemplateError as exc:
            if exc.missing and set(exc.missing) <= RESULT_PLACEHOLDERS:
                notes.append(PlanNote(step.key, "awaiting_results", _awaiting_message(step)))
                continue
            raise TemplateError(
                f"Bước “{step.key}”: {exc.message_vi}",
                f"step {step.key!r}: {exc.message_en}",
                missing=exc.missing,
            ) from exc
        for channel in targets:
            rules = channel.effective_rules()
            in_slots = has_trait(channel.kind, "scheduled_in_slots")
            scheduled = step_time(drive_day, step, rules, now=now)
            items.append(
                PlannedItem(
                    plan_key=plan_key(drive_id, playbook.slug, step.key, channel.id),
                    step_key=step.key,
                    channel_id=channel.id,
                    channel_kind=channel.kind,
                    template_key=template.key,
                    content_kind=template.kind,
                    title=rendered.title,
                    body=rendered.body,
                    scheduled_at=scheduled,
                    # Whatever is meant for before the drive is worthless once it is over.
                    expires_at=drive_end if scheduled <= drive_end else None,
                    priority=step.priority,
                    repeats=step.repeats if in_slots else 1,
                    slot=_slot_name(scheduled, rules) if in_slots else None,
                )
            )
    conflicts = check_conflicts(
        [
            ProposedItem(
                key=item.plan_key,
                channel_id=item.channel_id,
                channel_kind=item.channel_kind,
                scheduled_at=item.scheduled_at,
                priority=item.priority,
                title=item.title,
                expires_at=item.expires_at,
            )
            for item in items
        ],
        {c.id: c.effective_rules() for c in channels},
        existing_counts_by_channel_day,
        now=now,
    )
    return DrivePlan(items=tuple(items), notes=tuple(notes), conflicts=tuple(conflicts))


def _covers(channel: ChannelTarget, step: Step, commune_code: str) -> bool:
    if channel.kind not in step.channels:
        return False
    return not has_trait(channel.kind, "serves_communes") or commune_code in channel.commune_codes


def _slot_name(moment: datetime, rules: ChannelRules) -> str | None:
    day = to_local(moment).date()
    for name, clock in rules.slots.items():
        if local_to_utc(day, clock) == moment:
            return name
    return None


def _no_channel_message(step: Step) -> str:
    kinds = ", ".join(step.channels)
    return f"Bước “{step.key}”: không có kênh nào ({kinds}) phục vụ xã, phường của đợt này."


def _awaiting_message(step: Step) -> str:
    return (
        f"Bước “{step.key}” chờ nhập số đơn vị máu đã tiếp nhận; "
        "hãy lập lại kế hoạch sau khi có kết quả."
    )
