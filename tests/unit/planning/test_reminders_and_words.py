"""Campaign-wide reminders (validation, times, keys) and the words stored on publications."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from publisher.planning.reminders import (
    ReminderInvalid,
    reminder_deadline,
    reminder_from_dict,
    reminder_plan_key,
    reminder_times,
    reminder_to_dict,
)
from publisher.planning.rendering import render_words, summary_of
from publisher.planning.rules import ChannelRules
from publisher.planning.templates import Template, TemplateContext
from tests.unit.planning.samples import CAMPAIGN, drive, local

SUMMER = (date(2025, 6, 23), date(2025, 8, 31))


def test_a_weekly_slot_reminder_round_trips_and_lands_in_the_slot() -> None:
    reminder = reminder_from_dict(
        {
            "id": 3,
            "rrule": "rrule:freq=weekly;byday=sa",
            "template": "weekly_reminder",
            "channels": ["loudspeaker"],
            "slot": "evening",
            "repeats": 2,
        }
    )
    assert reminder_from_dict(reminder_to_dict(reminder)) == reminder
    assert reminder.rrule == "FREQ=WEEKLY;BYDAY=SA"
    rules = ChannelRules(
        slots={"morning": local(2025, 1, 1, 5, 30).time(), "evening": local(2025, 1, 1, 18).time()}
    )
    times = reminder_times(reminder, *SUMMER, rules)
    assert len(times) == 10
    assert times[0] == local(2025, 6, 28, 18)
    assert reminder_plan_key(4, 3, 9, times[0]) == "campaign:4:recurrence:3:9:20250628T1800"
    assert reminder_deadline(times[0]) == local(2025, 6, 29, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rrule": "FREQ=MINUTELY"}, "rrule"),
        ({"channels": []}, "channels"),
        ({"channels": ["telegram"]}, "channels[0]"),
        ({"slot": "noon"}, "slot"),
        ({"channels": ["rss"]}, "slot"),
        ({"slot": None}, "at"),
        ({"slot": None, "at": "7h"}, "at"),
        ({"at": "07:00"}, "at"),
        ({"priority": "urgent"}, "priority"),
        ({"repeats": 11}, "repeats"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_reminders_name_the_field(change: dict[str, object], field: str) -> None:
    data = {
        "rrule": "FREQ=WEEKLY",
        "template": "weekly_reminder",
        "channels": ["loudspeaker"],
        "slot": "morning",
        **change,
    }
    with pytest.raises(ReminderInvalid) as caught:
        reminder_from_dict({k: v for k, v in data.items() if v is not None})
    assert field in caught.value.errors


def test_a_rule_with_byhour_needs_no_time() -> None:
    reminder = reminder_from_dict(
        {
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9",
            "template": "weekly_reminder",
            "channels": "all",
        }
    )
    assert reminder_times(reminder, *SUMMER, ChannelRules()) == [
        local(2025, 7, 1, 9),
        local(2025, 8, 1, 9),
    ]


def test_words_escape_facts_in_the_body_but_not_in_the_title() -> None:
    template = Template(
        key="t",
        kind="article",
        title="{drive.name} tại {drive.location}",
        body="<p>Tại {drive.location}, {drive.commune}.</p><p>Hẹn gặp lại.</p>",
    )
    facts = drive(name="Hiến máu <Đoàn> & bạn", location="Nhà văn hóa <Tổ 5>")
    words = render_words(template, TemplateContext(drive=facts, campaign=CAMPAIGN))
    assert words["title"] == "Hiến máu <Đoàn> & bạn tại Nhà văn hóa <Tổ 5>"
    assert words["body_html"] == (
        "<p>Tại Nhà văn hóa &lt;Tổ 5&gt;, phường Tân Phong.</p><p>Hẹn gặp lại.</p>"
    )
    assert words["summary"] == "Tại Nhà văn hóa <Tổ 5>, phường Tân Phong."
    assert isinstance(facts.starts_at, datetime)


def test_a_long_first_paragraph_is_cut_at_a_word() -> None:
    summary = summary_of("<p>" + "máu " * 200 + "</p>")
    assert summary.endswith("…") and len(summary) <= 301
