"""Importing content items and their versions (see :mod:`publisher.transfer.importer`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from content_library.models import (
    CONTENT_KINDS,
    CONTENT_STATUSES,
    PROFILE_KIND,
    ContentItem,
    ContentVersion,
)
from publisher.transfer.records import (
    Names,
    Tally,
    TransferError,
    campaign_id_for,
    item_record,
    parse_datetime,
)


def import_content(
    session: Session, records: list[dict[str, Any]], names: Names, tally: Tally
) -> None:
    """Content items with their versions; assets, campaigns and feeds are already in."""
    items = session.scalars(select(ContentItem).options(selectinload(ContentItem.versions))).all()
    by_key = {i.export_key: i for i in items}
    # Same origin, same item: a feed's article (feed, guid), or a shipped template that
    # ``publisher seed`` made on both instances (no feed, "template:<key>").
    by_source = {(i.feed_source_id, i.source_guid): i for i in items if i.source_guid}
    feed_ids = Names.reverse(names.feeds)
    asset_ids = Names.reverse(names.assets)
    stamps: dict[int, Any] = {}
    for rec in records:
        rec = _current_record(rec)
        feed_id = feed_ids.get(rec["feed_source"]) if rec["feed_source"] else None
        item = by_key.get(rec["key"]) or (
            by_source.get((feed_id, rec["source_guid"])) if rec["source_guid"] else None
        )
        if item is not None and item_record(item, names) == rec:
            tally.unchanged += 1
            continue
        if rec["kind"] not in CONTENT_KINDS or rec["status"] not in CONTENT_STATUSES:
            raise TransferError(f"content {rec['key']}: unknown kind or status")
        if rec["kind"] == PROFILE_KIND or any("person" in v for v in rec["versions"]):
            # Profiles rest on a consent given here: a library never carries one in.
            raise TransferError(f"content {rec['key']}: profiles are not imported")
        if not rec["versions"]:
            raise TransferError(f"content {rec['key']}: no versions")
        if item is None:
            item = ContentItem(export_key=rec["key"], created_at=parse_datetime(rec["created_at"]))
            session.add(item)
            tally.created += 1
        elif max(v.number for v in item.versions) > max(v["number"] for v in rec["versions"]):
            tally.kept += 1  # edited here after the export was made: this copy wins
            continue
        else:
            tally.updated += 1
        _apply_item(item, rec, names, feed_id)
        _apply_versions(item, rec["versions"], asset_ids, names)
        session.flush()
        approved = rec["approved_version"]
        item.approved_version_id = (
            next((v.id for v in item.versions if v.number == approved), None) if approved else None
        )
        item.latest_version = max(v.number for v in item.versions)
        session.flush()
        stamps[item.id] = parse_datetime(rec["updated_at"])
    for item_id, stamp in stamps.items():
        # Set last: every ORM update above bumps updated_at (onupdate) to now.
        session.execute(
            update(ContentItem)
            .where(ContentItem.id == item_id)
            .values(updated_at=stamp)
            .execution_options(synchronize_session="fetch")
        )


def _apply_item(item: ContentItem, rec: dict[str, Any], names: Names, feed_id: int | None) -> None:
    item.export_key = rec["key"]
    item.kind = rec["kind"]
    item.status = rec["status"]
    item.language = rec["language"]
    item.campaign_id = campaign_id_for(names, rec["campaign"])
    item.is_template = bool(rec["is_template"])
    item.feed_source_id = feed_id
    item.source_guid = rec["source_guid"]
    item.source_url = rec["source_url"]
    item.source_name = rec["source_name"]
    item.search_text = rec["search_text"]
    item.created_at = parse_datetime(rec["created_at"])


def _current_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The record in this format: format 1 kept the tags on the item (they were every
    version's), and the item's language and campaign were every version's too."""
    rec = dict(rec)
    item_tags = rec.pop("tags", None)
    versions = []
    for version in rec["versions"]:
        version = dict(version)
        version.setdefault("tags", list(item_tags or []))
        version.setdefault("language", rec["language"])
        version.setdefault("campaign", rec["campaign"])
        versions.append(version)
    rec["versions"] = versions
    return rec


def _apply_versions(
    item: ContentItem,
    records: list[dict[str, Any]],
    asset_ids: dict[str, int],
    names: Names,
) -> None:
    current = {v.number: v for v in item.versions}
    for rec in sorted(records, key=lambda r: r["number"]):
        version = current.get(rec["number"])
        if (
            version is not None
            and version.status == "approved"
            and version.content_hash
            and version.content_hash != rec["content_hash"]
        ):
            raise TransferError(
                f"content {item.export_key} version {rec['number']} is approved here with "
                "different words: an approved version never changes"
            )
        if version is None:
            version = ContentVersion(number=rec["number"])
            item.versions.append(version)
        if rec["asset"] is not None and rec["asset"] not in asset_ids:
            raise TransferError(f"content {item.export_key}: asset {rec['asset']} not in export")
        version.status = rec["status"]
        version.title = rec["title"]
        version.body_html = rec["body_html"]
        version.summary = rec["summary"]
        version.asset_id = asset_ids.get(rec["asset"]) if rec["asset"] else None
        version.reading_text = rec["reading_text"]
        version.variants = rec["variants"]
        version.tags = list(rec["tags"])
        version.language = rec["language"]
        version.campaign_id = campaign_id_for(names, rec["campaign"])
        if version.authors is None:
            version.authors = []  # a new version: its authors are not in the export
        version.content_hash = rec["content_hash"]
        version.created_at = parse_datetime(rec["created_at"])
        version.submitted_at = parse_datetime(rec["submitted_at"])
        version.reviewed_at = parse_datetime(rec["reviewed_at"])
        version.review_note = rec["review_note"]
