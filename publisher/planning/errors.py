"""Errors raised by campaign planning.

Every error carries a Vietnamese message for editors and an English one for logs
and the API's ``detail``; validation errors also carry per-field messages keyed by
a field path (``steps[2].at``) that the API returns as problem+json ``errors``.
"""

from __future__ import annotations

from collections.abc import Mapping


class PlanningError(ValueError):
    """Base of planning errors; ``str()`` gives both languages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi = message_vi
        self.message_en = message_en


class ValidationFailed(PlanningError):
    """A document (playbook, template set, channel rules) has invalid fields."""

    what_vi = "Tài liệu"
    what_en = "document"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        listing = "; ".join(f"{path}: {message}" for path, message in self.errors.items())
        super().__init__(
            f"{self.what_vi} không hợp lệ: {listing}",
            f"invalid {self.what_en} ({len(self.errors)} error(s)): {listing}",
        )


class PlaybookInvalid(ValidationFailed):
    """A playbook failed validation; ``errors`` maps field paths to Vietnamese messages."""

    what_vi = "Kịch bản"
    what_en = "playbook"


class TemplateInvalid(ValidationFailed):
    """A template file failed validation; ``errors`` maps ``key.field`` to messages."""

    what_vi = "Mẫu nội dung"
    what_en = "template set"


class RulesInvalid(ValidationFailed):
    """A channel's planning rules failed validation."""

    what_vi = "Quy tắc kênh"
    what_en = "channel rules"


class TemplateError(PlanningError):
    """A template cannot be rendered for this drive (bad placeholder or missing value)."""

    def __init__(self, message_vi: str, message_en: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message_vi, message_en)
        # Placeholders whose value the drive or campaign does not have yet.
        self.missing = missing


class RecurrenceInvalid(PlanningError):
    """An RRULE is malformed, nonsensical for a campaign, or yields too many dates."""
