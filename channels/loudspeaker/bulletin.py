"""A commune's daily bulletin: the items to read per session, in order, with durations.

Pure dataclasses: the database decides which items a commune's bulletin holds
for a day (released, not withdrawn, still valid); this module orders them,
groups them by session and estimates how long reading takes.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from channels.loudspeaker.reading import DEFAULT_RATE_PER_MINUTE, reading_seconds

PRIORITIES = ("emergency", "priority", "normal")
SLOTS = ("morning", "evening")
COMMUNE_KINDS = ("xã", "phường")
DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "config" / "loudspeaker.yaml"

_PLACEHOLDERS = frozenset({"commune_kind", "commune_name", "issuer", "slot_name"})
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_COMMUNE_CODE = re.compile(r"\d{5}")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_hhmm(value: object) -> bool:
    """True for a 24-hour "HH:MM" string."""
    return isinstance(value, str) and _HHMM.fullmatch(value) is not None


@dataclass(frozen=True)
class LanguageVariant:
    """The same notice in a local language (e.g. "hmn" Mông), shown beside the Vietnamese."""

    language: str
    language_name: str
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "language_name", _nfc(self.language_name))
        object.__setattr__(self, "text", _nfc(self.text))


@dataclass(frozen=True)
class BulletinItem:
    """One released notice. ``reading_text`` is the spelled-out version read aloud."""

    publication_id: int
    title: str
    text: str
    reading_text: str
    priority: str
    slot: str
    repeats: int
    scheduled_at: datetime
    valid_until: datetime | None = None
    variants: tuple[LanguageVariant, ...] = ()
    # A person's reading attached to the approved version: it replaces synthetic speech,
    # and its length replaces the estimate from the syllables.
    recording_sha256: str | None = None
    recording_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        if self.slot not in SLOTS:
            raise ValueError(f"slot must be one of {', '.join(SLOTS)}")
        if isinstance(self.repeats, bool) or not isinstance(self.repeats, int):
            raise ValueError("repeats must be an integer")
        if self.repeats < 1:
            raise ValueError("repeats must be at least 1")
        for name in ("scheduled_at", "valid_until"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name} must be timezone-aware")
        for name in ("title", "text", "reading_text"):
            object.__setattr__(self, name, _nfc(getattr(self, name)))
        object.__setattr__(self, "variants", tuple(self.variants))


@dataclass(frozen=True)
class StationTemplate:
    """The station's fixed wording, session names and times, priority labels and repeats."""

    opening: tuple[str, ...] = (
        "Đây là Đài truyền thanh {commune_kind} {commune_name}.",
        "Kính thưa bà con nhân dân!",
    )
    closing: tuple[str, ...] = ("{issuer} trân trọng thông báo!",)
    issuer: str = "Ủy ban nhân dân {commune_kind} {commune_name}"
    empty_notice: str = "Trong {slot_name} nay, Đài không có thông báo mới."
    slot_names: Mapping[str, str] = field(
        default_factory=lambda: {"morning": "Buổi sáng", "evening": "Buổi chiều"}
    )
    slot_times: Mapping[str, str] = field(
        default_factory=lambda: {"morning": "06:00", "evening": "17:30"}
    )
    priority_labels: Mapping[str, str] = field(
        default_factory=lambda: {
            "emergency": "Khẩn cấp",
            "priority": "Ưu tiên",
            "normal": "Thông thường",
        }
    )
    default_repeats: Mapping[str, int] = field(
        default_factory=lambda: {"emergency": 3, "priority": 3, "normal": 2}
    )

    def fill(self, line: str, commune_kind: str, commune_name: str, slot: str = "") -> str:
        """A template line with the commune and session filled in."""
        issuer = self.issuer.format(
            commune_kind=commune_kind, commune_name=commune_name, issuer="", slot_name=""
        )
        slot_name = self.slot_names.get(slot, "").lower()
        return line.format(
            commune_kind=commune_kind,
            commune_name=commune_name,
            issuer=issuer,
            slot_name=slot_name,
        )


def _check_line(name: str, line: Any) -> str:
    if not isinstance(line, str) or not line.strip():
        raise ValueError(f"{name} must be a non-empty string")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(line) if f is not None}
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error
    unknown = fields - _PLACEHOLDERS
    if unknown:
        raise ValueError(f"{name}: unknown placeholder {{{sorted(unknown)[0]}}}")
    return _nfc(line.strip())


def _lines(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"{name} must be a list of lines")
    return tuple(_check_line(f"{name}[{i}]", line) for i, line in enumerate(value))


def parse_template(yaml_text: str) -> StationTemplate:
    """Parse ``config/loudspeaker.yaml``; keys left out keep the built-in wording."""
    try:
        data = yaml.safe_load(yaml_text) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"station template is not valid YAML: {error}") from error
    if not isinstance(data, Mapping):
        raise ValueError("station template must be a mapping")
    template = StationTemplate()
    changes: dict[str, Any] = {}
    for key in ("opening", "closing"):
        if key in data:
            changes[key] = _lines(key, data[key])
    for key in ("issuer", "empty_notice"):
        if key in data:
            changes[key] = _check_line(key, data[key])
    if "slots" in data:
        names, times = dict(template.slot_names), dict(template.slot_times)
        for slot, spec in (data["slots"] or {}).items():
            if slot not in SLOTS or not isinstance(spec, Mapping):
                raise ValueError(f"slots: unknown session {slot!r}")
            if "name" in spec:
                names[slot] = _check_line(f"slots.{slot}.name", spec["name"])
            if "time" in spec:
                if not is_hhmm(spec["time"]):
                    raise ValueError(f"slots.{slot}.time must be HH:MM")
                times[slot] = spec["time"]
        changes["slot_names"], changes["slot_times"] = names, times
    if "priorities" in data:
        labels = dict(template.priority_labels)
        for priority, label in (data["priorities"] or {}).items():
            if priority not in PRIORITIES:
                raise ValueError(f"priorities: unknown priority {priority!r}")
            labels[priority] = _check_line(f"priorities.{priority}", label)
        changes["priority_labels"] = labels
    if "default_repeats" in data:
        repeats = dict(template.default_repeats)
        for priority, count in (data["default_repeats"] or {}).items():
            if priority not in PRIORITIES or not isinstance(count, int) or count < 1:
                raise ValueError(f"default_repeats.{priority} must be a positive integer")
            repeats[priority] = count
        changes["default_repeats"] = repeats
    return replace(template, **changes)


def load_template(path: str | Path) -> StationTemplate:
    """Read and parse a station template file."""
    return parse_template(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_template() -> StationTemplate:
    """The template in ``config/loudspeaker.yaml`` (parsed once, then cached)."""
    return load_template(DEFAULT_TEMPLATE_PATH)


@dataclass(frozen=True)
class BulletinEntry:
    """An item placed in a session: its label and reading time once and in total."""

    item: BulletinItem
    priority_label: str
    seconds_once: int
    seconds: int


@dataclass(frozen=True)
class BulletinSlot:
    """One broadcast session: opening, the items in reading order, closing."""

    slot: str
    name: str
    time: str
    opening: tuple[str, ...]
    entries: tuple[BulletinEntry, ...]
    empty_notice: str | None
    closing: tuple[str, ...]
    seconds: int


@dataclass(frozen=True)
class Bulletin:
    """A commune's bulletin for one day."""

    commune_code: str
    commune_name: str
    commune_kind: str
    day: date
    slots: tuple[BulletinSlot, ...]
    seconds: int
    rate_per_minute: int
    # The unit that issues the bulletin (the template's ``issuer``, filled in).
    issuer: str = ""

    @property
    def title(self) -> str:
        """E.g. "Bản tin truyền thanh xã Bản Hon"."""
        return f"Bản tin truyền thanh {self.commune_kind} {self.commune_name}"

    @property
    def is_empty(self) -> bool:
        return not any(slot.entries for slot in self.slots)


def _seconds(lines: Iterable[str], rate: int, abbreviations: Mapping[str, str] | None) -> int:
    return sum(reading_seconds(line, rate, abbreviations) for line in lines)


def _order(item: BulletinItem) -> tuple[int, datetime, int]:
    return (PRIORITIES.index(item.priority), item.scheduled_at, item.publication_id)


def build_bulletin(
    commune_code: str,
    commune_name: str,
    commune_kind: str,
    day: date,
    items: Iterable[BulletinItem],
    template: StationTemplate | None = None,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    *,
    slot_times: Mapping[str, str] | None = None,
    abbreviations: Mapping[str, str] | None = None,
) -> Bulletin:
    """Group ``items`` by session (morning, evening) and order them by priority, then time.

    Durations are whole seconds, each read-aloud part rounded up: an item counts
    its reading time × repeats; a session adds its opening and closing (and the
    "no notices" line when empty); the total is the sum of the sessions.
    ``slot_times`` (a channel's ``slots`` setting) overrides the template's times.
    """
    if not _COMMUNE_CODE.fullmatch(commune_code or ""):
        raise ValueError("commune_code must be five digits")
    if commune_kind not in COMMUNE_KINDS:
        raise ValueError("commune_kind must be 'xã' or 'phường'")
    for slot, time in (slot_times or {}).items():
        if slot not in SLOTS or not is_hhmm(time):
            raise ValueError(f"slot_times: {slot!r} must be a session with an HH:MM time")
    template = template or default_template()
    times = {**template.slot_times, **(slot_times or {})}
    commune_name = _nfc(commune_name)
    by_slot: dict[str, list[BulletinItem]] = {slot: [] for slot in SLOTS}
    for item in items:
        by_slot[item.slot].append(item)
    slots: list[BulletinSlot] = []
    for slot in SLOTS:
        entries = []
        for item in sorted(by_slot[slot], key=_order):
            once = item.recording_seconds or reading_seconds(
                item.reading_text, rate_per_minute, abbreviations
            )
            entries.append(
                BulletinEntry(
                    item=item,
                    priority_label=template.priority_labels[item.priority],
                    seconds_once=once,
                    seconds=once * item.repeats,
                )
            )
        opening = tuple(
            template.fill(x, commune_kind, commune_name, slot) for x in template.opening
        )
        closing = tuple(
            template.fill(x, commune_kind, commune_name, slot) for x in template.closing
        )
        empty = None
        if not entries:
            empty = template.fill(template.empty_notice, commune_kind, commune_name, slot)
        spoken = [*opening, *closing, *([empty] if empty else [])]
        seconds = _seconds(spoken, rate_per_minute, abbreviations)
        seconds += sum(entry.seconds for entry in entries)
        slots.append(
            BulletinSlot(
                slot=slot,
                name=template.slot_names[slot],
                time=times[slot],
                opening=opening,
                entries=tuple(entries),
                empty_notice=empty,
                closing=closing,
                seconds=seconds,
            )
        )
    return Bulletin(
        commune_code=commune_code,
        commune_name=commune_name,
        commune_kind=commune_kind,
        day=day,
        slots=tuple(slots),
        seconds=sum(slot.seconds for slot in slots),
        rate_per_minute=rate_per_minute,
        issuer=template.fill("{issuer}", commune_kind, commune_name),
    )
