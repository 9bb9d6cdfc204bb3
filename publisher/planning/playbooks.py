"""Playbooks: what to publish, where and when, relative to a donation drive.

A playbook is a list of steps. Each step says on which day relative to the
drive (``offset_days``), at what local time (``at``), broadcast slot
(``slot``) or as soon as possible (``asap``), through which kinds of channel,
with which content template, at what priority. The YAML shipped in
``config/playbooks/`` and the JSON the API stores go through the same
validation, so an API client gets the same field paths (``steps[2].at``) as
someone editing a file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from publisher.planning.errors import PlaybookInvalid
from publisher.planning.kinds import channel_kinds, kinds_hint, only_slot_kinds, slot_kinds_vi

SLOTS = ("morning", "evening")
PRIORITIES = ("normal", "priority", "emergency")
CONDITIONS = ("always", "cancelled")

MAX_STEPS = 100
MAX_OFFSET_DAYS = 366
MAX_REPEATS = 10

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_STEP_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TEMPLATE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

_TOP_KEYS = {"slug", "name", "description", "steps"}
_STEP_KEYS = {
    "key",
    "offset_days",
    "at",
    "slot",
    "asap",
    "channels",
    "template",
    "priority",
    "repeats",
    "when",
}


@dataclass(frozen=True, kw_only=True)
class Step:
    """One action of a playbook; exactly one of ``at``, ``slot`` and ``asap`` is set."""

    key: str
    offset_days: int = 0
    at: time | None = None
    slot: str | None = None
    asap: bool = False
    channels: tuple[str, ...]
    template: str
    priority: str = "normal"
    repeats: int = 2
    when: str = "always"

    def applies_to(self, *, cancelled: bool) -> bool:
        """Whether the step runs for a drive that is (or is not) cancelled."""
        return (self.when == "cancelled") == cancelled


@dataclass(frozen=True, kw_only=True)
class Playbook:
    """A named, ordered set of steps applied to each drive of a campaign."""

    slug: str
    name: str
    description: str = ""
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def step(self, key: str) -> Step:
        """The step with this key (``KeyError`` if there is none)."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


def parse_playbook(yaml_text: str, *, known_templates: Collection[str] | None = None) -> Playbook:
    """Parse and validate a playbook written in YAML.

    With ``known_templates``, a step naming a template that does not exist is an error.
    """
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookInvalid({"yaml": f"Lỗi cú pháp YAML{where}: {problem}"}) from exc
    return playbook_from_dict(data, known_templates=known_templates)


def playbook_from_dict(data: Any, *, known_templates: Collection[str] | None = None) -> Playbook:
    """Validate a mapping (decoded YAML or stored JSON) into a :class:`Playbook`."""
    errors: dict[str, str] = {}
    if not isinstance(data, Mapping):
        raise PlaybookInvalid({"playbook": "Kịch bản phải là một bảng khóa–giá trị (mapping)."})
    for unknown in sorted(set(map(str, data)) - _TOP_KEYS):
        errors[unknown] = _unknown_key_message(unknown, _TOP_KEYS)

    slug = data.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug) or len(slug) > 80:
        errors["slug"] = "Cần mã kịch bản gồm chữ thường không dấu, số và gạch nối (vd. mac-dinh)."
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "Cần tên kịch bản."
    elif len(name) > 200:
        errors["name"] = "Tên kịch bản dài quá 200 ký tự."
    description = data.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        errors["description"] = "Mô tả phải là văn bản."

    steps: list[Step] = []
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        errors["steps"] = "Cần danh sách bước (steps) có ít nhất một bước."
    elif len(raw_steps) > MAX_STEPS:
        errors["steps"] = f"Tối đa {MAX_STEPS} bước."
    else:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_steps):
            step = _parse_step(raw, f"steps[{index}]", errors, known_templates)
            if step is None:
                continue
            if step.key in seen:
                errors[f"steps[{index}].key"] = (
                    f"Mã bước “{step.key}” bị trùng với steps[{seen[step.key]}]."
                )
            else:
                seen[step.key] = index
            steps.append(step)

    if errors:
        raise PlaybookInvalid(errors)
    return Playbook(
        slug=slug,
        name=name.strip(),
        description=description.strip(),
        steps=tuple(steps),
    )


def playbook_to_dict(playbook: Playbook) -> dict[str, Any]:
    """A JSON-ready mapping that :func:`playbook_from_dict` turns back into ``playbook``."""
    return {
        "slug": playbook.slug,
        "name": playbook.name,
        "description": playbook.description,
        "steps": [_step_to_dict(step) for step in playbook.steps],
    }


def load_playbook(path: Path, *, known_templates: Collection[str] | None = None) -> Playbook:
    """Read and validate one playbook file."""
    return parse_playbook(path.read_text(encoding="utf-8"), known_templates=known_templates)


def load_playbooks(
    directory: Path, *, known_templates: Collection[str] | None = None
) -> dict[str, Playbook]:
    """Every ``*.yaml`` playbook in ``directory``, by slug; errors are keyed by file name."""
    playbooks: dict[str, Playbook] = {}
    errors: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            playbook = load_playbook(path, known_templates=known_templates)
        except PlaybookInvalid as exc:
            errors.update({f"{path.name}:{key}": message for key, message in exc.errors.items()})
            continue
        if playbook.slug in playbooks:
            errors[f"{path.name}:slug"] = f"Mã kịch bản “{playbook.slug}” đã dùng ở tệp khác."
        playbooks[playbook.slug] = playbook
    if errors:
        raise PlaybookInvalid(errors)
    return playbooks


def shipped_playbooks_dir() -> Path:
    """``config/playbooks`` of this source tree."""
    return Path(__file__).resolve().parents[2] / "config" / "playbooks"


def _step_to_dict(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"key": step.key}
    if step.asap:
        out["asap"] = True
    else:
        out["offset_days"] = step.offset_days
        if step.at is not None:
            out["at"] = f"{step.at:%H:%M}"
        else:
            out["slot"] = step.slot
    out.update(
        channels=list(step.channels),
        template=step.template,
        priority=step.priority,
        repeats=step.repeats,
        when=step.when,
    )
    return out


def _parse_step(
    raw: Any, path: str, errors: dict[str, str], known_templates: Collection[str] | None
) -> Step | None:
    if not isinstance(raw, Mapping):
        errors[path] = "Mỗi bước phải là một bảng khóa–giá trị."
        return None
    before = len(errors)
    for unknown in sorted(set(map(str, raw)) - _STEP_KEYS):
        errors[f"{path}.{unknown}"] = _unknown_key_message(unknown, _STEP_KEYS)

    key = raw.get("key")
    if not isinstance(key, str) or not _STEP_KEY.match(key):
        errors[f"{path}.key"] = "Cần mã bước gồm chữ thường không dấu, số, “_” hoặc “-”."

    at, slot, asap = raw.get("at"), raw.get("slot"), raw.get("asap", False)
    if asap is not True and asap is not False:
        errors[f"{path}.asap"] = "asap chỉ nhận true hoặc false."
        asap = False
    chosen = [name for name, value in (("at", at), ("slot", slot), ("asap", asap)) if value]
    if len(chosen) != 1:
        errors[f"{path}.at"] = "Cần đúng một trong at (giờ “HH:MM”), slot hoặc asap: true."
    parsed_at = _parse_at(at, f"{path}.at", errors) if at is not None else None
    if slot is not None and slot not in SLOTS:
        errors[f"{path}.slot"] = "Khung giờ loa chỉ nhận morning (sáng) hoặc evening (chiều)."

    offset = raw.get("offset_days", 0)
    if asap and "offset_days" in raw:
        errors[f"{path}.offset_days"] = "Bước asap chạy ngay, không dùng offset_days."
    elif not _is_int(offset) or abs(offset) > MAX_OFFSET_DAYS:
        errors[f"{path}.offset_days"] = (
            f"offset_days là số nguyên ngày so với ngày hiến máu (từ -{MAX_OFFSET_DAYS} "
            f"đến {MAX_OFFSET_DAYS}; số âm là trước ngày hiến máu)."
        )

    channels = _parse_channels(raw.get("channels"), f"{path}.channels", errors)
    if slot is not None and channels and not only_slot_kinds(channels):
        errors[f"{path}.slot"] = (
            f"Khung giờ (slot) chỉ dùng cho bước gửi riêng kênh {slot_kinds_vi()}."
        )

    template = raw.get("template")
    if not isinstance(template, str) or not _TEMPLATE_KEY.match(template):
        errors[f"{path}.template"] = "Cần mã mẫu nội dung (chữ thường không dấu, số, “_”)."
    elif known_templates is not None and template not in known_templates:
        errors[f"{path}.template"] = _unknown_name_message(
            f"Không có mẫu nội dung “{template}”", template, known_templates
        )

    priority = raw.get("priority", "normal")
    if priority not in PRIORITIES:
        errors[f"{path}.priority"] = "Mức ưu tiên chỉ nhận normal, priority hoặc emergency."
    repeats = raw.get("repeats", 2)
    if not _is_int(repeats) or not 1 <= repeats <= MAX_REPEATS:
        errors[f"{path}.repeats"] = f"Số lần đọc mỗi buổi là số nguyên từ 1 đến {MAX_REPEATS}."
    when = raw.get("when", "always")
    if when not in CONDITIONS:
        errors[f"{path}.when"] = "when chỉ nhận always hoặc cancelled (chỉ khi đợt bị hủy)."

    if len(errors) > before:
        return None
    return Step(
        key=key,
        offset_days=0 if asap else offset,
        at=parsed_at,
        slot=slot,
        asap=asap,
        channels=channels,
        template=template,
        priority=priority,
        repeats=repeats,
        when=when,
    )


def _parse_at(value: Any, path: str, errors: dict[str, str]) -> time | None:
    if _is_int(value):
        # YAML 1.1 reads an unquoted 17:30 as the base-60 integer 1050.
        errors[path] = 'Hãy viết giờ trong ngoặc kép, ví dụ at: "17:30".'
        return None
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        errors[path] = "Giờ phải theo dạng “HH:MM” (giờ địa phương), ví dụ “09:00”."
        return None
    return time(int(match[1]), int(match[2]))


def _parse_channels(value: Any, path: str, errors: dict[str, str]) -> tuple[str, ...]:
    known = channel_kinds()
    if value == "all":
        return known
    if not isinstance(value, list) or not value:
        errors[path] = f"Cần danh sách loại kênh ({kinds_hint()}) hoặc “all”."
        return ()
    kinds: list[str] = []
    for index, kind in enumerate(value):
        if kind not in known:
            errors[f"{path}[{index}]"] = _unknown_name_message(
                f"Không có loại kênh “{kind}”", str(kind), known
            )
        elif kind in kinds:
            errors[f"{path}[{index}]"] = f"Loại kênh “{kind}” bị lặp."
        else:
            kinds.append(kind)
    return tuple(kinds)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown_key_message(key: str, allowed: Collection[str]) -> str:
    return _unknown_name_message(f"Không có trường “{key}”", key, allowed)


def _unknown_name_message(prefix: str, name: str, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
    return f"{prefix}; có phải “{close[0]}”?" if close else f"{prefix}."
