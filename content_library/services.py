"""Content workflow: create, edit (new version after approval), submit, approve, reject."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.models import Asset, ContentItem, ContentVersion
from content_library.sanitize import html_to_text, nfc, sanitize_html
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
) -> ContentItem:
    """A new item with version 1 as a draft."""
    item = ContentItem(
        kind=kind,
        status="draft",
        language=language,
        campaign_id=campaign_id,
        tags=[nfc(t) for t in (tags or [])],
        is_template=is_template,
        created_by=author_id,
        latest_version=1,
    )
    version = ContentVersion(
        number=1,
        status="draft",
        title=nfc(title).strip(),
        body_html=sanitize_html(body),
        summary=nfc(summary or "").strip(),
        asset_id=asset_id,
        reading_text=nfc(reading_text) if reading_text else None,
        variants=dict(variants or {}),
        created_by=author_id,
    )
    item.versions.append(version)
    _refresh_search(item, version)
    session.add(item)
    session.flush()
    return item


def latest(item: ContentItem) -> ContentVersion:
    return item.versions[-1]


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
            asset_id=current.asset_id,
            reading_text=current.reading_text,
            variants=dict(current.variants or {}),
            created_by=editor_id,
        )
        item.versions.append(target)
        item.latest_version = target.number
    elif current.status == "rejected":
        target.status = "draft"
        target.created_by = editor_id if editor_id is not None else target.created_by
    else:
        # Whoever edits a draft last is its author, so they cannot approve it.
        target.created_by = editor_id if editor_id is not None else target.created_by
    if "title" in changes:
        target.title = nfc(changes["title"]).strip()
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
    for name in ("tags", "campaign_id", "language"):
        if name in changes:
            value = changes[name]
            setattr(item, name, [nfc(t) for t in value] if name == "tags" else value)
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
    if version.created_by == user_id:
        raise WorkflowError(
            "Không được tự duyệt nội dung của mình / nobody approves their own content", 403
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
    if version.created_by == user_id:
        raise WorkflowError("Không được tự duyệt nội dung của mình / nobody reviews their own", 403)
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
    """SHA-256 over what the version says: kind, words, poster bytes, reading and variants."""
    asset_sha = None
    if version.asset_id is not None:
        asset = session.get(Asset, version.asset_id)
        asset_sha = asset.sha256 if asset else None
    canonical = json.dumps(
        {
            "kind": item.kind,
            "title": version.title,
            "body": version.body_html,
            "summary": version.summary,
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
