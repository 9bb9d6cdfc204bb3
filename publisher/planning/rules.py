"""Channel rules (quiet hours, daily caps, broadcast slots) and the conflicts they raise.

Planning proposes items; :func:`check_conflicts` says which ones break a
channel's rules and, where it can, proposes a better time. Nothing here moves
an item by itself: an editor accepts the suggestion or chooses another time.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from publisher.planning.errors import PlanningError, RulesInvalid
from publisher.planning.kinds import adapter_for
from publisher.planning.playbooks import Step
from publisher.planning.vietnamese_dates import (
    format_date_vi,
    format_datetime_vi,
    format_time_vi,
    local_date,
    local_to_utc,
    require_aware,
    to_local,
)

# How far ahead a daily-cap suggestion looks for a day with room.
CAP_SEARCH_DAYS = 31

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class ChannelRules:
    """Limits for one channel; quiet hours are local and may cross midnight (22:00–06:00)."""

    quiet_hours: tuple[time, time] | None = None
    daily_cap: int | None = None
    slots: Mapping[str, time] = field(default_factory=dict)

    @classmethod
    def defaults_for(cls, kind: str) -> ChannelRules:
        """The rules a channel of this kind has until someone changes them (its adapter's)."""
        adapter = adapter_for(kind)
        if adapter is None:
            return cls()
        return cls(
            quiet_hours=adapter.default_quiet_hours,
            daily_cap=adapter.default_daily_cap,
            slots=dict(adapter.default_slots),
        )


@dataclass(frozen=True)
class ProposedItem:
    """A delivery that planning wants to schedule; ``expires_at`` is its deadline."""

    key: str
    channel_id: Hashable
    channel_kind: str
    scheduled_at: datetime
    priority: str = "normal"
    title: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Conflict:
    """A rule an item breaks; ``suggestion`` is a better time (aware UTC) when there is one."""

    key: str
    kind: str  # quiet_hours | daily_cap | past | after_deadline
    message_vi: str
    suggestion: datetime | None = None


def rules_from_dict(
    kind: str, data: Mapping[str, Any] | None, slots: Mapping[str, Any] | None = None
) -> ChannelRules:
    """Build rules from a channel's stored ``rules`` JSON and its settings' ``slots``.

    A key that is absent keeps the kind's default; ``quiet_hours: null`` turns
    quiet hours off.
    """
    base = ChannelRules.defaults_for(kind)
    data = data or {}
    errors: dict[str, str] = {}
    for unknown in sorted(set(data) - {"quiet_hours", "daily_cap"}):
        errors[unknown] = "Không có quy tắc này (dùng quiet_hours, daily_cap)."
    quiet = base.quiet_hours
    if "quiet_hours" in data:
        raw = data["quiet_hours"]
        quiet = None
        if raw is not None:
            pair = [_parse_hhmm(v) for v in raw] if isinstance(raw, list | tuple) else []
            if len(pair) != 2 or None in pair or pair[0] == pair[1]:
                errors["quiet_hours"] = "Giờ yên lặng là cặp [“HH:MM”, “HH:MM”] khác nhau."
            else:
                quiet = (pair[0], pair[1])
    cap = data.get("daily_cap", base.daily_cap)
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        errors["daily_cap"] = "Giới hạn mỗi ngày là số nguyên dương, hoặc bỏ trống."
    parsed_slots = dict(base.slots)
    for name, value in (slots or {}).items():
        parsed = _parse_hhmm(value)
        if parsed is None:
            errors[f"slots.{name}"] = "Giờ phát phải theo dạng “HH:MM”."
        else:
            parsed_slots[str(name)] = parsed
    if errors:
        raise RulesInvalid(errors)
    return ChannelRules(quiet_hours=quiet, daily_cap=cap, slots=parsed_slots)


def rules_to_dict(rules: ChannelRules) -> dict[str, Any]:
    """The ``rules`` JSON of a channel (slots live in the channel's settings)."""
    quiet = None if rules.quiet_hours is None else [f"{t:%H:%M}" for t in rules.quiet_hours]
    return {"quiet_hours": quiet, "daily_cap": rules.daily_cap}


def in_quiet_hours(moment: datetime, quiet_hours: tuple[time, time]) -> bool:
    """Whether an aware moment falls in local quiet hours (start included, end excluded)."""
    start, end = quiet_hours
    clock = to_local(moment).time().replace(tzinfo=None)
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def end_of_quiet_period(moment: datetime, quiet_hours: tuple[time, time]) -> datetime:
    """The first instant (aware UTC) at or after ``moment`` when quiet hours end."""
    local = to_local(moment)
    end_today = local_to_utc(local.date(), quiet_hours[1])
    if end_today >= moment:
        return end_today
    return local_to_utc(local.date() + timedelta(days=1), quiet_hours[1])


def resolve_slot(day: date, slot: str, rules: ChannelRules) -> datetime:
    """The aware UTC time of a named broadcast slot on a local day."""
    if slot not in rules.slots:
        known = ", ".join(sorted(rules.slots)) or "không có"
        raise PlanningError(
            f"Kênh không có khung giờ “{slot}” (các khung giờ: {known}).",
            f"channel has no slot {slot!r} (slots: {sorted(rules.slots)})",
        )
    return local_to_utc(day, rules.slots[slot])


def next_slot(moment: datetime, rules: ChannelRules) -> datetime:
    """The first slot (aware UTC) at or after ``moment``, on a channel that has slots."""
    require_aware(moment, "moment")
    if not rules.slots:
        raise PlanningError("Kênh không có khung giờ phát.", "channel has no slots")
    today = to_local(moment).date()
    upcoming = sorted(
        resolve_slot(today + timedelta(days=ahead), name, rules)
        for ahead in (0, 1)
        for name in rules.slots
    )
    return next(slot for slot in upcoming if slot >= moment)


def step_time(
    drive_start_local_date: date, step: Step, rules: ChannelRules, *, now: datetime | None = None
) -> datetime:
    """When a playbook step goes out on a channel with ``rules`` (aware UTC).

    ``asap`` steps need ``now``: they go out at once, or, on a channel with
    slots (broadcast in sessions), in the next slot.
    """
    if step.asap:
        if now is None:
            raise ValueError("an asap step needs now")
        require_aware(now, "now")
        return next_slot(now, rules) if rules.slots else now.astimezone(UTC)
    day = local_date(drive_start_local_date) + timedelta(days=step.offset_days)
    if step.at is not None:
        return local_to_utc(day, step.at)
    assert step.slot is not None
    return resolve_slot(day, step.slot, rules)


def check_conflicts(
    items: Iterable[ProposedItem],
    rules_by_channel: Mapping[Hashable, ChannelRules],
    existing_counts_by_channel_day: Mapping[tuple[Hashable, date], int] | None = None,
    *,
    now: datetime,
) -> list[Conflict]:
    """Which proposed items break their channel's rules, in order of time.

    Daily caps count per channel and local day, starting from the items already
    scheduled (``existing_counts_by_channel_day``) and adding each proposed item
    that fits. Emergency items are exempt from quiet hours and caps (they play at
    once, as on IP loudspeaker systems) but still count towards the cap.
    """
    require_aware(now, "now")
    items = list(items)
    for item in items:
        require_aware(item.scheduled_at, f"{item.key}.scheduled_at")
        if item.expires_at is not None:
            require_aware(item.expires_at, f"{item.key}.expires_at")
    counts: dict[tuple[Hashable, date], int] = dict(existing_counts_by_channel_day or {})
    conflicts: list[Conflict] = []
    for item in sorted(items, key=lambda i: i.scheduled_at):
        rules = rules_by_channel.get(item.channel_id) or ChannelRules.defaults_for(
            item.channel_kind
        )
        conflict = _check_one(item, rules, counts, now)
        if conflict is not None:
            conflicts.append(conflict)
    return conflicts


def _check_one(
    item: ProposedItem,
    rules: ChannelRules,
    counts: dict[tuple[Hashable, date], int],
    now: datetime,
) -> Conflict | None:
    label = f"“{item.title}”" if item.title else f"Mục {item.key}"
    when = item.scheduled_at
    urgent = item.priority == "emergency"

    def before_deadline(moment: datetime | None) -> datetime | None:
        if moment is None or (item.expires_at is not None and moment > item.expires_at):
            return None
        return moment

    if when < now:
        suggestion = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        if rules.slots:
            suggestion = next_slot(now, rules)
        elif rules.quiet_hours and not urgent and in_quiet_hours(suggestion, rules.quiet_hours):
            suggestion = end_of_quiet_period(suggestion, rules.quiet_hours)
        return Conflict(
            item.key,
            "past",
            f"{label} được xếp lúc {format_datetime_vi(when)}, đã qua.",
            before_deadline(suggestion),
        )
    if item.expires_at is not None and when > item.expires_at:
        return Conflict(
            item.key,
            "after_deadline",
            f"{label} được xếp lúc {format_datetime_vi(when)}, sau hạn "
            f"{format_datetime_vi(item.expires_at)}; khi đó nội dung không còn giá trị.",
        )
    if rules.quiet_hours and not urgent and in_quiet_hours(when, rules.quiet_hours):
        start, end = rules.quiet_hours
        suggestion = before_deadline(end_of_quiet_period(when, rules.quiet_hours))
        advice = f"đề xuất {format_datetime_vi(suggestion)}" if suggestion else "hãy chọn giờ khác"
        return Conflict(
            item.key,
            "quiet_hours",
            f"{label} rơi vào giờ yên lặng của kênh ({format_time_vi(start)}–"
            f"{format_time_vi(end)}); {advice}.",
            suggestion,
        )
    day = to_local(when).date()
    used = counts.get((item.channel_id, day), 0)
    if rules.daily_cap is not None and used >= rules.daily_cap and not urgent:
        suggestion = None
        for ahead in range(1, CAP_SEARCH_DAYS + 1):
            later = day + timedelta(days=ahead)
            if counts.get((item.channel_id, later), 0) < rules.daily_cap:
                clock = to_local(when).time().replace(tzinfo=None)
                suggestion = before_deadline(local_to_utc(later, clock))
                if suggestion is not None:
                    counts[(item.channel_id, later)] = counts.get((item.channel_id, later), 0) + 1
                break
        advice = f"đề xuất {format_datetime_vi(suggestion)}" if suggestion else "hãy chọn ngày khác"
        return Conflict(
            item.key,
            "daily_cap",
            f"{label}: kênh đã có {used} mục vào {format_date_vi(day)}, giới hạn "
            f"{rules.daily_cap} mục mỗi ngày; {advice}.",
            suggestion,
        )
    counts[(item.channel_id, day)] = used + 1
    return None


def _parse_hhmm(value: Any) -> time | None:
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))
