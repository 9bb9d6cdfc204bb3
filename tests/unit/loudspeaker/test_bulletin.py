"""Bulletins: grouping by session, ordering, durations, the station template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from channels.loudspeaker import (
    BulletinItem,
    StationTemplate,
    build_bulletin,
    default_template,
    load_template,
    parse_template,
    reading_seconds,
)
from tests.unit.loudspeaker.samples import DAY, item

REPO = Path(__file__).resolve().parents[3]
OPENING = ("Đây là Đài truyền thanh xã Bản Hon.", "Kính thưa bà con nhân dân!")
CLOSING = ("Ủy ban nhân dân xã Bản Hon trân trọng thông báo!",)


def _build(items, **kwargs):
    return build_bulletin("03385", "Bản Hon", "xã", DAY, items, **kwargs)


def test_groups_by_session_and_orders_by_priority_then_time() -> None:
    items = [
        item(1, priority="normal", hour=7),
        item(2, priority="emergency", hour=9),
        item(3, priority="priority", hour=10),
        item(4, priority="priority", hour=8),
        item(5, priority="normal", slot="evening", hour=6),
        item(6, priority="emergency", slot="evening", hour=11),
        item(7, priority="normal", hour=7),
    ]
    bulletin = _build(items)
    morning, evening = bulletin.slots
    assert (morning.slot, evening.slot) == ("morning", "evening")
    assert [e.item.publication_id for e in morning.entries] == [2, 4, 3, 1, 7]
    assert [e.item.publication_id for e in evening.entries] == [6, 5]
    assert [e.priority_label for e in evening.entries] == ["Khẩn cấp", "Thông thường"]
    assert morning.entries[1].priority_label == "Ưu tiên"


def test_durations_add_up() -> None:
    bulletin = _build([item(1, repeats=3), item(2, slot="evening", repeats=2)])
    morning, evening = bulletin.slots
    entry = morning.entries[0]
    assert entry.seconds_once == reading_seconds(entry.item.reading_text)
    assert entry.seconds == 3 * entry.seconds_once
    fixed = sum(reading_seconds(line) for line in (*OPENING, *CLOSING))
    assert morning.seconds == fixed + entry.seconds
    assert evening.seconds == fixed + evening.entries[0].seconds
    assert bulletin.seconds == morning.seconds + evening.seconds


def test_reading_rate_changes_durations() -> None:
    slow = _build([item(1)], rate_per_minute=120)
    fast = _build([item(1)], rate_per_minute=240)
    assert slow.seconds > fast.seconds
    assert slow.rate_per_minute == 120


def test_opening_and_closing_lines() -> None:
    bulletin = _build([item(1)])
    morning = bulletin.slots[0]
    assert morning.opening == OPENING
    assert morning.closing == CLOSING
    assert (morning.name, morning.time) == ("Buổi sáng", "06:00")
    assert (bulletin.slots[1].name, bulletin.slots[1].time) == ("Buổi chiều", "17:30")
    ward = build_bulletin("03388", "Tân Phong", "phường", DAY, [])
    assert ward.slots[0].opening[0] == "Đây là Đài truyền thanh phường Tân Phong."
    assert ward.title == "Bản tin truyền thanh phường Tân Phong"


def test_empty_bulletin_is_valid_and_says_so() -> None:
    bulletin = _build([])
    assert bulletin.is_empty
    assert [slot.empty_notice for slot in bulletin.slots] == [
        "Trong buổi sáng nay, Đài không có thông báo mới.",
        "Trong buổi chiều nay, Đài không có thông báo mới.",
    ]
    assert all(slot.seconds > 0 for slot in bulletin.slots)
    assert _build([item(1)]).slots[0].empty_notice is None
    assert _build([item(1)]).slots[1].empty_notice is not None


def test_slot_times_override() -> None:
    bulletin = _build([], slot_times={"morning": "05:30"})
    assert [slot.time for slot in bulletin.slots] == ["05:30", "17:30"]
    with pytest.raises(ValueError):
        _build([], slot_times={"noon": "12:00"})
    with pytest.raises(ValueError):
        _build([], slot_times={"morning": "6h"})


@pytest.mark.parametrize(
    ("code", "kind"), [("3385", "xã"), ("0338A", "xã"), ("03385", "huyện"), ("", "xã")]
)
def test_build_rejects_bad_commune(code: str, kind: str) -> None:
    with pytest.raises(ValueError):
        build_bulletin(code, "Bản Hon", kind, DAY, [])


@pytest.mark.parametrize(
    "changes",
    [
        {"priority": "urgent"},
        {"slot": "noon"},
        {"repeats": 0},
        {"repeats": True},
        {"scheduled_at": datetime(2024, 12, 19, 8)},
        {"valid_until": datetime(2024, 12, 20, 8)},
    ],
)
def test_item_validation(changes: dict) -> None:
    fields = {
        "publication_id": 1,
        "title": "t",
        "text": "x",
        "reading_text": "x",
        "priority": "normal",
        "slot": "morning",
        "repeats": 2,
        "scheduled_at": item(1).scheduled_at,
    }
    with pytest.raises(ValueError):
        BulletinItem(**{**fields, **changes})


def test_item_text_is_nfc() -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Kính thưa bà con")
    built = item(1, text=decomposed)
    assert built.text == unicodedata.normalize("NFC", decomposed)


def test_shipped_template() -> None:
    template = load_template(REPO / "config" / "loudspeaker.yaml")
    assert template == default_template()
    assert template.opening == (
        "Đây là Đài truyền thanh {commune_kind} {commune_name}.",
        "Kính thưa bà con nhân dân!",
    )
    assert template.slot_times == {"morning": "06:00", "evening": "17:30"}
    assert template.priority_labels == {
        "emergency": "Khẩn cấp",
        "priority": "Ưu tiên",
        "normal": "Thông thường",
    }
    assert set(template.default_repeats) == {"emergency", "priority", "normal"}


def test_parse_template_overrides_only_what_is_given() -> None:
    template = parse_template(
        "closing: 'UBND {commune_kind} {commune_name} trân trọng thông báo.'\n"
        "slots:\n  evening:\n    time: '18:00'\n"
    )
    assert template.closing == ("UBND {commune_kind} {commune_name} trân trọng thông báo.",)
    assert template.slot_times == {"morning": "06:00", "evening": "18:00"}
    assert template.opening == StationTemplate().opening
    assert parse_template("") == StationTemplate()


@pytest.mark.parametrize(
    "yaml_text",
    [
        "opening: 'Đây là {station}'\n",
        "opening: []\n",
        "slots:\n  noon:\n    time: '12:00'\n",
        "slots:\n  morning:\n    time: '6h'\n",
        "priorities:\n  urgent: Gấp\n",
        "default_repeats:\n  normal: 0\n",
        "- a\n",
        "opening: [\n",
    ],
)
def test_parse_template_rejects(yaml_text: str) -> None:
    with pytest.raises(ValueError):
        parse_template(yaml_text)
