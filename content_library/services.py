"""Content workflow: create, edit (new version after approval), submit, approve, reject."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import PROFILE_KIND, Asset, Campaign, ContentItem, ContentVersion
from content_library.sanitize import html_to_text, nfc, plain_text, sanitize_html
from content_library.search import escape_like, fold


class WorkflowError(Exception):
    """A step the workflow does not allow; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def create_content(
    session: Session,
    *,
    kind: str,
    title: str,
    body: str,
    author_id: int | None,
    summary: str | None = None,
    language: str = "vi",
    campaign_id: int | None = None,
    tags: list[str] | None = None,
    asset_id: int | None = None,
    reading_text: str | None = None,
    variants: Mapping[str, Any] | None = None,
    is_template: bool = False,
    person: Mapping[str, Any] | None = None,
) -> ContentItem:
    """A new item with version 1 as a draft (``person``: a profile's person block)."""
    item = ContentItem(
        kind=kind,
        status="draft",
        language=language,
        campaign_id=campaign_id,
        is_template=is_template,
        created_by=author_id,
        latest_version=1,
    )
    version = ContentVersion(
        number=1,
        status="draft",
        title=clean_title(title),
        body_html=sanitize_html(body),
        summary=nfc(summary or "").strip(),
        tags=clean_tags(tags),
        language=language,
        campaign_id=campaign_id,
        asset_id=asset_id,
        reading_text=nfc(reading_text) if reading_text else None,
        variants=dict(variants or {}),
        authors=[author_id] if author_id is not None else [],
        created_by=author_id,
        person=clean_person(person),
    )
    item.consent_id = version.person["consent_id"] if version.person else None
    item.versions.append(version)
    _refresh_search(item, version)
    session.add(item)
    session.flush()
    return item


def clean_title(title: str) -> str:
    """Titles are plain text (see :func:`plain_text`); refuse one that was only markup."""
    value = plain_text(title)
    if not value:
        raise WorkflowError(
            "Tiêu đề không được để trống hoặc chỉ có mã HTML / the title is empty once markup "
            "is removed",
            422,
        )
    return value


def clean_person(person: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A profile's person block as stored: name (NFC, plain), commune code, consent id."""
    if person is None:
        return None
    block: dict[str, Any] = {
        "name": plain_text(str(person.get("name") or "")),
        "consent_id": int(person["consent_id"]),
    }
    if person.get("commune_code"):
        block["commune_code"] = str(person["commune_code"])
    return block


def clean_tags(tags: list[str] | None) -> list[str]:
    """Tags are shown as RSS categories: plain text, no blanks, no repeats."""
    out: list[str] = []
    for tag in tags or []:
        value = plain_text(str(tag))
        if value and value not in out:
            out.append(value)
    return out


def latest(item: ContentItem) -> ContentVersion:
    return item.versions[-1]


def version_by_number(item: ContentItem, number: int) -> ContentVersion | None:
    return next((v for v in item.versions if v.number == number), None)


def lineage_authors(item: ContentItem) -> set[int]:
    """Everyone who wrote or edited any version since the last approved one.

    Words carried over from an approved version were already checked by someone else;
    what changed since is the work of these people, and none of them may approve it.
    """
    approved = next((v.number for v in item.versions if v.id == item.approved_version_id), 0)
    authors: set[int] = set()
    for version in item.versions:
        if version.number > approved:
            authors.update(int(a) for a in version.authors or ())
            if version.created_by is not None:
                authors.add(version.created_by)
    return authors


def _add_author(version: ContentVersion, user_id: int | None) -> None:
    if user_id is None:
        return
    version.created_by = user_id
    if user_id not in (version.authors or []):
        # A new list, so the JSON column is seen as changed.
        version.authors = [*(version.authors or []), user_id]


def edit_content(
    session: Session, item: ContentItem, changes: Mapping[str, Any], editor_id: int | None
) -> ContentVersion:
    """Apply changes; approved content gets a new draft version, the approved one is untouched."""
    current = latest(item)
    if item.status == "archived":
        raise WorkflowError("Nội dung đã lưu trữ, không sửa được / archived content cannot change")
    if current.status == "in_review":
        raise WorkflowError(
            "Nội dung đang chờ duyệt; hãy chờ duyệt xong / content is in review and cannot change"
        )
    target = current
    if current.status == "approved":
        target = ContentVersion(
            number=current.number + 1,
            status="draft",
            title=current.title,
            body_html=current.body_html,
            summary=current.summary,
            tags=list(current.tags or []),
            language=current.language,
            campaign_id=current.campaign_id,
            asset_id=current.asset_id,
            reading_text=current.reading_text,
            variants=dict(current.variants or {}),
            person=dict(current.person) if current.person is not None else None,
            authors=[],
            created_by=editor_id,
        )
        item.versions.append(target)
        item.latest_version = target.number
    elif current.status == "rejected":
        target.status = "draft"
    # Every editor of a version is one of its authors, so none of them can approve it.
    _add_author(target, editor_id)
    if "title" in changes:
        target.title = clean_title(changes["title"])
    if "body" in changes:
        target.body_html = sanitize_html(changes["body"])
    if "summary" in changes:
        target.summary = nfc(changes["summary"] or "").strip()
    if "asset_id" in changes:
        target.asset_id = changes["asset_id"]
    if "reading_text" in changes:
        target.reading_text = nfc(changes["reading_text"]) if changes["reading_text"] else None
    if "variants" in changes:
        target.variants = dict(changes["variants"] or {})
    if "tags" in changes:
        target.tags = clean_tags(changes["tags"])
    if "person" in changes and item.kind == PROFILE_KIND:
        target.person = clean_person(changes["person"])
        item.consent_id = target.person["consent_id"] if target.person else None
    for name in ("campaign_id", "language"):
        if name in changes:
            setattr(target, name, changes[name])
            setattr(item, name, changes[name])
    item.status = target.status
    item.updated_at = utcnow()
    _refresh_search(item, target)
    session.flush()
    return target


def submit(item: ContentItem, user_id: int | None) -> ContentVersion:
    version = latest(item)
    if version.status not in ("draft", "rejected"):
        raise WorkflowError(
            f"Chỉ gửi duyệt được bản nháp (đang là {version.status}) / only drafts can be submitted"
        )
    version.status = "in_review"
    version.submitted_at = utcnow()
    item.status = "in_review"
    return version


def approve(session: Session, item: ContentItem, user_id: int) -> ContentVersion:
    version = latest(item)
    if version.status != "in_review":
        raise WorkflowError(
            f"Chỉ duyệt được nội dung đang chờ duyệt (đang là {version.status}) "
            "/ only content in review can be approved"
        )
    if user_id in lineage_authors(item):
        raise WorkflowError(
            "Không được tự duyệt nội dung mình đã viết hoặc sửa / nobody approves content they "
            "wrote or edited since the last approval",
            403,
        )
    version.status = "approved"
    version.reviewed_by = user_id
    version.reviewed_at = utcnow()
    version.content_hash = content_hash(session, item, version)
    item.status = "approved"
    item.approved_version_id = version.id
    return version


def reject(item: ContentItem, user_id: int, note: str) -> ContentVersion:
    version = latest(item)
    if version.status != "in_review":
        raise WorkflowError(
            "Chỉ từ chối được nội dung đang chờ duyệt / only content in review can be rejected"
        )
    if user_id in lineage_authors(item):
        raise WorkflowError(
            "Không được tự duyệt nội dung mình đã viết hoặc sửa / nobody reviews their own", 403
        )
    version.status = "rejected"
    version.reviewed_by = user_id
    version.reviewed_at = utcnow()
    version.review_note = nfc(note or "")
    item.status = "rejected"
    return version


def archive(item: ContentItem) -> None:
    if latest(item).status == "in_review":
        raise WorkflowError("Nội dung đang chờ duyệt / content is in review")
    item.status = "archived"


def content_hash(session: Session, item: ContentItem, version: ContentVersion) -> str:
    """SHA-256 over what the version says: kind, words, tags, language, campaign, poster
    bytes, reading and variants (natural keys only, so the hash travels with an export)."""
    asset_sha = None
    if version.asset_id is not None:
        asset = session.get(Asset, version.asset_id)
        asset_sha = asset.sha256 if asset else None
    campaign_slug = None
    if version.campaign_id is not None:
        campaign = session.get(Campaign, version.campaign_id)
        campaign_slug = campaign.slug if campaign else None
    said: dict[str, Any] = {}
    if version.person is not None:
        # Only profiles carry a person: every other kind keeps the hash it always had.
        said["person"] = version.person
    canonical = json.dumps(
        {
            **said,
            "kind": item.kind,
            "title": version.title,
            "body": version.body_html,
            "summary": version.summary,
            "tags": list(version.tags or []),
            "language": version.language,
            "campaign": campaign_slug,
            "asset": asset_sha,
            "reading_text": version.reading_text,
            "variants": version.variants or {},
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def search_statement(
    q: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    campaign_id: int | None = None,
) -> Select[tuple[ContentItem]]:
    stmt = select(ContentItem).order_by(ContentItem.updated_at.desc(), ContentItem.id.desc())
    if q:
        for word in fold(q).split(" ")[:10]:
            stmt = stmt.where(ContentItem.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    if kind:
        stmt = stmt.where(ContentItem.kind == kind)
    if status:
        stmt = stmt.where(ContentItem.status == status)
    if campaign_id is not None:
        stmt = stmt.where(ContentItem.campaign_id == campaign_id)
    return stmt


def _refresh_search(item: ContentItem, version: ContentVersion) -> None:
    item.search_text = fold(f"{version.title} {version.summary} {html_to_text(version.body_html)}")
