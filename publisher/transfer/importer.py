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

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import Asset, Campaign, Commune, Drive
from publisher.delivery.models import Channel
from publisher.feedimport.models import FeedSource
from publisher.planning.models import PlaybookRecord
from publisher.transfer.content_import import import_content
from publisher.transfer.records import (
    DATA_FILES,
    FORMAT_NAME,
    FORMAT_VERSION,
    Names,
    Tally,
    TransferError,
    campaign_id_for,
    campaign_record,
    channel_record,
    drive_key,
    drive_record,
    feed_source_record,
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
    manifest = _parse("manifest.json", manifest_path.read_bytes())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
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
        documents[name] = _parse(name, payload)
    return documents


def _parse(name: str, payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise TransferError(f"{name} is not valid JSON ({exc})") from None


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
    content, campaigns = documents["content.json"], documents["campaigns.json"]
    # In dependency order: what a row refers to is imported before it.
    steps: dict[str, Callable[[Tally], None]] = {
        "assets": lambda t: _assets(session, directory, content["assets"], names, t),
        "campaigns": lambda t: _campaigns(session, campaigns["campaigns"], names, t),
        "feed_sources": lambda t: _feed_sources(session, content["feed_sources"], names, t),
        "drives": lambda t: _drives(session, campaigns["drives"], names, t),
        "playbooks": lambda t: _playbooks(session, documents["playbooks.json"]["playbooks"], t),
        "channels": lambda t: _channels(session, documents["channels.json"]["channels"], t),
        "content": lambda t: import_content(session, content["items"], names, t),
    }
    for section, step in steps.items():
        tally = summary.tallies[section]
        try:
            step(tally)
            session.flush()
        except TransferError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            raise TransferError(f"{section}: malformed record ({detail})") from exc
        echo(f"{section}: {tally.text()}")
    return summary


def _assets(
    session: Session,
    directory: Path,
    records: list[dict[str, Any]],
    names: Names,
    tally: Tally,
) -> None:
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


def _campaigns(session: Session, records: list[dict[str, Any]], names: Names, tally: Tally) -> None:
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


def _feed_sources(
    session: Session, records: list[dict[str, Any]], names: Names, tally: Tally
) -> None:
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
        source.campaign_id = campaign_id_for(names, rec["campaign"])
        source.tags = rec["tags"]
        source.interval_minutes = int(rec["interval_minutes"])
        source.enabled = bool(rec["enabled"])
        session.flush()
        names.feeds[source.id] = source.url


def _drives(session: Session, records: list[dict[str, Any]], names: Names, tally: Tally) -> None:
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
        drive.campaign_id = campaign_id_for(names, rec["campaign"])
        drive.name = rec["name"]
        drive.starts_at = parse_datetime(rec["starts_at"])
        drive.ends_at = parse_datetime(rec["ends_at"])
        drive.location = rec["location"]
        drive.commune_code = rec["commune_code"]
        drive.target_units = rec["target_units"]
        drive.result_units = rec["result_units"]
        drive.status = rec["status"]
        drive.is_sample = bool(rec["is_sample"])


def _playbooks(session: Session, records: list[dict[str, Any]], tally: Tally) -> None:
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


def _channels(session: Session, records: list[dict[str, Any]], tally: Tally) -> None:
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
