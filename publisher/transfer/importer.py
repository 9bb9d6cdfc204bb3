"""Read an export directory into this instance (see :mod:`publisher.transfer`).

Rows are matched by natural keys, so importing the same export twice changes nothing.
The caller owns the transaction: everything here only flushes, and an error leaves the
session to be rolled back whole.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from content_library.models import (
    CONTENT_KINDS,
    CONTENT_STATUSES,
    Asset,
    Campaign,
    Commune,
    ContentItem,
    ContentVersion,
    Drive,
)
from publisher.delivery.models import Channel
from publisher.feedimport.models import FeedSource
from publisher.planning.models import PlaybookRecord
from publisher.transfer.records import (
    DATA_FILES,
    FORMAT_NAME,
    FORMAT_VERSION,
    Names,
    TransferError,
    campaign_record,
    channel_record,
    drive_key,
    drive_record,
    feed_source_record,
    item_record,
    parse_date,
    parse_datetime,
    playbook_record,
    secret_fields,
)

SECTIONS = ("assets", "campaigns", "feed_sources", "drives", "playbooks", "channels", "content")
NEEDS_SECRETS = (
    "Chưa có khoá bí mật sau khi nhập; hãy nhập lại / secrets are not carried "
    "by an export: set them before this channel can deliver"
)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # newer on this instance than in the export: left alone

    def text(self) -> str:
        parts = [f"{self.created} new", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.kept:
            parts.append(f"{self.kept} kept (newer here)")
        return ", ".join(parts)


@dataclass
class ImportSummary:
    tallies: dict[str, Tally] = field(default_factory=lambda: {s: Tally() for s in SECTIONS})

    def total(self, attr: str) -> int:
        return sum(getattr(t, attr) for t in self.tallies.values())

    def line(self) -> str:
        return (
            f"imported: {self.total('created')} new, {self.total('updated')} updated, "
            f"{self.total('unchanged')} unchanged, {self.total('kept')} kept"
        )


def read_export(directory: Path) -> dict[str, Any]:
    """The export's documents, after checking its format version and checksums."""
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise TransferError(f"{directory} has no manifest.json: not an export, or unfinished")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_NAME:
        raise TransferError(f"{directory} is not a campaign publisher export")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise TransferError(f"unreadable format_version {version!r}")
    if version > FORMAT_VERSION:
        raise TransferError(
            f"the export has format version {version}, newer than this publisher reads "
            f"({FORMAT_VERSION}): upgrade this instance first"
        )
    documents: dict[str, Any] = {"manifest": manifest}
    for name in DATA_FILES:
        payload = _read(directory, name)
        expected = manifest.get("checksums", {}).get(name)
        if expected != hashlib.sha256(payload).hexdigest():
            raise TransferError(f"{name} does not match the manifest's checksum (altered or cut)")
        documents[name] = json.loads(payload)
    return documents


def _read(directory: Path, relative: str) -> bytes:
    path = (directory / relative).resolve()
    if not path.is_relative_to(directory.resolve()):
        raise TransferError(f"{relative!r} points outside the export")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TransferError(f"{relative} is missing from the export") from None


def import_library(
    session: Session, directory: Path, echo: Callable[[str], None] = print
) -> ImportSummary:
    """Create or update rows from the export in ``directory``; flushes, never commits."""
    directory = Path(directory)
    documents = read_export(directory)
    summary = ImportSummary()
    names = Names(
        campaigns=dict(session.execute(select(Campaign.id, Campaign.slug)).tuples().all()),
        feeds=dict(session.execute(select(FeedSource.id, FeedSource.url)).tuples().all()),
        assets=dict(session.execute(select(Asset.id, Asset.sha256)).tuples().all()),
    )
    content = documents["content.json"]
    campaigns = documents["campaigns.json"]
    playbooks = documents["playbooks.json"]["playbooks"]
    channels = documents["channels.json"]["channels"]
    steps: list[tuple[str, Callable[[], None]]] = [
        ("assets", lambda: _assets(session, directory, content["assets"], names, summary)),
        ("campaigns", lambda: _campaigns(session, campaigns["campaigns"], names, summary)),
        ("feed_sources", lambda: _feed_sources(session, content["feed_sources"], names, summary)),
        ("drives", lambda: _drives(session, campaigns["drives"], names, summary)),
        ("playbooks", lambda: _playbooks(session, playbooks, summary)),
        ("channels", lambda: _channels(session, channels, summary)),
        ("content", lambda: _content(session, content["items"], names, summary)),
    ]
    for section, step in steps:
        try:
            step()
            session.flush()
        except TransferError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            raise TransferError(f"{section}: malformed record ({detail})") from exc
        echo(f"{section}: {summary.tallies[section].text()}")
    return summary


def _assets(
    session: Session,
    directory: Path,
    records: list[dict[str, Any]],
    names: Names,
    summary: ImportSummary,
) -> None:
    tally = summary.tallies["assets"]
    known = Names.reverse(names.assets)
    for rec in records:
        sha = rec["sha256"]
        if sha in known:
            tally.unchanged += 1  # an asset is its bytes: same hash, same asset
            continue
        for name in ("file", "thumbnail"):
            if not str(rec[name]).startswith(f"assets/{sha}."):
                raise TransferError(f"asset {sha}: unexpected file name {rec[name]!r}")
        data = _read(directory, rec["file"])
        if hashlib.sha256(data).hexdigest() != sha:
            raise TransferError(f"{rec['file']} does not match its SHA-256 (damaged file)")
        asset = Asset(
            sha256=sha,
            mime=rec["mime"],
            filename=rec["filename"],
            width=rec["width"],
            height=rec["height"],
            bytes=len(data),
            data=data,
            thumbnail=_read(directory, rec["thumbnail"]),
        )
        session.add(asset)
        session.flush()
        names.assets[asset.id] = sha
        known[sha] = asset.id
        tally.created += 1


def _campaigns(
    session: Session, records: list[dict[str, Any]], names: Names, summary: ImportSummary
) -> None:
    tally = summary.tallies["campaigns"]
    existing = {c.slug: c for c in session.scalars(select(Campaign))}
    for rec in records:
        campaign = existing.get(rec["slug"])
        if campaign is not None and campaign_record(campaign) == rec:
            tally.unchanged += 1
            continue
        if campaign is None:
            campaign = Campaign(slug=rec["slug"])
            session.add(campaign)
            tally.created += 1
        else:
            tally.updated += 1
        campaign.name = rec["name"]
        campaign.description = rec["description"]
        campaign.starts_on = parse_date(rec["starts_on"])
        campaign.ends_on = parse_date(rec["ends_on"])
        campaign.paused = bool(rec["paused"])
        campaign.recurrence = rec["recurrence"]
        session.flush()
        names.campaigns[campaign.id] = campaign.slug


def _campaign_id(names: Names, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = Names.reverse(names.campaigns).get(slug)
    if found is None:
        raise TransferError(f"campaign {slug!r} is referred to but not in the export")
    return found


def _feed_sources(
    session: Session, records: list[dict[str, Any]], names: Names, summary: ImportSummary
) -> None:
    tally = summary.tallies["feed_sources"]
    existing = {f.url: f for f in session.scalars(select(FeedSource))}
    for rec in records:
        source = existing.get(rec["url"])
        if source is not None and feed_source_record(source, names) == rec:
            tally.unchanged += 1
            continue
        if source is None:
            source = FeedSource(url=rec["url"])
            session.add(source)
            tally.created += 1
        else:
            tally.updated += 1
        source.name = rec["name"]
        source.campaign_id = _campaign_id(names, rec["campaign"])
        source.tags = rec["tags"]
        source.interval_minutes = int(rec["interval_minutes"])
        source.enabled = bool(rec["enabled"])
        session.flush()
        names.feeds[source.id] = source.url


def _drives(
    session: Session, records: list[dict[str, Any]], names: Names, summary: ImportSummary
) -> None:
    tally = summary.tallies["drives"]
    existing = {drive_key(drive_record(d, names)): d for d in session.scalars(select(Drive))}
    communes = set(session.scalars(select(Commune.code)))
    for rec in records:
        drive = existing.get(drive_key(rec))
        if drive is not None and drive_record(drive, names) == rec:
            tally.unchanged += 1
            continue
        if rec["commune_code"] not in communes:
            raise TransferError(
                f"drive {rec['name']!r}: commune {rec['commune_code']} is not on "
                "this instance (run 'publisher seed' first)"
            )
        if drive is None:
            drive = Drive()
            session.add(drive)
            tally.created += 1
        else:
            tally.updated += 1
        drive.external_ref = rec["external_ref"]
        drive.campaign_id = _campaign_id(names, rec["campaign"])
        drive.name = rec["name"]
        drive.starts_at = parse_datetime(rec["starts_at"])
        drive.ends_at = parse_datetime(rec["ends_at"])
        drive.location = rec["location"]
        drive.commune_code = rec["commune_code"]
        drive.target_units = rec["target_units"]
        drive.result_units = rec["result_units"]
        drive.status = rec["status"]
        drive.is_sample = bool(rec["is_sample"])


def _playbooks(session: Session, records: list[dict[str, Any]], summary: ImportSummary) -> None:
    tally = summary.tallies["playbooks"]
    existing = {p.slug: p for p in session.scalars(select(PlaybookRecord))}
    for rec in records:
        playbook = existing.get(rec["slug"])
        if playbook is not None and playbook_record(playbook) == rec:
            tally.unchanged += 1
            continue
        if playbook is None:
            playbook = PlaybookRecord(slug=rec["slug"])
            session.add(playbook)
            tally.created += 1
        else:
            tally.updated += 1
        playbook.name = rec["name"]
        playbook.description = rec["description"]
        playbook.definition = rec["definition"]


def _channels(session: Session, records: list[dict[str, Any]], summary: ImportSummary) -> None:
    tally = summary.tallies["channels"]
    existing = {c.slug: c for c in session.scalars(select(Channel))}
    for rec in records:
        secret = secret_fields(rec["kind"])
        channel = existing.get(rec["slug"])
        if channel is not None and channel.kind != rec["kind"]:
            raise TransferError(
                f"channel {rec['slug']!r} is a {channel.kind} here but a "
                f"{rec['kind']} in the export"
            )
        if channel is not None and channel_record(channel) == rec:
            tally.unchanged += 1
            continue
        if channel is None:
            # Without its secrets the channel cannot deliver: it waits for a person.
            channel = Channel(
                kind=rec["kind"],
                slug=rec["slug"],
                secrets_encrypted=None,
                health_status="needs_attention" if secret else "ok",
                health_reason=NEEDS_SECRETS if secret else "",
            )
            session.add(channel)
            tally.created += 1
        else:
            tally.updated += 1  # this instance's secrets and health are kept
        channel.name = rec["name"]
        channel.settings = {k: v for k, v in rec["settings"].items() if k not in secret}
        channel.rules = rec["rules"]
        channel.enabled = bool(rec["enabled"])


def _content(
    session: Session, records: list[dict[str, Any]], names: Names, summary: ImportSummary
) -> None:
    tally = summary.tallies["content"]
    items = session.scalars(select(ContentItem).options(selectinload(ContentItem.versions))).all()
    by_key = {i.export_key: i for i in items}
    by_source = {(i.feed_source_id, i.source_guid): i for i in items if i.feed_source_id}
    feed_ids = Names.reverse(names.feeds)
    stamps: dict[int, Any] = {}
    for rec in records:
        feed_id = feed_ids.get(rec["feed_source"]) if rec["feed_source"] else None
        item = by_key.get(rec["key"]) or (
            by_source.get((feed_id, rec["source_guid"])) if feed_id else None
        )
        if item is not None and item_record(item, names) == rec:
            tally.unchanged += 1
            continue
        if rec["kind"] not in CONTENT_KINDS or rec["status"] not in CONTENT_STATUSES:
            raise TransferError(f"content {rec['key']}: unknown kind or status")
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
        _apply_versions(item, rec["versions"], names)
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
    item.campaign_id = _campaign_id(names, rec["campaign"])
    item.tags = rec["tags"]
    item.is_template = bool(rec["is_template"])
    item.feed_source_id = feed_id
    item.source_guid = rec["source_guid"]
    item.source_url = rec["source_url"]
    item.source_name = rec["source_name"]
    item.search_text = rec["search_text"]
    item.created_at = parse_datetime(rec["created_at"])


def _apply_versions(item: ContentItem, records: list[dict[str, Any]], names: Names) -> None:
    current = {v.number: v for v in item.versions}
    asset_ids = Names.reverse(names.assets)
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
        version.content_hash = rec["content_hash"]
        version.created_at = parse_datetime(rec["created_at"])
        version.submitted_at = parse_datetime(rec["submitted_at"])
        version.reviewed_at = parse_datetime(rec["reviewed_at"])
        version.review_note = rec["review_note"]
