"""Reading what people typed into forms: local times, numbers, lists; errors in Vietnamese."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from content_library.sanitize import nfc
from publisher.times import LOCAL_TZ


class FormErrors(dict[str, str]):
    """Field name → Vietnamese message; truthy when something is wrong."""


class Form:
    """A posted form with typed getters that collect errors instead of raising."""

    def __init__(self, data: MultiDict[str, str]) -> None:
        self.data = data
        self.errors = FormErrors()

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int = 10_000,
        label: str = "Trường này",
    ) -> str:
        value = nfc(self.data.get(name, "") or "").strip()
        if required and not value:
            self.errors[name] = f"{label} không được để trống."
        elif len(value) > max_length:
            self.errors[name] = f"{label} dài quá {max_length} ký tự."
        return value

    def integer(
        self,
        name: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        required: bool = False,
        label: str = "Giá trị",
    ) -> int | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = f"{label} không được để trống."
            return None
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = f"{label} phải là số nguyên."
            return None
        if minimum is not None and value < minimum:
            self.errors[name] = f"{label} phải từ {minimum} trở lên."
        elif maximum is not None and value > maximum:
            self.errors[name] = f"{label} tối đa là {maximum}."
        return value

    def local_datetime(
        self, name: str, *, required: bool = False, label: str = "Thời gian"
    ) -> datetime | None:
        """A ``datetime-local`` value read as Asia/Ho_Chi_Minh time, returned in UTC."""
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = f"{label} không được để trống."
            return None
        value = parse_local_datetime(raw)
        if value is None:
            self.errors[name] = f"{label} không đúng dạng ngày giờ."
        return value

    def date(self, name: str, *, required: bool = False, label: str = "Ngày") -> date | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            if required:
                self.errors[name] = f"{label} không được để trống."
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = f"{label} không đúng dạng ngày."
            return None

    def choice(
        self, name: str, choices: Any, *, required: bool = True, label: str = "Lựa chọn"
    ) -> str | None:
        value = (self.data.get(name) or "").strip()
        if not value and not required:
            return None
        if value not in choices:
            self.errors[name] = f"{label} không hợp lệ."
            return None
        return value

    def flag(self, name: str) -> bool:
        return self.data.get(name) in ("1", "on", "true", "yes")

    def tags(self, name: str) -> list[str]:
        raw = nfc(self.data.get(name, "") or "")
        seen: dict[str, None] = {}
        for part in re.split(r"[,;\n]", raw):
            tag = part.strip()
            if tag:
                seen.setdefault(tag[:60], None)
        return list(seen)[:30]


def parse_local_datetime(raw: str) -> datetime | None:
    """'2025-06-14T07:30' (local) → aware UTC; None when unreadable."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def parse_hhmm(raw: str | None) -> str | None:
    """'7:30' → '07:30'; None when empty or unreadable."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (raw or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"
