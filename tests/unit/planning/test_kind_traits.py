"""Planning takes a kind's behaviour from its adapter's traits, never from its name.

Two adapters are registered here under names drawn at random, so no code can
know them: one broadcast in slots, serving communes, with quiet hours and a daily
cap of its own; one with no trait at all. Each gets the planning behaviour its
traits declare.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

import pytest

from channels import registry
from channels.base import Adapter
from publisher.delivery.models import Channel, Publication
from publisher.delivery.publications import release_time
from publisher.planning import follow
from publisher.planning.errors import PlaybookInvalid
from publisher.planning.kinds import channel_kinds, has_trait, short_label, slot_kinds
from publisher.planning.planner import ChannelTarget, plan_drive
from publisher.planning.playbooks import playbook_from_dict
from publisher.planning.reminders import ReminderInvalid, reminder_from_dict, reminder_times
from publisher.planning.rules import ChannelRules, rules_from_dict
from publisher.planning.templates import Template
from tests.unit.planning.samples import CAMPAIGN, DRIVE, local

HOME = "03408"
ELSEWHERE = "03637"
EARLY = local(2024, 12, 1, 12)
QUIET = (time(21, 0), time(7, 15))
SLOTS = {"morning": time(5, 15), "evening": time(19, 45)}


@dataclass(frozen=True)
class FakeKinds:
    slotted: str
    plain: str
    slotted_label: str


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKinds]:
    slotted, plain = (f"k{secrets.token_hex(5)}" for _ in range(2))
    label = f"Kênh {secrets.token_hex(3)}"
    slotted_cls = type(
        "SlottedAdapter",
        (Adapter,),
        {
            "kind": slotted,
            "label": f"{label} đầy đủ",
            "short_label": label,
            "scheduled_in_slots": True,
            "serves_communes": True,
            "default_quiet_hours": QUIET,
            "default_daily_cap": 2,
            "default_slots": SLOTS,
        },
    )
    plain_cls = type("PlainAdapter", (Adapter,), {"kind": plain, "label": "Kênh trơn"})
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "_SLOTTED", slotted_cls, raising=False)
    monkeypatch.setattr(module, "_PLAIN", plain_cls, raising=False)
    monkeypatch.setitem(registry._ADAPTER_PATHS, slotted, f"{__name__}:_SLOTTED")
    monkeypatch.setitem(registry._ADAPTER_PATHS, plain, f"{__name__}:_PLAIN")
    yield FakeKinds(slotted=slotted, plain=plain, slotted_label=label)


def test_every_adapter_gives_its_declared_default_rules(fake: FakeKinds) -> None:
    for cls in registry.adapters():
        assert rules_from_dict(cls.kind, {}) == ChannelRules(
            quiet_hours=cls.default_quiet_hours,
            daily_cap=cls.default_daily_cap,
            slots=dict(cls.default_slots),
        ), cls.kind
    assert rules_from_dict(fake.slotted, {}) == ChannelRules(QUIET, 2, SLOTS)
    assert rules_from_dict(fake.plain, {}) == ChannelRules()
    # Stored rules and the channel's own slots still win over the kind's defaults.
    mine = rules_from_dict(fake.slotted, {"quiet_hours": None}, {"evening": "20:00"})
    assert mine == ChannelRules(None, 2, {"morning": time(5, 15), "evening": time(20)})


def test_traits_labels_and_kinds_come_from_the_registry(fake: FakeKinds) -> None:
    assert {fake.slotted, fake.plain} <= set(channel_kinds())
    assert fake.slotted in slot_kinds() and fake.plain not in slot_kinds()
    assert has_trait(fake.slotted, "serves_communes")
    assert not has_trait(fake.plain, "serves_communes")
    assert short_label(fake.slotted) == fake.slotted_label
    assert short_label(fake.plain) == "Kênh trơn"
    # A kind no longer registered has no trait and is shown by its name.
    gone = f"k{secrets.token_hex(5)}"
    assert not has_trait(gone, "scheduled_in_slots")
    assert short_label(gone) == gone
    assert rules_from_dict(gone, {}) == ChannelRules()


def test_a_plan_follows_the_traits(fake: FakeKinds) -> None:
    playbook = playbook_from_dict(
        {
            "slug": "fake",
            "name": "Thử",
            "steps": [
                {
                    "key": "evening",
                    "offset_days": -1,
                    "slot": "evening",
                    "channels": [fake.slotted],
                    "template": "notice",
                    "repeats": 3,
                },
                {
                    "key": "late",
                    "offset_days": -2,
                    "at": "22:00",
                    "channels": [fake.slotted, fake.plain],
                    "template": "notice",
                    "repeats": 3,
                },
            ],
        }
    )
    channels = [
        ChannelTarget(id=1, kind=fake.slotted, commune_codes=frozenset({HOME})),
        ChannelTarget(id=2, kind=fake.slotted, commune_codes=frozenset({ELSEWHERE})),
        ChannelTarget(id=3, kind=fake.plain),
    ]
    result = plan_drive(
        playbook,
        drive_id=7,
        drive=DRIVE,
        commune_code=HOME,
        cancelled=False,
        campaign=CAMPAIGN,
        channels=channels,
        templates={"notice": Template("notice", "article", "Thông báo", "<p>{drive.name}</p>")},
        now=EARLY,
    )
    got = [(i.step_key, i.channel_id, i.scheduled_at, i.slot, i.repeats) for i in result.items]
    # Only the station serving the drive's commune; the kind's own slot times; repeats
    # and slot names only where the kind is broadcast in slots.
    assert got == [
        ("evening", 1, local(2024, 12, 19, 19, 45), "evening", 3),
        ("late", 1, local(2024, 12, 18, 22), None, 3),
        ("late", 3, local(2024, 12, 18, 22), None, 1),
    ]
    # The kind's default quiet hours hold the late item on its channel, not on the other.
    assert [(c.key, c.kind) for c in result.conflicts] == [
        ("drive:7:fake:late:1", "quiet_hours"),
    ]
    assert result.conflicts[0].suggestion == local(2024, 12, 19, 7, 15)


def test_slots_are_only_for_kinds_broadcast_in_slots(fake: FakeKinds) -> None:
    def step(channels: object) -> dict[str, object]:
        return {"slug": "s", "name": "S", "steps": [
            {"key": "a", "slot": "morning", "channels": channels, "template": "notice"}
        ]}  # fmt: skip

    assert playbook_from_dict(step([fake.slotted])).steps[0].channels == (fake.slotted,)
    with pytest.raises(PlaybookInvalid) as caught:
        playbook_from_dict(step([fake.slotted, fake.plain]))
    assert set(caught.value.errors) == {"steps[0].slot"}
    assert fake.slotted_label.lower() in caught.value.errors["steps[0].slot"]
    with pytest.raises(PlaybookInvalid) as caught:
        playbook_from_dict(step("nothing"))
    assert fake.plain in caught.value.errors["steps[0].channels"]

    rule = "FREQ=WEEKLY;BYDAY=MO"
    reminder = reminder_from_dict(
        {"rrule": rule, "template": "notice", "channels": [fake.slotted], "slot": "morning"}
    )
    rules = rules_from_dict(fake.slotted, {})
    assert reminder_times(
        reminder, local(2024, 12, 1).date(), local(2024, 12, 9).date(), rules
    ) == [
        local(2024, 12, 2, 5, 15),
        local(2024, 12, 9, 5, 15),
    ]
    with pytest.raises(ReminderInvalid) as caught:
        reminder_from_dict(
            {"rrule": rule, "template": "notice", "channels": [fake.plain], "slot": "morning"}
        )
    assert set(caught.value.errors) == {"slot"}
    everywhere = reminder_from_dict(
        {"rrule": rule, "template": "notice", "channels": "all", "at": "09:00"}
    )
    assert {fake.slotted, fake.plain} <= set(everywhere.channels)


def test_following_a_drive_uses_the_traits(fake: FakeKinds) -> None:
    scheduled = local(2024, 12, 19, 19, 45)

    def pub(kind: str, codes: list[str]) -> Publication:
        return Publication(channel=Channel(kind=kind, settings={"commune_codes": codes}))

    local_station = pub(fake.slotted, [HOME])
    assert follow._serves(local_station, HOME)
    assert not follow._serves(local_station, ELSEWHERE)
    # Commune codes mean nothing to a kind that does not serve communes.
    assert follow._serves(pub(fake.plain, [ELSEWHERE]), HOME)
    # Items of a kind broadcast in slots are due when their bulletin is released.
    assert follow._due(local_station, scheduled, 18) == release_time(scheduled, 18)
    assert follow._due(local_station, scheduled, 18) < scheduled
    assert follow._due(pub(fake.plain, []), scheduled, 18) == scheduled
