"""Reference data for planning: the 2025 plan's campaigns and drives, playbooks, templates.

Seeding runs at every ``publisher seed`` (``make run`` calls it each start), so it
must never undo what editors did in the application:

* campaigns and playbooks are created when missing and otherwise left alone
  (editors rename campaigns and edit playbooks through the API);
* drives are created from ``config/drives-2025.csv`` when missing; an explicit
  ``publisher drives import`` updates existing ones;
* templates are content items whose shipped wording is adopted as configuration:
  a new approved version is added only when the wording in ``config/templates``
  differs from the last wording shipped, so an editor's approved correction stays
  until the configuration itself changes (and the history keeps both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Campaign, ContentItem, ContentVersion
from content_library.sanitize import html_to_text, nfc, plain_text, sanitize_html
from content_library.search import fold
from content_library.services import content_hash
from publisher.planning.drives_csv import DrivesImportFailed, ImportSummary, import_drives_csv
from publisher.planning.models import PlaybookRecord
from publisher.planning.playbooks import load_playbooks, playbook_to_dict, shipped_playbooks_dir
from publisher.planning.rendering import TEMPLATE_GUID_PREFIX, template_guid
from publisher.planning.templates import Template, load_templates, shipped_templates_dir

__all__ = [
    "ImportSummary",
    "SeedCount",
    "import_drives_csv",
    "seed_campaigns",
    "seed_plan",
    "seed_playbooks",
    "seed_templates",
]

CONFIG = Path(__file__).resolve().parents[2] / "config"
SHIPPED_NOTE = "Mẫu kèm theo cấu hình triển khai"
TEMPLATE_TAGS = ["mẫu nội dung"]


@dataclass(frozen=True)
class SeedCount:
    """How many rows seeding created, changed and found as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def line(self, kind: str) -> str:
        return (
            f"{kind}: {self.total} ({self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged)"
        )


def seed_templates(session: Session, directory: Path | None = None) -> SeedCount:
    """One approved template item per key in ``config/templates/*.yaml`` (see module doc)."""
    templates = load_templates(directory or shipped_templates_dir())
    poster_asset_id = None
    if any(t.kind == "poster" for t in templates.values()):
        from publisher.planning.poster import ensure_poster_asset

        poster_asset_id = ensure_poster_asset(session).id
    items = {
        item.source_guid: item
        for item in session.scalars(
            select(ContentItem).where(
                ContentItem.feed_source_id.is_(None),
                ContentItem.source_guid.like(f"{TEMPLATE_GUID_PREFIX}%"),
            )
        )
    }
    created = updated = unchanged = 0
    for key, template in templates.items():
        asset_id = poster_asset_id if template.kind == "poster" else None
        item = items.get(template_guid(key))
        if item is None:
            _create_template_item(session, template, asset_id)
            created += 1
        elif _adopt_shipped_wording(session, item, template, asset_id):
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return SeedCount(created, updated, unchanged)


def _shipped_version(number: int, template: Template, asset_id: int | None) -> ContentVersion:
    now = utcnow()
    return ContentVersion(
        number=number,
        status="approved",
        title=plain_text(template.title),
        body_html=sanitize_html(template.body),
        summary=nfc(template.description).strip(),
        tags=list(TEMPLATE_TAGS),
        language="vi",
        authors=[],
        asset_id=asset_id,
        variants={},
        created_by=None,
        submitted_at=now,
        reviewed_by=None,
        reviewed_at=now,
        review_note=SHIPPED_NOTE,
    )


def _create_template_item(session: Session, template: Template, asset_id: int | None) -> None:
    item = ContentItem(
        kind=template.kind,
        status="approved",
        language="vi",
        is_template=True,
        latest_version=1,
        source_guid=template_guid(template.key),
        source_name=SHIPPED_NOTE,
        created_by=None,
    )
    _approve_shipped(session, item, _shipped_version(1, template, asset_id))


def _adopt_shipped_wording(
    session: Session, item: ContentItem, template: Template, asset_id: int | None
) -> bool:
    """Add the configuration's wording as a new approved version if it changed since shipped."""
    versions = list(item.versions)
    candidate = _shipped_version(versions[-1].number + 1, template, asset_id)
    candidate_hash = content_hash(session, item, candidate)
    shipped = [v for v in versions if v.review_note == SHIPPED_NOTE and v.created_by is None]
    if shipped and shipped[-1].content_hash == candidate_hash and item.kind == template.kind:
        return False
    if versions[-1].status == "in_review":
        # An editor's version is being reviewed; adopting now would bury it. Next seed retries.
        return False
    item.kind = template.kind
    _approve_shipped(session, item, candidate)
    return True


def _approve_shipped(session: Session, item: ContentItem, version: ContentVersion) -> None:
    item.versions.append(version)
    item.latest_version = version.number
    item.status = "approved"
    item.search_text = fold(f"{version.title} {version.summary} {html_to_text(version.body_html)}")
    session.add(item)
    session.flush()
    version.content_hash = content_hash(session, item, version)
    item.approved_version_id = version.id
    item.updated_at = utcnow()


def seed_playbooks(session: Session, directory: Path | None = None) -> SeedCount:
    """Playbooks from ``config/playbooks`` by slug; existing ones are left as editors made them."""
    known = set(load_templates(shipped_templates_dir()))
    playbooks = load_playbooks(directory or shipped_playbooks_dir(), known_templates=known)
    existing = {r.slug: r for r in session.scalars(select(PlaybookRecord))}
    created = unchanged = 0
    for slug, playbook in playbooks.items():
        if slug in existing:
            unchanged += 1
            continue
        session.add(
            PlaybookRecord(
                slug=slug,
                name=playbook.name,
                description=playbook.description,
                definition=playbook_to_dict(playbook),
            )
        )
        created += 1
    session.flush()
    return SeedCount(created=created, unchanged=unchanged)


def seed_campaigns(session: Session, path: Path | None = None) -> SeedCount:
    """The campaigns of ``config/plan-2025.yaml``, created by slug when missing."""
    data = yaml.safe_load((path or CONFIG / "plan-2025.yaml").read_text(encoding="utf-8"))
    existing = {c.slug: c for c in session.scalars(select(Campaign))}
    created = unchanged = 0
    for raw in data["campaigns"]:
        if raw["slug"] in existing:
            unchanged += 1
            continue
        session.add(
            Campaign(
                slug=raw["slug"],
                name=nfc(raw["name"]).strip(),
                description=nfc(raw.get("description") or "").strip(),
                starts_on=_date(raw["starts_on"]),
                ends_on=_date(raw["ends_on"]),
                paused=False,
                recurrence=[],
            )
        )
        created += 1
    session.flush()
    return SeedCount(created=created, unchanged=unchanged)


def seed_plan(session: Session, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Campaigns, drives, templates and playbooks of the 2025 plan; one line per kind."""
    campaigns = seed_campaigns(session)
    echo(campaigns.line("campaigns"))
    drives = import_drives_csv(session, CONFIG / "drives-2025.csv", update_existing=False)
    if drives.errors:
        raise DrivesImportFailed(drives.errors)
    echo(
        f"drives: {drives.created + drives.updated + drives.unchanged} "
        f"({drives.created} new, {drives.unchanged} unchanged)"
    )
    templates = seed_templates(session)
    echo(templates.line("templates"))
    playbooks = seed_playbooks(session)
    echo(playbooks.line("playbooks"))
    return {
        "campaigns": campaigns.total,
        "drives": drives.created + drives.updated + drives.unchanged,
        "templates": templates.total,
        "playbooks": playbooks.total,
    }


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
