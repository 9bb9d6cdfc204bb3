"""JSON schemas of request bodies and answers; the validator and the OpenAPI document share them."""

from __future__ import annotations

from channels.registry import kinds
from content_library.models import CONTENT_KINDS
from publisher.api.framework import schema
from publisher.delivery.models import PUBLICATION_STATUSES

DT = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
NULLABLE_DT = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1}
TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 60},
    "maxItems": 30,
}
VARIANTS = {
    "type": "object",
    "maxProperties": 10,
    "propertyNames": {"pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"},
    "additionalProperties": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "name": {"type": "string", "maxLength": 60},
            "text": {"type": "string", "maxLength": 20000},
        },
        "additionalProperties": False,
    },
}

CONTENT_KIND = {"type": "string", "enum": list(CONTENT_KINDS)}
# A profile's person: who the story is about, and the consent that lets it be published.
PERSON = {
    "type": ["object", "null"],
    "required": ["name", "consent_id"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "commune_code": {"type": ["string", "null"], "pattern": "^[0-9]{5}$"},
        "consent_id": ID,
    },
}
CONTENT_STATUS = {
    "type": "string",
    "enum": ["draft", "in_review", "approved", "rejected", "archived"],
}

schema(
    "ContentCreate",
    {
        "type": "object",
        "required": ["kind", "title", "body"],
        "additionalProperties": False,
        "properties": {
            "kind": CONTENT_KIND,
            "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"},
            "body": {"type": "string", "maxLength": 200000},
            "summary": {"type": ["string", "null"], "maxLength": 2000},
            "language": {"type": "string", "pattern": "^[a-z]{2,3}$"},
            "campaign_id": NULLABLE_ID,
            "tags": TAGS,
            "asset_id": NULLABLE_ID,
            "reading_text": {"type": ["string", "null"], "maxLength": 50000},
            "variants": VARIANTS,
            "person": PERSON,
        },
    },
)
schema(
    "ContentPatch",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"},
            "body": {"type": "string", "maxLength": 200000},
            "summary": {"type": ["string", "null"], "maxLength": 2000},
            "language": {"type": "string", "pattern": "^[a-z]{2,3}$"},
            "campaign_id": NULLABLE_ID,
            "tags": TAGS,
            "asset_id": NULLABLE_ID,
            "reading_text": {"type": ["string", "null"], "maxLength": 50000},
            "variants": VARIANTS,
            "person": PERSON,
        },
    },
)
schema(
    "Review",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"note": {"type": "string", "maxLength": 2000}},
    },
)
schema(
    "Content",
    {
        "type": "object",
        "required": ["id", "kind", "status", "version", "title", "body"],
        "properties": {
            "id": ID,
            "kind": CONTENT_KIND,
            "status": CONTENT_STATUS,
            "version": {"type": "integer"},
            "version_id": {"type": "integer"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "summary": {"type": "string"},
            "language": {"type": "string"},
            "campaign_id": {"type": ["integer", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "asset_id": {"type": ["integer", "null"]},
            "reading_text": {"type": ["string", "null"]},
            "variants": {"type": "object"},
            "person": {"type": ["object", "null"]},
            "approved_version": {"type": ["integer", "null"]},
            "approved_version_id": {"type": ["integer", "null"]},
            "content_hash": {"type": ["string", "null"]},
            "review_note": {"type": ["string", "null"]},
            "created_by": {"type": ["integer", "null"]},
            "created_at": DT,
            "updated_at": DT,
            "source_url": {"type": ["string", "null"]},
            "source_name": {"type": ["string", "null"]},
            "reading_findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "message", "start", "end", "text"],
                    "properties": {
                        "code": {
                            "type": "string",
                            "enum": ["nfc", "digit", "capitals", "repeat", "punctuation"],
                        },
                        "message": {"type": "string"},
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "text": {"type": "string"},
                    },
                },
            },
            "reading_kept_as_written": {
                "type": ["object", "null"],
                "properties": {
                    "by": {"type": ["integer", "null"]},
                    "at": DT,
                    "findings": {"type": "integer"},
                },
            },
        },
    },
)
_VERSION = {
    "type": "object",
    "required": [
        "number",
        "status",
        "title",
        "body",
        "summary",
        "tags",
        "asset_id",
        "reading_text",
        "variants",
        "content_hash",
        "authors",
        "approved_by",
        "approved_at",
        "created_at",
    ],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "status": {"type": "string", "enum": ["draft", "in_review", "approved", "rejected"]},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "summary": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "language": {"type": "string"},
        "campaign_id": {"type": ["integer", "null"]},
        "asset_id": {"type": ["integer", "null"]},
        "reading_text": {"type": ["string", "null"]},
        "variants": {"type": "object"},
        "content_hash": {"type": ["string", "null"]},
        "authors": {"type": "array", "items": {"type": "integer"}},
        "approved_by": {"type": ["integer", "null"]},
        "approved_at": NULLABLE_DT,
        "review_note": {"type": ["string", "null"]},
        "submitted_at": NULLABLE_DT,
        "created_at": DT,
    },
}
schema("ContentVersion", _VERSION)
schema(
    "ContentVersionList",
    {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _VERSION}},
    },
)
schema(
    "Asset",
    {
        "type": "object",
        "required": ["id", "url", "mime", "width", "height", "bytes", "sha256"],
        "properties": {
            "id": ID,
            "url": {
                "type": "string",
                "description": "the image for signed-in people (bearer token or session)",
            },
            "thumbnail_url": {"type": "string", "description": "its thumbnail, signed in"},
            "public_url": {
                "type": ["string", "null"],
                "description": "absolute public URL (/media/<key>/<name>) once an approved "
                "version uses the poster; null before",
            },
            "mime": {"type": "string", "enum": ["image/png", "image/jpeg", "image/webp"]},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "bytes": {"type": "integer"},
            "sha256": {"type": "string"},
        },
    },
)
schema(
    "CampaignCreate",
    {
        "type": "object",
        "required": ["slug", "name", "starts_on", "ends_on"],
        "additionalProperties": False,
        "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 80},
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "starts_on": DATE,
            "ends_on": DATE,
            "description": {"type": "string", "maxLength": 5000},
            "paused": {"type": "boolean"},
        },
    },
)
schema(
    "CampaignPatch",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "starts_on": DATE,
            "ends_on": DATE,
            "description": {"type": "string", "maxLength": 5000},
            "paused": {"type": "boolean"},
        },
    },
)
schema(
    "Campaign",
    {
        "type": "object",
        "required": ["id", "slug", "name", "starts_on", "ends_on"],
        "properties": {
            "id": ID,
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "starts_on": DATE,
            "ends_on": DATE,
            "paused": {"type": "boolean"},
        },
    },
)
DRIVE_STATUS = {"type": "string", "enum": ["planned", "confirmed", "cancelled", "done"]}
_DRIVE_PROPS = {
    "campaign_id": NULLABLE_ID,
    "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
    "starts_at": DT,
    "ends_at": DT,
    "location": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"},
    "commune_code": {"type": "string", "pattern": "^[0-9]{5}$"},
    "target_units": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000000},
    "result_units": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000000},
    "status": DRIVE_STATUS,
}
schema(
    "DriveCreate",
    {
        "type": "object",
        "required": ["name", "starts_at", "ends_at", "location", "commune_code"],
        "additionalProperties": False,
        "properties": _DRIVE_PROPS,
    },
)
schema(
    "DrivePatch",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": _DRIVE_PROPS,
    },
)
schema(
    "Drive",
    {
        "type": "object",
        "required": ["id", "name", "starts_at", "ends_at", "location", "commune_code", "status"],
        "properties": {
            "id": ID,
            "campaign_id": {"type": ["integer", "null"]},
            "name": {"type": "string"},
            "starts_at": DT,
            "ends_at": DT,
            "location": {"type": "string"},
            "commune_code": {"type": "string"},
            "commune_name": {"type": "string"},
            "target_units": {"type": ["integer", "null"]},
            "result_units": {"type": ["integer", "null"]},
            "status": DRIVE_STATUS,
            "is_sample": {"type": "boolean"},
            "pending_change": {
                "type": ["object", "null"],
                "required": ["fields", "previous", "requested_by", "requested_at"],
                "properties": {
                    "fields": {"type": "object"},
                    "previous": {"type": "object"},
                    "requested_by": {"type": ["integer", "null"]},
                    "requesters": {"type": "array", "items": {"type": "integer"}},
                    "requested_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
)
schema(
    "Commune",
    {
        "type": "object",
        "required": ["code", "name", "kind"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["xã", "phường"]},
            "planning_area": {"type": ["string", "null"]},
        },
    },
)
schema(
    "Problem",
    {
        "type": "object",
        "required": ["status", "title", "detail"],
        "properties": {
            "type": {"type": "string"},
            "status": {"type": "integer"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
)
schema(
    "AssetUpload",
    {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}},
    },
)
# The registered kinds, as channels/registry.py lists them: a new kind needs no edit here.
CHANNEL_KIND = {"type": "string", "enum": kinds()}
schema(
    "ChannelKind",
    {
        "type": "object",
        "required": ["kind", "label", "short_label", "capabilities", "settings"],
        "properties": {
            "kind": CHANNEL_KIND,
            "label": {"type": "string"},
            "short_label": {"type": "string"},
            "capabilities": {
                "type": "object",
                "additionalProperties": {"type": "boolean"},
            },
            "settings": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["type", "required", "secret", "label", "help"],
                    "properties": {
                        "type": {"type": "string"},
                        "required": {"type": "boolean"},
                        "secret": {"type": "boolean"},
                        "label": {"type": "string"},
                        "help": {"type": "string"},
                    },
                },
            },
        },
    },
)
schema("ChannelKindList", {"type": "array", "items": {"$ref": "#/components/schemas/ChannelKind"}})
HEALTH = {
    "type": "object",
    "required": ["status", "reason", "until"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "paused", "needs_attention"]},
        "reason": {"type": "string"},
        "until": {"type": ["string", "null"]},
        "checked_at": {"type": ["string", "null"]},
        "token_expires_at": {"type": ["string", "null"]},
    },
}
RULES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "quiet_hours": {
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "minItems": 2,
            "maxItems": 2,
        },
        "daily_cap": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000},
    },
}
schema(
    "ChannelCreate",
    {
        "type": "object",
        "required": ["kind", "slug", "name", "settings"],
        "additionalProperties": False,
        "properties": {
            "kind": CHANNEL_KIND,
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 80},
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "settings": {"type": "object", "maxProperties": 20},
            "enabled": {"type": "boolean"},
            "rules": RULES,
        },
    },
)
schema(
    "ChannelPatch",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "settings": {"type": "object", "maxProperties": 20},
            "enabled": {"type": "boolean"},
            "rules": RULES,
        },
    },
)
schema(
    "Channel",
    {
        "type": "object",
        "required": ["id", "kind", "slug", "name", "settings", "enabled", "health"],
        "properties": {
            "id": ID,
            "kind": CHANNEL_KIND,
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "settings": {"type": "object"},
            "secrets_set": {"type": "array", "items": {"type": "string"}},
            "enabled": {"type": "boolean"},
            "rules": {"type": "object"},
            "health": HEALTH,
        },
    },
)
PUB_STATUS = {"type": "string", "enum": list(PUBLICATION_STATUSES)}
schema(
    "PublicationCreate",
    {
        "type": "object",
        "required": ["content_id", "channel_id", "scheduled_at"],
        "additionalProperties": False,
        "properties": {
            "content_id": ID,
            "channel_id": ID,
            "scheduled_at": DT,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "priority": {"type": "string", "enum": ["normal", "priority", "emergency"]},
            "slot": {"type": ["string", "null"], "enum": ["morning", "evening", None]},
            "repeats": {"type": "integer", "minimum": 1, "maximum": 10},
            "drive_id": NULLABLE_ID,
        },
    },
)
schema(
    "PublicationRetry",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"expires_at": {"type": ["string", "null"], "format": "date-time"}},
    },
)
schema(
    "Attempt",
    {
        "type": "object",
        "properties": {
            "number": {"type": "integer"},
            "action": {"type": "string"},
            "started_at": DT,
            "finished_at": NULLABLE_DT,
            "outcome": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"]},
            "response_excerpt": {"type": ["string", "null"]},
        },
    },
)
schema(
    "Publication",
    {
        "type": "object",
        "required": [
            "id",
            "content_id",
            "channel_id",
            "status",
            "scheduled_at",
            "published_at",
            "attempts",
            "external_id",
            "external_url",
            "last_error",
        ],
        "properties": {
            "id": ID,
            "content_id": {"type": "integer"},
            "version": {"type": "integer"},
            "version_id": {"type": "integer"},
            "channel_id": {"type": "integer"},
            "status": PUB_STATUS,
            "scheduled_at": DT,
            "expires_at": NULLABLE_DT,
            "next_attempt_at": NULLABLE_DT,
            "published_at": NULLABLE_DT,
            "attempts": {"type": "integer"},
            "max_attempts": {"type": "integer"},
            "external_id": {"type": ["string", "null"]},
            "external_url": {"type": ["string", "null"]},
            "last_error": {"type": ["string", "null"]},
            "last_error_class": {"type": ["string", "null"]},
            "priority": {"type": "string"},
            "slot": {"type": ["string", "null"]},
            "repeats": {"type": "integer"},
            "drive_id": {"type": ["integer", "null"]},
            "cancelled_at": NULLABLE_DT,
            "withdrawn_at": NULLABLE_DT,
            "withdraw_pending": {"type": "boolean"},
            "title": {"type": "string"},
            "attempt_log": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
        },
    },
)
