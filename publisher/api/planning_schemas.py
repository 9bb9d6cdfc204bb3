"""Request and answer schemas of the planning endpoints (``publisher.api.planning``)."""

from __future__ import annotations

from channels.registry import kinds
from publisher.api.framework import schema

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
DT = {"type": "string", "format": "date-time"}
NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}
KINDS = kinds()
HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}

schema(
    "PlaybookWrite",
    {
        "type": "object",
        "description": "Either the fields, or {yaml} alone (the text of a playbook file). "
        "Steps: {key, offset_days, at 'HH:MM' | slot morning|evening | asap true, channels "
        "[kinds] | 'all', template, priority, repeats, when always|cancelled}.",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "slug": {"type": "string", "maxLength": 80},
            "name": {"type": "string", "maxLength": 200},
            "description": {"type": ["string", "null"], "maxLength": 5000},
            "steps": {"type": "array", "maxItems": 100, "items": {"type": "object"}},
            "yaml": {"type": "string", "minLength": 1, "maxLength": 100000},
        },
    },
)
schema(
    "Playbook",
    {
        "type": "object",
        "required": ["id", "slug", "name", "description", "steps", "yaml"],
        "properties": {
            "id": ID,
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "object"}},
            "yaml": {"type": "string"},
            "created_at": NULLABLE_DT,
            "updated_at": NULLABLE_DT,
        },
    },
)
schema(
    "PlanRequest",
    {
        "type": "object",
        "required": ["playbook_id"],
        "additionalProperties": False,
        "properties": {
            "playbook_id": ID,
            "drive_ids": {"type": "array", "items": ID, "maxItems": 10000},
            "dry_run": {"type": "boolean", "description": "Preview only (default false)."},
            "accept_suggestions": {
                "type": "boolean",
                "description": "Create past or over-cap items at the suggested time instead of "
                "skipping (past) or keeping (daily cap) them. Quiet hours always move an item.",
            },
        },
    },
)
schema(
    "PlanResult",
    {
        "type": "object",
        "required": ["dry_run", "created", "skipped_existing", "items", "conflicts", "notes"],
        "properties": {
            "dry_run": {"type": "boolean"},
            "created": {"type": "integer"},
            "skipped_existing": {"type": "integer"},
            "skipped": {"type": "integer", "description": "Steps left out (see skip_reason)."},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "plan_key",
                        "drive_id",
                        "channel_id",
                        "channel_slug",
                        "step",
                        "scheduled_at",
                        "expires_at",
                        "priority",
                        "slot",
                        "title",
                        "publication_id",
                        "status",
                    ],
                    "properties": {
                        "plan_key": {"type": "string"},
                        "drive_id": {"type": ["integer", "null"]},
                        "channel_id": {"type": "integer"},
                        "channel_slug": {"type": "string"},
                        "channel_kind": {"type": "string"},
                        "step": {"type": "string"},
                        "template": {"type": "string"},
                        "scheduled_at": DT,
                        "expires_at": NULLABLE_DT,
                        "priority": {"type": "string"},
                        "slot": {"type": ["string", "null"]},
                        "repeats": {"type": "integer"},
                        "title": {"type": "string"},
                        "publication_id": {"type": ["integer", "null"]},
                        "status": {"type": "string"},
                        "action": {
                            "type": "string",
                            "enum": ["create", "created", "exists", "skipped"],
                        },
                        "skip_reason": {
                            "type": ["string", "null"],
                            "enum": ["past", "quiet_hours", "after_deadline", "duplicate", None],
                            "description": "Why a skipped step is not scheduled.",
                        },
                        "skip_message": {"type": ["string", "null"]},
                        "moved_from": {
                            **NULLABLE_DT,
                            "description": "The playbook's time, when a channel rule moved it.",
                        },
                    },
                },
            },
            "conflicts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "kind", "message", "suggestion"],
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string"},
                        "message": {"type": "string"},
                        "suggestion": NULLABLE_DT,
                        "resolution": {"type": "string", "enum": ["moved", "skipped", "kept"]},
                    },
                },
            },
            "notes": {"type": "array", "items": {"type": "object"}},
        },
    },
)
schema(
    "CampaignCalendar",
    {
        "type": "object",
        "required": ["campaign", "timezone", "from", "to", "drives", "publications"],
        "properties": {
            "campaign": {"type": "object"},
            "timezone": {"type": "string"},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "drives": {"type": "array", "items": {"type": "object"}},
            "publications": {"type": "array", "items": {"type": "object"}},
        },
    },
)
schema(
    "RecurrenceCreate",
    {
        "type": "object",
        "description": "A campaign-wide reminder: an RFC 5545 RRULE expanded within the "
        "campaign's dates, at a local time (at, or BYHOUR in the rule) or in a loudspeaker slot.",
        "required": ["rrule", "template", "channels"],
        "additionalProperties": False,
        "properties": {
            "rrule": {"type": "string", "minLength": 1, "maxLength": 500},
            "template": {"type": "string", "minLength": 1, "maxLength": 64},
            "channels": {
                "anyOf": [
                    {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": len(KINDS),
                        "items": {"type": "string", "enum": KINDS},
                    },
                    {"type": "string", "enum": ["all"]},
                ]
            },
            "at": HHMM,
            "slot": {"type": "string", "enum": ["morning", "evening"]},
            "priority": {"type": "string", "enum": ["normal", "priority", "emergency"]},
            "repeats": {"type": "integer", "minimum": 1, "maximum": 10},
        },
    },
)
schema(
    "Recurrence",
    {
        "type": "object",
        "required": ["id", "rrule", "template", "channels", "at", "slot", "priority", "repeats"],
        "properties": {
            "id": {"type": "integer"},
            "rrule": {"type": "string"},
            "template": {"type": "string"},
            "channels": {"type": "array", "items": {"type": "string"}},
            "at": {"type": ["string", "null"]},
            "slot": {"type": ["string", "null"]},
            "priority": {"type": "string"},
            "repeats": {"type": "integer"},
            "occurrences": {"type": "integer"},
            "next": {"type": "array", "items": DT},
        },
    },
)
schema(
    "RecurrenceList",
    {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Recurrence"}}
        },
    },
)
