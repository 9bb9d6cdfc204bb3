"""Applying the default playbook to a drive."""

from __future__ import annotations

from datetime import time

import pytest

from publisher.planning.errors import TemplateError
from publisher.planning.planner import ChannelTarget, DrivePlan, plan_drive, plan_key
from publisher.planning.playbooks import load_playbook, shipped_playbooks_dir
from publisher.planning.rules import ChannelRules
from publisher.planning.templates import DriveFacts, Template, load_templates, shipped_templates_dir
from tests.unit.planning.samples import CAMPAIGN, DRIVE, drive, local

TAN_PHONG = "03408"
CHANNELS = [
    ChannelTarget(id=1, kind="fanpage", name="Fanpage Sở"),
    ChannelTarget(id=2, kind="rss", name="Cổng thông tin"),
    ChannelTarget(id=3, kind="loudspeaker", commune_codes=frozenset({TAN_PHONG})),
    ChannelTarget(id=4, kind="loudspeaker", commune_codes=frozenset({"03637"})),
    ChannelTarget(id=5, kind="webhook"),
]
EARLY = local(2024, 12, 1, 12)


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(shipped_templates_dir())


def plan(templates: dict[str, Template], facts: DriveFacts = DRIVE, **changes: object) -> DrivePlan:
    arguments: dict[str, object] = {
        "drive_id": 7,
        "drive": facts,
        "commune_code": TAN_PHONG,
        "cancelled": False,
        "campaign": CAMPAIGN,
        "channels": CHANNELS,
        "templates": templates,
        "now": EARLY,
    }
    arguments.update(changes)
    playbook = load_playbook(shipped_playbooks_dir() / "default.yaml")
    return plan_drive(playbook, **arguments)  # type: ignore[arg-type]


def test_default_playbook_before_results(templates: dict[str, Template]) -> None:
    result = plan(templates)
    assert [(i.step_key, i.channel_id, i.scheduled_at) for i in result.items] == [
        ("announcement", 1, local(2024, 12, 13, 9)),
        ("announcement", 2, local(2024, 12, 13, 9)),
        ("loudspeaker_morning", 3, local(2024, 12, 17, 6)),
        ("loudspeaker_evening", 3, local(2024, 12, 17, 17, 30)),
        ("poster", 1, local(2024, 12, 19, 8)),
        ("drive_day", 3, local(2024, 12, 20, 6)),
    ]
    assert [(n.step_key, n.kind) for n in result.notes] == [("thanks", "awaiting_results")]
    assert result.conflicts == ()
    drive_day = result.items[-1]
    assert (drive_day.priority, drive_day.repeats, drive_day.slot) == ("priority", 3, "morning")
    assert drive_day.body.startswith(
        "Kính thưa bà con nhân dân!\nHôm nay, thứ Sáu, ngày 20/12/2024"
    )
    assert drive_day.content_kind == "script"
    assert (
        drive_day.plan_key
        == plan_key(7, "default", "drive_day", 3)
        == ("drive:7:default:drive_day:3")
    )
    # Nothing meant for before the drive may go out after it.
    assert {i.expires_at for i in result.items} == {DRIVE.ends_at}
    assert all(i.repeats == 1 for i in result.items if i.channel_kind != "loudspeaker")


def test_thanks_is_planned_once_results_are_in(templates: dict[str, Template]) -> None:
    result = plan(templates, drive(result_units=362))
    fanpage, _rss = [i for i in result.items if i.step_key == "thanks"]
    assert fanpage.scheduled_at == local(2024, 12, 21, 10)
    assert fanpage.expires_at is None
    assert "đã tiếp nhận 362 đơn vị máu" in fanpage.body
    assert result.notes == ()


def test_cancelled_drive_gets_only_the_cancellation_on_every_channel(
    templates: dict[str, Template],
) -> None:
    now = local(2024, 12, 18, 10, 15)
    result = plan(templates, cancelled=True, now=now)
    assert [(i.step_key, i.channel_id, i.scheduled_at) for i in result.items] == [
        ("cancellation", 1, now),
        ("cancellation", 2, now),
        ("cancellation", 3, local(2024, 12, 18, 17, 30)),
        ("cancellation", 5, now),
    ]
    assert result.items[0].title == ("Thông báo hủy Ngày hội hiến máu tình nguyện phường Tân Phong")
    assert {i.priority for i in result.items} == {"priority"}


def test_missing_target_fails_at_planning_naming_the_step(templates: dict[str, Template]) -> None:
    with pytest.raises(TemplateError) as caught:
        plan(templates, drive(target_units=None))
    assert caught.value.message_vi.startswith("Bước “announcement”: Mẫu “announcement” cần")
    assert caught.value.missing == ("drive.target_units",)


def test_a_commune_without_a_loudspeaker_is_noted(templates: dict[str, Template]) -> None:
    result = plan(templates, commune_code="99999")
    assert {i.channel_kind for i in result.items} == {"fanpage", "rss"}
    assert ("loudspeaker_morning", "no_channel") in {(n.step_key, n.kind) for n in result.notes}


def test_planning_late_reports_past_items(templates: dict[str, Template]) -> None:
    result = plan(templates, now=local(2024, 12, 18, 12))
    past = {c.key for c in result.conflicts if c.kind == "past"}
    assert past == {
        plan_key(7, "default", step, channel)
        for step, channel in [
            ("announcement", 1),
            ("announcement", 2),
            ("loudspeaker_morning", 3),
            ("loudspeaker_evening", 3),
        ]
    }


def test_channel_rules_apply_to_planned_items(templates: dict[str, Template]) -> None:
    strict = ChannelTarget(
        id=1, kind="fanpage", rules=ChannelRules(quiet_hours=(time(7), time(10)))
    )
    result = plan(templates, channels=[strict])
    assert [(c.key, c.kind, c.suggestion) for c in result.conflicts] == [
        ("drive:7:default:announcement:1", "quiet_hours", local(2024, 12, 13, 10)),
        ("drive:7:default:poster:1", "quiet_hours", local(2024, 12, 19, 10)),
    ]
