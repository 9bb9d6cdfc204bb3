"""Playbooks: parsing, every validation error, the shipped default."""

from __future__ import annotations

import copy
import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from publisher.planning.errors import PlaybookInvalid
from publisher.planning.kinds import channel_kinds
from publisher.planning.playbooks import (
    Step,
    load_playbook,
    load_playbooks,
    parse_playbook,
    playbook_from_dict,
    playbook_to_dict,
    shipped_playbooks_dir,
)
from publisher.planning.templates import load_templates, shipped_templates_dir

VALID_YAML = """
slug: thu-nghiem
name: Kịch bản thử nghiệm
description: Hai bước.
steps:
  - key: announce
    offset_days: -7
    at: "09:00"
    channels: [fanpage, rss]
    template: announcement
  - key: speaker
    offset_days: -3
    slot: evening
    channels: [loudspeaker]
    template: loudspeaker_notice
    priority: priority
    repeats: 3
"""


def valid() -> dict[str, Any]:
    return {
        "slug": "thu-nghiem",
        "name": "Kịch bản thử nghiệm",
        "steps": [
            {"key": "a", "offset_days": -7, "at": "09:00", "channels": ["fanpage"],
             "template": "announcement"},
            {"key": "b", "slot": "morning", "channels": ["loudspeaker"],
             "template": "loudspeaker_notice"},
        ],
    }  # fmt: skip


def errors_of(data: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(PlaybookInvalid) as caught:
        playbook_from_dict(data, **kwargs)
    return caught.value.errors


def test_parse_valid_yaml() -> None:
    playbook = parse_playbook(VALID_YAML)
    assert playbook.slug == "thu-nghiem"
    assert playbook.name == "Kịch bản thử nghiệm"
    assert playbook.description == "Hai bước."
    assert playbook.steps == (
        Step(key="announce", offset_days=-7, at=time(9, 0), channels=("fanpage", "rss"),
             template="announcement"),
        Step(key="speaker", offset_days=-3, slot="evening", channels=("loudspeaker",),
             template="loudspeaker_notice", priority="priority", repeats=3),
    )  # fmt: skip


def test_defaults_of_a_step() -> None:
    step = playbook_from_dict(valid()).step("b")
    assert (step.offset_days, step.priority, step.repeats, step.when, step.asap) == (
        0,
        "normal",
        2,
        "always",
        False,
    )


def test_round_trip_through_json() -> None:
    playbook = parse_playbook(VALID_YAML)
    stored = json.loads(json.dumps(playbook_to_dict(playbook)))
    assert stored["steps"][0]["at"] == "09:00"
    assert playbook_from_dict(stored) == playbook


def test_channels_all_means_every_kind() -> None:
    data = valid()
    data["steps"][0]["channels"] = "all"
    kinds = playbook_from_dict(data).steps[0].channels
    assert kinds == channel_kinds()
    assert {"fanpage", "rss", "loudspeaker", "webhook"} <= set(kinds)


def test_step_lookup_by_key() -> None:
    playbook = playbook_from_dict(valid())
    assert playbook.step("a").template == "announcement"
    with pytest.raises(KeyError):
        playbook.step("missing")


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(PlaybookInvalid) as caught:
        parse_playbook("slug: x\nsteps: [\n")
    assert "dòng" in caught.value.errors["yaml"]


def test_unquoted_time_gets_a_hint() -> None:
    # YAML 1.1 reads 17:30 as the base-60 integer 1050.
    text = VALID_YAML.replace('at: "09:00"', "at: 17:30")
    with pytest.raises(PlaybookInvalid) as caught:
        parse_playbook(text)
    assert "ngoặc kép" in caught.value.errors["steps[0].at"]


def test_root_must_be_a_mapping() -> None:
    assert "playbook" in errors_of(["not", "a", "mapping"])


# (field path expected in the errors, changes to step 0; None removes the field)
STEP_CASES = [
    ("steps[0].key", {"key": None}),
    ("steps[0].key", {"key": "Bước 1"}),
    ("steps[0].tempalte", {"tempalte": "x"}),
    ("steps[0].at", {"slot": "morning", "channels": ["loudspeaker"]}),
    ("steps[0].at", {"at": None}),
    ("steps[0].at", {"at": "25:00"}),
    ("steps[0].at", {"at": "9h"}),
    ("steps[0].slot", {"at": None, "slot": "noon", "channels": ["loudspeaker"]}),
    ("steps[0].slot", {"at": None, "slot": "morning", "channels": ["fanpage", "loudspeaker"]}),
    ("steps[0].offset_days", {"at": None, "asap": True}),
    ("steps[0].asap", {"asap": "yes"}),
    ("steps[0].offset_days", {"offset_days": "-7"}),
    ("steps[0].offset_days", {"offset_days": True}),
    ("steps[0].offset_days", {"offset_days": 400}),
    ("steps[0].channels", {"channels": None}),
    ("steps[0].channels", {"channels": []}),
    ("steps[0].channels[1]", {"channels": ["fanpage", "fanpge"]}),
    ("steps[0].channels[1]", {"channels": ["fanpage", "fanpage"]}),
    ("steps[0].template", {"template": None}),
    ("steps[0].template", {"template": "Thông báo"}),
    ("steps[0].priority", {"priority": "urgent"}),
    ("steps[0].repeats", {"repeats": 0}),
    ("steps[0].repeats", {"repeats": 11}),
    ("steps[0].repeats", {"repeats": "2"}),
    ("steps[0].when", {"when": "sometimes"}),
]


@pytest.mark.parametrize(("path", "changes"), STEP_CASES)
def test_step_validation_errors(path: str, changes: dict[str, Any]) -> None:
    data = valid()
    for name, value in changes.items():
        if value is None:
            data["steps"][0].pop(name, None)
        else:
            data["steps"][0][name] = value
    errors = errors_of(data)
    assert path in errors, errors
    assert errors[path].strip()


@pytest.mark.parametrize(
    ("path", "changes"),
    [
        ("slug", {"slug": None}),
        ("slug", {"slug": "Mặc định"}),
        ("name", {"name": None}),
        ("name", {"name": "   "}),
        ("name", {"name": "x" * 201}),
        ("description", {"description": ["a"]}),
        ("steps", {"steps": None}),
        ("steps", {"steps": []}),
        ("steps", {"steps": "announce"}),
        ("steps[0]", {"steps": ["announce"]}),
        ("step", {"step": []}),
    ],
)
def test_top_level_validation_errors(path: str, changes: dict[str, Any]) -> None:
    data = valid()
    for name, value in changes.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    assert path in errors_of(data)


def test_too_many_steps() -> None:
    data = valid()
    data["steps"] = [dict(data["steps"][0], key=f"s{i}") for i in range(101)]
    assert "Tối đa 100" in errors_of(data)["steps"]


def test_duplicate_step_keys() -> None:
    data = valid()
    data["steps"][1]["key"] = "a"
    assert "trùng" in errors_of(data)["steps[1].key"]


def test_misspellings_get_suggestions() -> None:
    data = valid()
    data["stepz"] = []
    data["steps"][0]["tempalte"] = "x"
    data["steps"][0]["channels"] = ["fanpge"]
    errors = errors_of(data)
    assert "có phải “steps”?" in errors["stepz"]
    assert "có phải “template”?" in errors["steps[0].tempalte"]
    assert "có phải “fanpage”?" in errors["steps[0].channels[0]"]


def test_unknown_template_when_templates_are_known() -> None:
    data = valid()
    data["steps"][0]["template"] = "anouncement"
    errors = errors_of(data, known_templates={"announcement", "loudspeaker_notice"})
    assert "có phải “announcement”?" in errors["steps[0].template"]


def test_all_errors_are_reported_at_once() -> None:
    data = copy.deepcopy(valid())
    data["slug"] = "Sai"
    data["steps"][0]["priority"] = "urgent"
    data["steps"][1]["repeats"] = 0
    assert set(errors_of(data)) == {"slug", "steps[0].priority", "steps[1].repeats"}


def test_error_is_a_value_error_in_both_languages() -> None:
    with pytest.raises(ValueError) as caught:
        playbook_from_dict({"slug": "x"})
    assert "Kịch bản không hợp lệ" in str(caught.value)
    assert "invalid playbook" in str(caught.value)


def test_default_playbook() -> None:
    templates = load_templates(shipped_templates_dir())
    playbook = load_playbook(shipped_playbooks_dir() / "default.yaml", known_templates=templates)
    assert playbook.slug == "default"
    assert playbook.name == "Mặc định cho đợt hiến máu"
    summary = [
        (s.key, s.offset_days, s.at, s.slot, s.asap, s.channels, s.template, s.priority, s.when)
        for s in playbook.steps
    ]
    assert summary == [
        ("announcement", -7, time(9), None, False, ("fanpage", "rss"), "announcement",
         "normal", "always"),
        ("loudspeaker_morning", -3, None, "morning", False, ("loudspeaker",),
         "loudspeaker_notice", "normal", "always"),
        ("loudspeaker_evening", -3, None, "evening", False, ("loudspeaker",),
         "loudspeaker_notice", "normal", "always"),
        ("poster", -1, time(8), None, False, ("fanpage",), "poster_caption", "normal", "always"),
        ("drive_day", 0, None, "morning", False, ("loudspeaker",), "drive_day_reminder",
         "priority", "always"),
        ("thanks", 1, time(10), None, False, ("fanpage", "rss"), "thanks", "normal", "always"),
        ("cancellation", 0, None, None, True, channel_kinds(), "cancellation", "priority",
         "cancelled"),
    ]  # fmt: skip
    assert templates["poster_caption"].kind == "poster"


def test_load_playbooks_refuses_a_slug_used_twice(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID_YAML, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID_YAML, encoding="utf-8")
    with pytest.raises(PlaybookInvalid) as caught:
        load_playbooks(tmp_path)
    assert "b.yaml:slug" in caught.value.errors


def test_load_playbooks_keys_errors_by_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("slug: Sai\n", encoding="utf-8")
    with pytest.raises(PlaybookInvalid) as caught:
        load_playbooks(tmp_path)
    assert {"bad.yaml:slug", "bad.yaml:name", "bad.yaml:steps"} <= set(caught.value.errors)


def test_shipped_playbooks_all_load() -> None:
    templates = load_templates(shipped_templates_dir())
    assert "default" in load_playbooks(shipped_playbooks_dir(), known_templates=templates)
