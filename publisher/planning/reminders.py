"""Campaign-wide recurring reminders (RFC 5545 RRULE), stored in ``Campaign.recurrence``.

A reminder is ``{id, rrule, template, channels, at | slot, priority, repeats}``:
the rule is expanded within the campaign's dates, at a local time (``at``, or
the rule's BYHOUR/BYMINUTE) or in a broadcast slot of each channel. Channels
are kinds as in playbooks; a kind that serves communes means every channel of
that kind, whatever communes it covers, since a campaign-wide reminder belongs
to no commune. The text comes from a template that may use ``{campaign.name}``
but no ``{drive.*}`` placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from publisher.planning.errors import RecurrenceInvalid, ValidationFailed
from publisher.planning.kinds import channel_kinds, kinds_hint, only_slot_kinds, slot_kinds_vi
from publisher.planning.playbooks import MAX_REPEATS, PRIORITIES, SLOTS
from publisher.planning.recurrence import expand_rrule, validate_rrule
from publisher.planning.rules import ChannelRules, resolve_slot
from publisher.planning.vietnamese_dates import local_to_utc, to_local

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_KEYS = {"id", "rrule", "template", "channels", "at", "slot", "priority", "repeats"}


class ReminderInvalid(ValidationFailed):
    """A recurring reminder has invalid fields."""

    what_vi = "Nhắc lặp lại"
    what_en = "recurring reminder"


@dataclass(frozen=True)
class Reminder:
    """One recurring reminder of a campaign."""

    id: int
    rrule: str
    template: str
    channels: tuple[str, ...]
    at: time | None = None
    slot: str | None = None
    priority: str = "normal"
    repeats: int = 1

    @property
    def step_key(self) -> str:
        return f"recurrence:{self.id}"


def reminder_from_dict(
    data: Mapping[str, Any], *, known_templates: Collection[str] | None = None
) -> Reminder:
    """Validate a stored or submitted reminder; raises :class:`ReminderInvalid`."""
    errors: dict[str, str] = {}
    for unknown in sorted(set(data) - _KEYS):
        errors[unknown] = f"Không có trường “{unknown}”."
    rule = ""
    try:
        rule = validate_rrule(data.get("rrule", ""))
    except RecurrenceInvalid as exc:
        errors["rrule"] = exc.message_vi
    template = data.get("template")
    if not isinstance(template, str) or not template:
        errors["template"] = "Cần mã mẫu nội dung (vd. weekly_reminder)."
    elif known_templates is not None and template not in known_templates:
        errors["template"] = f"Không có mẫu nội dung “{template}”."
    channels = _channels(data.get("channels"), errors)
    at, slot = data.get("at"), data.get("slot")
    parsed_at = None
    if at is not None and slot is not None:
        errors["at"] = "Chỉ dùng một trong at (giờ “HH:MM”) hoặc slot."
    elif at is not None:
        match = _HHMM.match(at) if isinstance(at, str) else None
        if match is None:
            errors["at"] = "Giờ phải theo dạng “HH:MM” (giờ địa phương)."
        else:
            parsed_at = time(int(match[1]), int(match[2]))
    elif slot is not None:
        if slot not in SLOTS:
            errors["slot"] = "Khung giờ loa chỉ nhận morning hoặc evening."
        elif channels and not only_slot_kinds(channels):
            errors["slot"] = f"Khung giờ (slot) chỉ dùng khi gửi riêng kênh {slot_kinds_vi()}."
    elif "BYHOUR=" not in rule:
        errors["at"] = "Cần at (giờ “HH:MM”), slot, hoặc BYHOUR trong quy tắc lặp."
    priority = data.get("priority", "normal")
    if priority not in PRIORITIES:
        errors["priority"] = "Mức ưu tiên chỉ nhận normal, priority hoặc emergency."
    repeats = data.get("repeats", 1)
    if not isinstance(repeats, int) or isinstance(repeats, bool) or not 1 <= repeats <= MAX_REPEATS:
        errors["repeats"] = f"Số lần đọc là số nguyên từ 1 đến {MAX_REPEATS}."
    ident = data.get("id", 0)
    if not isinstance(ident, int) or isinstance(ident, bool) or ident < 0:
        errors["id"] = "id là số nguyên dương."
    if errors:
        raise ReminderInvalid(errors)
    return Reminder(
        id=ident,
        rrule=rule,
        template=template,
        channels=channels,
        at=parsed_at,
        slot=slot,
        priority=priority,
        repeats=repeats,
    )


def reminder_to_dict(reminder: Reminder) -> dict[str, Any]:
    """The JSON stored in ``Campaign.recurrence`` (and answered by the API)."""
    return {
        "id": reminder.id,
        "rrule": reminder.rrule,
        "template": reminder.template,
        "channels": list(reminder.channels),
        "at": None if reminder.at is None else f"{reminder.at:%H:%M}",
        "slot": reminder.slot,
        "priority": reminder.priority,
        "repeats": reminder.repeats,
    }


def reminder_times(
    reminder: Reminder, starts_on: date, ends_on: date, rules: ChannelRules
) -> list[datetime]:
    """When the reminder goes out on a channel with ``rules`` (aware UTC), in order."""
    occurrences = expand_rrule(reminder.rrule, starts_on, ends_on, at=reminder.at or time(0))
    if reminder.slot is None:
        return occurrences
    days = dict.fromkeys(to_local(moment).date() for moment in occurrences)
    return [resolve_slot(day, reminder.slot, rules) for day in days]


def reminder_plan_key(
    campaign_id: Hashable, reminder_id: int, channel_id: Hashable, moment: datetime
) -> str:
    """Stable identity of one occurrence on one channel; the campaign id comes first.

    The dispatcher relies on the ``campaign:{id}:`` prefix to hold these while the
    campaign is paused (their template item belongs to no campaign).
    """
    local = to_local(moment)
    return f"campaign:{campaign_id}:recurrence:{reminder_id}:{channel_id}:{local:%Y%m%dT%H%M}"


def reminder_deadline(moment: datetime) -> datetime:
    """The end of the local day the reminder is for: a missed reminder is not sent the next day."""
    return local_to_utc(to_local(moment).date() + timedelta(days=1), time(0))


def _channels(value: Any, errors: dict[str, str]) -> tuple[str, ...]:
    known = channel_kinds()
    if value == "all":
        return known
    if not isinstance(value, list) or not value:
        errors["channels"] = f"Cần danh sách loại kênh ({kinds_hint()}) hoặc “all”."
        return ()
    kinds: list[str] = []
    for index, kind in enumerate(value):
        if kind not in known:
            errors[f"channels[{index}]"] = f"Không có loại kênh “{kind}”."
        elif kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)
