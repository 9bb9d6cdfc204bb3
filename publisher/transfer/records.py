"""The export format: one JSON record per row, named by natural keys, never by ids.

The exporter writes these records and the importer compares them with what the target
already holds, so "unchanged" means exactly "would export the same bytes".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from channels.registry import adapter_class, kinds
from content_library.assets import EXTENSIONS
from content_library.models import Asset, Campaign, ContentItem, ContentVersion, Drive
from publisher.delivery.models import Channel
from publisher.feedimport.models import FeedSource
from publisher.planning.models import PlaybookRecord

FORMAT_NAME = "campaign-publisher-export"
# 2: tags, language and campaign belong to each version; format 1 exports (tags on the
# item) are still read. A version's authors are people, and people are not exported: an
# imported version keeps the authors this instance recorded for it, if any.
FORMAT_VERSION = 2
DATA_FILES = ("content.json", "campaigns.json", "channels.json", "playbooks.json")
NOT_EXPORTED = (
    "users",
    "API tokens",
    "publications and delivery attempts",
    "broadcast confirmations",
    "channel secrets",
    # Personal data (Nghị định 13/2023/NĐ-CP): a profile names a person and rests on a
    # consent given to this organisation, not to whoever imports the library.
    "profiles (tấm gương), their photos and consents",
)


class TransferError(Exception):
    """The export cannot be written or read; nothing was changed."""


@dataclass
class Names:
    """Database ids to natural keys (and back) for the rows records point at."""

    campaigns: dict[int, str] = field(default_factory=dict)
    feeds: dict[int, str] = field(default_factory=dict)
    assets: dict[int, str] = field(default_factory=dict)

    @staticmethod
    def reverse(mapping: dict[int, str]) -> dict[str, int]:
        return {name: id_ for id_, name in mapping.items()}


@dataclass
class Tally:
    """What an import did with one kind of row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # newer on this instance than in the export: left alone

    def text(self) -> str:
        parts = [f"{self.created} new", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.kept:
            parts.append(f"{self.kept} kept (newer here)")
        return ", ".join(parts)


def campaign_id_for(names: Names, slug: str | None) -> int | None:
    """The id of the campaign a record names by slug (None for none)."""
    if slug is None:
        return None
    found = Names.reverse(names.campaigns).get(slug)
    if found is None:
        raise TransferError(f"campaign {slug!r} is referred to but not in the export")
    return found


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def parse_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise TransferError(f"time without a zone in the export: {value!r}")
    return parsed.astimezone(UTC)


def parse_date(value: str) -> date:
    return date.fromisoformat(value)


def dump(data: Any) -> bytes:
    """Canonical JSON: sorted keys, UTF-8 (Vietnamese stays readable), a final newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _image_extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "bin"


def asset_record(asset: Asset, thumbnail: bytes) -> dict[str, Any]:
    ext = EXTENSIONS.get(asset.mime, "bin")
    return {
        "sha256": asset.sha256,
        "mime": asset.mime,
        "filename": asset.filename,
        "width": asset.width,
        "height": asset.height,
        "bytes": asset.bytes,
        "file": f"assets/{asset.sha256}.{ext}",
        "thumbnail": f"assets/{asset.sha256}.thumb.{_image_extension(thumbnail)}",
    }


def campaign_record(campaign: Campaign) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "description": campaign.description or "",
        "starts_on": iso(campaign.starts_on),
        "ends_on": iso(campaign.ends_on),
        "paused": bool(campaign.paused),
        "recurrence": campaign.recurrence or [],
    }


def drive_record(drive: Drive, names: Names) -> dict[str, Any]:
    return {
        "external_ref": drive.external_ref,
        "campaign": names.campaigns.get(drive.campaign_id) if drive.campaign_id else None,
        "name": drive.name,
        "starts_at": iso(drive.starts_at),
        "ends_at": iso(drive.ends_at),
        "location": drive.location,
        "commune_code": drive.commune_code,
        "target_units": drive.target_units,
        "result_units": drive.result_units,
        "status": drive.status,
        "is_sample": bool(drive.is_sample),
    }


def drive_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Drives are matched by ``external_ref``, or else by campaign, name, start and commune."""
    if record.get("external_ref"):
        return ("ref", record["external_ref"])
    return (
        "natural",
        record.get("campaign"),
        record["name"],
        record["starts_at"],
        record["commune_code"],
    )


def feed_source_record(source: FeedSource, names: Names) -> dict[str, Any]:
    return {
        "url": source.url,
        "name": source.name or "",
        "campaign": names.campaigns.get(source.campaign_id) if source.campaign_id else None,
        "tags": source.tags or [],
        "interval_minutes": source.interval_minutes,
        "enabled": bool(source.enabled),
    }


def secret_fields(kind: str) -> set[str]:
    if kind not in kinds():
        raise TransferError(f"unknown channel kind {kind!r} (known: {', '.join(kinds())})")
    return adapter_class(kind).secret_fields()


def channel_record(channel: Channel) -> dict[str, Any]:
    secret = secret_fields(channel.kind)
    return {
        "slug": channel.slug,
        "kind": channel.kind,
        "name": channel.name,
        # Secrets live apart (encrypted); the filter is a second guard, not the first.
        "settings": {k: v for k, v in (channel.settings or {}).items() if k not in secret},
        "secrets_to_set": sorted(secret),
        "rules": channel.rules or {},
        "enabled": bool(channel.enabled),
    }


def playbook_record(playbook: PlaybookRecord) -> dict[str, Any]:
    return {
        "slug": playbook.slug,
        "name": playbook.name,
        "description": playbook.description or "",
        "definition": playbook.definition or {},
    }


def version_record(version: ContentVersion, names: Names) -> dict[str, Any]:
    return {
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "body_html": version.body_html,
        "summary": version.summary or "",
        "asset": names.assets.get(version.asset_id) if version.asset_id else None,
        "reading_text": version.reading_text,
        "variants": version.variants or {},
        "tags": list(version.tags or []),
        "language": version.language,
        "campaign": names.campaigns.get(version.campaign_id) if version.campaign_id else None,
        "content_hash": version.content_hash,
        "created_at": iso(version.created_at),
        "submitted_at": iso(version.submitted_at),
        "reviewed_at": iso(version.reviewed_at),
        "review_note": version.review_note,
    }


def item_record(item: ContentItem, names: Names) -> dict[str, Any]:
    approved = next((v.number for v in item.versions if v.id == item.approved_version_id), None)
    return {
        "key": item.export_key,
        "kind": item.kind,
        "status": item.status,
        "language": item.language,
        "campaign": names.campaigns.get(item.campaign_id) if item.campaign_id else None,
        "is_template": bool(item.is_template),
        "feed_source": names.feeds.get(item.feed_source_id) if item.feed_source_id else None,
        "source_guid": item.source_guid,
        "source_url": item.source_url,
        "source_name": item.source_name,
        "search_text": item.search_text,
        "approved_version": approved,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "versions": [
            version_record(v, names) for v in sorted(item.versions, key=lambda v: v.number)
        ],
    }
