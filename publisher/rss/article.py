"""What the public page of an article shows, and whether it may be shown at all.

A page exists only for content that went out: at least one publication on any
channel that is being or has been delivered and was not withdrawn. ``publishing``
and ``unconfirmed`` count because Facebook fetches a link post's page (for its
preview) while the post is being created, before the row says ``published``.
Drafts never show: the words are the latest *approved* version, or the words the
publication itself carried when it was planned from a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_library.models import Asset, Campaign, ContentItem, ContentVersion, Drive
from content_library.sanitize import sanitize_html
from content_library.search import slugify
from publisher.delivery.models import Publication
from publisher.delivery.render import words_for
from publisher.media_paths import media_path_for
from publisher.rss.items import is_templated, plain_summary
from publisher.times import (
    format_date_vi,
    format_datetime_vi,
    format_number_vi,
    format_time_range_vi,
    local_date,
)

VISIBLE_STATUSES = ("publishing", "published", "unconfirmed")
DRIVE_STATUS_VI = {
    "planned": "Dự kiến",
    "confirmed": "Đã xác nhận",
    "cancelled": "Đã hủy",
    "done": "Đã diễn ra",
}


@dataclass(frozen=True)
class Poster:
    asset_id: int
    mime: str
    width: int
    height: int
    path: str  # the public /media/… path (served: the article's version is approved)


@dataclass(frozen=True)
class DriveFacts:
    name: str
    when: str
    location: str
    commune: str
    target: str | None
    status: str
    cancelled: bool


@dataclass(frozen=True)
class ArticlePage:
    content_id: int
    title: str
    summary: str
    body_html: str
    published_at: datetime
    published_vi: str
    campaign: str | None
    poster: Poster | None
    drive: DriveFacts | None
    # The campaign whose image stands in for a missing poster (the item's, else the drive's).
    campaign_id: int | None = None


def _public_publication(session: Session, content_id: int, slug: str) -> Publication | None:
    """The newest visible publication; for a template planned for several drives, the one
    whose words the slug names (each drive's Fanpage post links to its own words)."""
    pubs = session.scalars(
        select(Publication)
        .where(
            Publication.content_id == content_id,
            Publication.status.in_(VISIBLE_STATUSES),
            Publication.cancelled_at.is_(None),
            Publication.withdrawn_at.is_(None),
        )
        .order_by(
            func.coalesce(Publication.published_at, Publication.updated_at).desc(),
            Publication.id.desc(),
        )
    ).all()
    if slug:
        for pub in pubs:
            if is_templated(pub.render_context) and slugify(words_for(pub)[0]) == slug:
                return pub
    return pubs[0] if pubs else None


def _words(
    session: Session, pub: Publication, item: ContentItem
) -> tuple[str, str, str, ContentVersion]:
    if is_templated(pub.render_context):
        title, body, summary = words_for(pub)
        return title, body, summary, pub.version
    version = pub.version
    if item.approved_version_id is not None and item.approved_version_id != version.id:
        approved = session.get(ContentVersion, item.approved_version_id)
        # A correction approved after this publication: approved words are public words.
        if approved is not None and approved.number > version.number:
            version = approved
    return version.title, version.body_html, version.summary or "", version


def _first_published(session: Session, content_id: int, fallback: datetime) -> datetime:
    first = session.scalar(
        select(func.min(Publication.published_at)).where(
            Publication.content_id == content_id,
            Publication.status == "published",
            Publication.cancelled_at.is_(None),
        )
    )
    return first if isinstance(first, datetime) else fallback


def _drive_facts(drive: Drive) -> DriveFacts:
    start, end = drive.starts_at, drive.ends_at
    if local_date(start) == local_date(end):
        when = f"{format_time_range_vi(start, end)}, {format_date_vi(start)}"
    else:
        when = format_time_range_vi(start, end)
    commune = drive.commune
    commune_name = ""
    if commune is not None:
        commune_name = f"{commune.kind[:1].upper()}{commune.kind[1:]} {commune.name}"
    target = None
    if drive.target_units:
        target = f"{format_number_vi(drive.target_units)} đơn vị máu"
    return DriveFacts(
        name=drive.name,
        when=when[:1].upper() + when[1:],
        location=drive.location,
        commune=commune_name,
        target=target,
        status=DRIVE_STATUS_VI.get(drive.status, drive.status),
        cancelled=drive.status == "cancelled",
    )


def load_article(session: Session, content_id: int, slug: str = "") -> ArticlePage | None:
    """The public page of ``content_id``, or None when it must not be shown."""
    pub = _public_publication(session, content_id, slug)
    if pub is None:
        return None
    item = pub.content
    title, body_html, summary, version = _words(session, pub, item)
    asset_id = version.asset_id
    body_html = sanitize_html(body_html)
    poster = None
    if asset_id is not None:
        row = session.execute(
            select(Asset.mime, Asset.width, Asset.height, Asset.media_key, Asset.filename).where(
                Asset.id == asset_id
            )
        ).first()
        if row is not None:
            path = media_path_for(row.media_key, row.filename, row.mime)
            poster = Poster(asset_id, row.mime, row.width, row.height, path)
    # The campaign the shown version names, not whatever an unapproved draft says.
    campaign = session.get(Campaign, version.campaign_id) if version.campaign_id else None
    drive = None
    campaign_id = item.campaign_id
    if pub.drive_id is not None:
        drive_row = session.get(Drive, pub.drive_id)
        drive = _drive_facts(drive_row) if drive_row is not None else None
        if campaign_id is None and drive_row is not None:
            campaign_id = drive_row.campaign_id
    published = pub.published_at or pub.scheduled_at
    if not is_templated(pub.render_context):
        published = _first_published(session, content_id, published)
    return ArticlePage(
        content_id=content_id,
        title=title,
        summary=plain_summary(summary, body_html),
        body_html=body_html,
        published_at=published,
        published_vi=format_datetime_vi(published),
        campaign=campaign.name if campaign else None,
        poster=poster,
        drive=drive,
        campaign_id=campaign_id,
    )
