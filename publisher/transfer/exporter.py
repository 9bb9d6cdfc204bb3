"""Write an export directory (see :mod:`publisher.transfer`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, selectinload

from content_library.db import utcnow
from content_library.models import (
    PROFILE_KIND,
    Asset,
    Campaign,
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
    NOT_EXPORTED,
    Names,
    TransferError,
    asset_record,
    campaign_record,
    channel_record,
    drive_key,
    drive_record,
    dump,
    feed_source_record,
    iso,
    item_record,
    playbook_record,
)


def _prepare(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise TransferError(f"{directory} exists and is not an empty directory")
    (directory / "assets").mkdir(parents=True, exist_ok=True)


def _profile_only_assets(session: Session) -> set[int]:
    """Photos used by profiles and by nothing else: a person's picture stays here."""

    def used(profile: bool) -> set[int]:
        kind = ContentItem.kind == PROFILE_KIND
        return set(
            session.scalars(
                select(ContentVersion.asset_id)
                .join(ContentItem, ContentItem.id == ContentVersion.content_id)
                .where(ContentVersion.asset_id.is_not(None), kind if profile else ~kind)
            )
        )

    return used(True) - used(False)


def _write_assets(
    session: Session, directory: Path, names: Names, echo: Callable[[str], None]
) -> list[dict[str, Any]]:
    records = []
    assets = session.scalars(
        select(Asset).options(defer(Asset.data), defer(Asset.thumbnail)).order_by(Asset.sha256)
    ).all()
    private = _profile_only_assets(session)
    for asset in assets:
        if asset.id in private:
            continue
        # One image in memory at a time, however large the library.
        data, thumbnail = session.execute(
            select(Asset.data, Asset.thumbnail).where(Asset.id == asset.id)
        ).one()
        if hashlib.sha256(data).hexdigest() != asset.sha256:
            raise TransferError(f"asset {asset.sha256} is damaged in the database (hash differs)")
        record = asset_record(asset, thumbnail)
        (directory / record["file"]).write_bytes(data)
        (directory / record["thumbnail"]).write_bytes(thumbnail)
        names.assets[asset.id] = asset.sha256
        records.append(record)
    echo(f"assets: {len(records)}")
    return records


def export_library(
    session: Session, directory: Path, echo: Callable[[str], None] = print
) -> dict[str, int]:
    """Write the library to ``directory`` (new or empty); returns the counts."""
    directory = Path(directory)
    _prepare(directory)
    names = Names()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.slug)).all()
    names.campaigns = {c.id: c.slug for c in campaigns}
    feeds = session.scalars(select(FeedSource).order_by(FeedSource.url)).all()
    names.feeds = {f.id: f.url for f in feeds}

    assets = _write_assets(session, directory, names, echo)
    drives = sorted(
        (drive_record(d, names) for d in session.scalars(select(Drive))),
        key=lambda r: (r["starts_at"], repr(drive_key(r))),
    )
    echo(f"campaigns: {len(campaigns)}, drives: {len(drives)}")
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.kind != PROFILE_KIND)
        .options(selectinload(ContentItem.versions))
        .order_by(ContentItem.export_key)
    ).all()
    profiles = session.scalar(
        select(func.count()).select_from(ContentItem).where(ContentItem.kind == PROFILE_KIND)
    )
    echo(f"profiles: {profiles} left out (personal data: never exported)")
    item_records = [item_record(item, names) for item in items]
    echo(
        f"content: {len(item_records)} items, "
        f"{sum(len(r['versions']) for r in item_records)} versions"
    )
    channels = [channel_record(c) for c in session.scalars(select(Channel).order_by(Channel.slug))]
    echo(f"channels: {len(channels)} (settings only; secrets are not exported)")
    playbooks = [
        playbook_record(p)
        for p in session.scalars(select(PlaybookRecord).order_by(PlaybookRecord.slug))
    ]
    echo(f"playbooks: {len(playbooks)}")

    documents = {
        "content.json": {
            "assets": assets,
            "feed_sources": [feed_source_record(f, names) for f in feeds],
            "items": item_records,
        },
        "campaigns.json": {"campaigns": [campaign_record(c) for c in campaigns], "drives": drives},
        "channels.json": {"channels": channels},
        "playbooks.json": {"playbooks": playbooks},
    }
    checksums = {}
    for name in DATA_FILES:
        payload = dump(documents[name])
        (directory / name).write_bytes(payload)
        checksums[name] = hashlib.sha256(payload).hexdigest()
    counts = {
        "assets": len(assets),
        "feed_sources": len(feeds),
        "campaigns": len(campaigns),
        "drives": len(drives),
        "content_items": len(item_records),
        "content_versions": sum(len(r["versions"]) for r in item_records),
        "channels": len(channels),
        "playbooks": len(playbooks),
    }
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": iso(utcnow()),
        "counts": counts,
        "checksums": checksums,
        "not_exported": list(NOT_EXPORTED),
        # Left out on purpose (personal data), counted so the reader knows some were.
        "left_out": {"profiles": int(profiles or 0)},
    }
    # The manifest goes last: a directory without one is an export that did not finish.
    (directory / "manifest.json").write_bytes(dump(manifest))
    return counts
