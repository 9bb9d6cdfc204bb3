"""What planning answers: the items of a plan, its notes and conflicts, as dataclasses and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from publisher.planning.rules import Conflict

# Why planning leaves a step out (``PlanItem.skip_reason``); the API's machine-readable codes.
SKIP_REASONS = ("past", "quiet_hours", "after_deadline", "duplicate")


@dataclass
class PlanItem:
    """One publication of the plan: to create (dry run), created now, or there already."""

    plan_key: str
    drive_id: int | None
    channel_id: int
    channel_slug: str
    channel_kind: str
    step: str
    template: str
    scheduled_at: datetime
    expires_at: datetime | None
    priority: str
    slot: str | None
    repeats: int
    title: str
    publication_id: int | None = None
    status: str = "new"  # "new" in a dry run, else the publication's status
    action: str = "create"  # create (dry run) | created | exists | skipped
    render_context: dict[str, Any] = field(default_factory=dict, repr=False)
    # Why a step is not scheduled: a code from SKIP_REASONS and the words an editor reads.
    skip_reason: str | None = None
    skip_message: str | None = None
    # The playbook's time when a channel rule moved the item (quiet hours, or an accepted hint).
    moved_from: datetime | None = None

    def skip(self, reason: str, message: str) -> None:
        """Mark the item as not to be created, with a reason code and its Vietnamese wording."""
        self.action, self.skip_reason, self.skip_message = "skipped", reason, message

    def move(self, when: datetime) -> None:
        """Schedule the item at ``when`` instead of the playbook's time, remembering that time."""
        if self.moved_from is None:
            self.moved_from = self.scheduled_at
        self.scheduled_at = when

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_key": self.plan_key,
            "drive_id": self.drive_id,
            "channel_id": self.channel_id,
            "channel_slug": self.channel_slug,
            "channel_kind": self.channel_kind,
            "step": self.step,
            "template": self.template,
            "scheduled_at": iso(self.scheduled_at),
            "expires_at": iso(self.expires_at),
            "priority": self.priority,
            "slot": self.slot,
            "repeats": self.repeats,
            "title": self.title,
            "publication_id": self.publication_id,
            "status": self.status,
            "action": self.action,
            "skip_reason": self.skip_reason,
            "skip_message": self.skip_message,
            "moved_from": iso(self.moved_from),
        }


@dataclass(frozen=True)
class PlanNote:
    """Something that produced no item, and why (in Vietnamese)."""

    drive_id: int | None
    step: str | None
    kind: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "drive_id": self.drive_id,
            "step": self.step,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class PlanResult:
    """What ``plan_campaign`` did (or, for a dry run, would do)."""

    dry_run: bool
    created: int = 0
    skipped_existing: int = 0
    items: list[PlanItem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[PlanNote] = field(default_factory=list)
    # What planning did about each conflict, by item key: moved | skipped | kept.
    resolutions: dict[str, str] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Steps that are not scheduled (past, quiet hours with no time left, duplicates)."""
        return sum(1 for item in self.items if item.action == "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "skipped_existing": self.skipped_existing,
            "skipped": self.skipped,
            "items": [item.as_dict() for item in self.items],
            "conflicts": [
                {
                    "key": c.key,
                    "kind": c.kind,
                    "message": c.message_vi,
                    "suggestion": iso(c.suggestion),
                    "resolution": self.resolutions.get(c.key, "kept"),
                }
                for c in self.conflicts
            ],
            "notes": [note.as_dict() for note in self.notes],
        }


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``, as the API writes times."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
