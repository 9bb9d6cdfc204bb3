"""Channel rules: quiet hours, daily caps, deadlines, loudspeaker slots, step times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from publisher.planning.errors import PlanningError, RulesInvalid
from publisher.planning.playbooks import Step
from publisher.planning.rules import (
    ChannelRules,
    ProposedItem,
    check_conflicts,
    end_of_quiet_period,
    in_quiet_hours,
    next_slot,
    resolve_slot,
    rules_from_dict,
    rules_to_dict,
    step_time,
)
from tests.unit.planning.samples import local

FANPAGE = ChannelRules.defaults_for("fanpage")
SPEAKER = ChannelRules.defaults_for("loudspeaker")
NOW = local(2024, 12, 1, 12)


def item(key: str, at: datetime, **changes: object) -> ProposedItem:
    fields: dict[str, object] = {
        "key": key,
        "channel_id": 1,
        "channel_kind": "fanpage",
        "scheduled_at": at,
        "title": "Thông báo",
    }
    fields.update(changes)
    return ProposedItem(**fields)  # type: ignore[arg-type]


def test_defaults_per_kind() -> None:
    assert ChannelRules(quiet_hours=(time(22), time(6))) == FANPAGE
    assert SPEAKER.slots == {"morning": time(6), "evening": time(17, 30)}
    assert SPEAKER.quiet_hours is None
    assert ChannelRules.defaults_for("rss") == ChannelRules()


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (3, 0, True),
     (5, 59, True), (6, 0, False), (12, 0, False)],
)  # fmt: skip
def test_quiet_hours_crossing_midnight(hour: int, minute: int, quiet: bool) -> None:
    assert in_quiet_hours(local(2024, 12, 10, hour, minute), (time(22), time(6))) is quiet


def test_quiet_hours_within_a_day() -> None:
    siesta = (time(11, 30), time(13, 30))
    assert in_quiet_hours(local(2024, 12, 10, 12), siesta)
    assert not in_quiet_hours(local(2024, 12, 10, 13, 30), siesta)
    assert not in_quiet_hours(local(2024, 12, 10, 11, 29), siesta)


def test_quiet_hours_are_local_whatever_the_input_zone() -> None:
    # 16:00 UTC is 23:00 in Việt Nam.
    assert in_quiet_hours(datetime(2024, 12, 10, 16, 0, tzinfo=UTC), (time(22), time(6)))


def test_end_of_quiet_period() -> None:
    assert end_of_quiet_period(local(2024, 12, 10, 23), (time(22), time(6))) == local(
        2024, 12, 11, 6
    )
    assert end_of_quiet_period(local(2024, 12, 11, 2), (time(22), time(6))) == local(
        2024, 12, 11, 6
    )


def test_quiet_hours_conflict_suggests_the_end_of_the_quiet_period() -> None:
    conflicts = check_conflicts(
        [item("late", local(2024, 12, 10, 23, 30)), item("early", local(2024, 12, 11, 2))],
        {1: FANPAGE},
        now=NOW,
    )
    assert [(c.key, c.kind, c.suggestion) for c in conflicts] == [
        ("late", "quiet_hours", local(2024, 12, 11, 6)),
        ("early", "quiet_hours", local(2024, 12, 11, 6)),
    ]
    assert conflicts[0].suggestion.tzinfo is UTC
    assert conflicts[0].message_vi == (
        "“Thông báo” rơi vào giờ yên lặng của kênh (22h–6h); đề xuất 6h, thứ Tư, ngày 11/12/2024."
    )


def test_emergency_is_exempt_from_quiet_hours() -> None:
    urgent = item("urgent", local(2024, 12, 10, 23, 30), priority="emergency")
    assert check_conflicts([urgent], {1: FANPAGE}, now=NOW) == []


def test_channels_without_rules_use_their_kind_defaults() -> None:
    at_night = local(2024, 12, 10, 23, 30)
    assert check_conflicts([item("rss", at_night, channel_kind="rss")], {}, now=NOW) == []
    (conflict,) = check_conflicts([item("fb", at_night)], {}, now=NOW)
    assert conflict.kind == "quiet_hours"


def test_quiet_hours_suggestion_after_the_deadline_is_dropped() -> None:
    late = item("late", local(2024, 12, 10, 23), expires_at=local(2024, 12, 11, 5))
    (conflict,) = check_conflicts([late], {1: FANPAGE}, now=NOW)
    assert conflict.suggestion is None
    assert "hãy chọn giờ khác" in conflict.message_vi


def test_past_items_suggest_now() -> None:
    (conflict,) = check_conflicts([item("old", local(2024, 11, 30, 9))], {1: FANPAGE}, now=NOW)
    assert conflict.kind == "past"
    assert conflict.suggestion == local(2024, 12, 1, 12, 1)


def test_past_loudspeaker_items_suggest_the_next_slot() -> None:
    late = item("old", local(2024, 12, 1, 6), channel_kind="loudspeaker")
    (conflict,) = check_conflicts([late], {1: SPEAKER}, now=NOW)
    assert (conflict.kind, conflict.suggestion) == ("past", local(2024, 12, 1, 17, 30))
    assert next_slot(local(2024, 12, 1, 17, 30), SPEAKER) == local(2024, 12, 1, 17, 30)
    assert next_slot(local(2024, 12, 1, 17, 31), SPEAKER) == local(2024, 12, 2, 6)


def test_past_suggestion_respects_quiet_hours() -> None:
    now = local(2024, 12, 1, 23)
    (conflict,) = check_conflicts([item("old", local(2024, 12, 1, 9))], {1: FANPAGE}, now=now)
    assert conflict.suggestion == local(2024, 12, 2, 6)


def test_after_deadline() -> None:
    after = item("after", local(2024, 12, 21, 9), expires_at=local(2024, 12, 20, 11, 30))
    (conflict,) = check_conflicts([after], {1: FANPAGE}, now=NOW)
    assert (conflict.kind, conflict.suggestion) == ("after_deadline", None)
    assert "11h30, thứ Sáu, ngày 20/12/2024" in conflict.message_vi


def test_daily_cap_counts_existing_items() -> None:
    capped = ChannelRules(daily_cap=2)
    day = date(2024, 12, 10)
    items = [item("a", local(2024, 12, 10, 9)), item("b", local(2024, 12, 10, 15))]
    conflicts = check_conflicts(items, {1: capped}, {(1, day): 1}, now=NOW)
    assert [(c.key, c.kind, c.suggestion) for c in conflicts] == [
        ("b", "daily_cap", local(2024, 12, 11, 15))
    ]
    assert "kênh đã có 2 mục vào thứ Ba, ngày 10/12/2024, giới hạn 2 mục mỗi ngày" in (
        conflicts[0].message_vi
    )


def test_daily_cap_suggestions_do_not_pile_up_on_one_day() -> None:
    capped = ChannelRules(daily_cap=1)
    existing = {(1, date(2024, 12, 10)): 1, (1, date(2024, 12, 11)): 1}
    items = [item("a", local(2024, 12, 10, 9)), item("b", local(2024, 12, 10, 10))]
    conflicts = check_conflicts(items, {1: capped}, existing, now=NOW)
    assert [c.suggestion for c in conflicts] == [local(2024, 12, 12, 9), local(2024, 12, 13, 10)]


def test_daily_cap_is_per_channel_and_local_day() -> None:
    capped = ChannelRules(daily_cap=1)
    items = [
        item("a", local(2024, 12, 10, 9)),
        item("other-channel", local(2024, 12, 10, 9), channel_id=2),
        # 17:30 UTC on the 10th is already the 11th in Việt Nam.
        item("next-day", datetime(2024, 12, 10, 17, 30, tzinfo=UTC)),
    ]
    assert check_conflicts(items, {1: capped, 2: capped}, now=NOW) == []


def test_emergency_is_exempt_from_the_cap_but_counts() -> None:
    capped = ChannelRules(daily_cap=1)
    items = [
        item("urgent", local(2024, 12, 10, 8), priority="emergency"),
        item("normal", local(2024, 12, 10, 9)),
    ]
    (conflict,) = check_conflicts(items, {1: capped}, now=NOW)
    assert (conflict.key, conflict.kind) == ("normal", "daily_cap")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_conflicts([item("naive", datetime(2024, 12, 10, 9))], {}, now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        check_conflicts([], {}, now=datetime(2024, 12, 1))


def test_resolve_slot() -> None:
    assert resolve_slot(date(2024, 12, 17), "morning", SPEAKER) == datetime(
        2024, 12, 16, 23, 0, tzinfo=UTC
    )
    assert resolve_slot(date(2024, 12, 17), "evening", SPEAKER) == local(2024, 12, 17, 17, 30)
    with pytest.raises(PlanningError, match="noon"):
        resolve_slot(date(2024, 12, 17), "noon", SPEAKER)
    with pytest.raises(PlanningError):
        resolve_slot(date(2024, 12, 17), "morning", FANPAGE)


def test_step_time() -> None:
    drive_day = date(2024, 12, 20)
    announce = Step(key="a", offset_days=-7, at=time(9), channels=("fanpage",), template="t")
    speaker = Step(key="s", offset_days=-3, slot="evening", channels=("loudspeaker",), template="t")
    assert step_time(drive_day, announce, FANPAGE) == local(2024, 12, 13, 9)
    assert step_time(drive_day, speaker, SPEAKER) == local(2024, 12, 17, 17, 30)
    custom = rules_from_dict("loudspeaker", {}, {"evening": "18:15"})
    assert step_time(drive_day, speaker, custom) == local(2024, 12, 17, 18, 15)


def test_asap_step_time() -> None:
    asap = Step(key="c", asap=True, channels=("fanpage", "loudspeaker"), template="t")
    now = local(2024, 12, 18, 10, 15)
    assert step_time(date(2024, 12, 20), asap, FANPAGE, now=now) == now
    assert step_time(date(2024, 12, 20), asap, SPEAKER, now=now) == local(2024, 12, 18, 17, 30)
    evening = local(2024, 12, 18, 19)
    assert step_time(date(2024, 12, 20), asap, SPEAKER, now=evening) == local(2024, 12, 19, 6)
    with pytest.raises(ValueError, match="now"):
        step_time(date(2024, 12, 20), asap, FANPAGE)


def test_rules_from_and_to_dict() -> None:
    assert rules_from_dict("fanpage", None) == FANPAGE
    assert rules_from_dict("fanpage", {"quiet_hours": None}).quiet_hours is None
    custom = rules_from_dict("fanpage", {"quiet_hours": ["21:30", "05:30"], "daily_cap": 3})
    assert custom == ChannelRules(quiet_hours=(time(21, 30), time(5, 30)), daily_cap=3)
    assert rules_to_dict(custom) == {"quiet_hours": ["21:30", "05:30"], "daily_cap": 3}
    assert rules_from_dict("fanpage", rules_to_dict(custom)) == custom


@pytest.mark.parametrize(
    ("data", "slots", "path"),
    [
        ({"quiet_hours": ["22:00"]}, None, "quiet_hours"),
        ({"quiet_hours": ["22:00", "22:00"]}, None, "quiet_hours"),
        ({"quiet_hours": "22:00-06:00"}, None, "quiet_hours"),
        ({"daily_cap": 0}, None, "daily_cap"),
        ({"daily_cap": True}, None, "daily_cap"),
        ({"cap": 3}, None, "cap"),
        ({}, {"morning": "6h"}, "slots.morning"),
    ],
)
def test_invalid_rules(data: dict[str, object], slots: dict[str, str] | None, path: str) -> None:
    with pytest.raises(RulesInvalid) as caught:
        rules_from_dict("loudspeaker", data, slots)
    assert path in caught.value.errors
