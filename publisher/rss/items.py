"""A channel's feed read from the database: a cheap state probe, and the items themselves.

Every request runs :func:`feed_state` (one small aggregate query); only when its
``version`` is new does :func:`feed_items` load the publications, which the view then
renders once and keeps (see :mod:`publisher.rss.cache`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from channels.portal_rss import Enclosure, FeedChannel, FeedItem
from content_library.models import Asset, Campaign, ContentItem, ContentVersion
from content_library.sanitize import html_to_text, sanitize_html
from publisher.delivery.models import Channel, Publication
from publisher.delivery.render import article_path, rss_guid, words_for
from publisher.media_paths import media_path_for

# "cancelled" is in the probe so that a withdrawal (published → cancelled) moves the version.
PROBED_STATUSES = ("published", "cancelled")
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class FeedState:
    """What one request needs to know before deciding whether anything must be rendered."""

    channel_id: int
    kind: str
    enabled: bool
    # Changes whenever anything the feed shows may have changed: the cache key.
    version: tuple[Any, ...]
    # Newest change to the feed's items (publication, correction, withdrawal) or to the
    # channel itself; never the clock, so two identical requests get identical headers.
    modified_at: datetime


@functools.cache
def state_statement() -> Select[Any]:
    # Built once: the probe runs on every feed request, so it stays a single statement
    # with one bound parameter. Grouping by the primary key lets PostgreSQL return the
    # channel's other columns (they depend on it); SQLite allows it anyway.
    pub, item, campaign = Publication, ContentItem, Campaign
    return (
        select(
            Channel.id,
            Channel.kind,
            Channel.enabled,
            Channel.updated_at,
            func.count(pub.id),
            func.max(pub.id),
            func.max(pub.updated_at),
            func.max(pub.published_at),
            func.max(pub.withdrawn_at),
            func.max(item.updated_at),
            func.max(campaign.updated_at),
        )
        .select_from(Channel)
        .outerjoin(pub, and_(pub.channel_id == Channel.id, pub.status.in_(PROBED_STATUSES)))
        .outerjoin(item, item.id == pub.content_id)
        .outerjoin(ContentVersion, ContentVersion.id == pub.version_id)
        .outerjoin(campaign, campaign.id == ContentVersion.campaign_id)
        .where(Channel.slug == bindparam("slug"))
        .group_by(Channel.id)
    )


def feed_state(session: Session, slug: str) -> FeedState | None:
    """The channel named ``slug`` and the version of its items; None if there is none."""
    return feed_state_from_row(session.execute(state_statement(), {"slug": slug}).first())


def feed_state_from_row(row: Any) -> FeedState | None:
    if row is None:
        return None
    (
        channel_id,
        kind,
        enabled,
        channel_updated,
        count,
        max_id,
        pubs_updated,
        newest_published,
        newest_withdrawn,
        items_updated,
        campaigns_updated,
    ) = row
    moments = [m for m in (channel_updated, newest_published, newest_withdrawn) if m is not None]
    version = (
        count,
        max_id,
        pubs_updated,
        newest_published,
        newest_withdrawn,
        items_updated,
        campaigns_updated,
        channel_updated,
    )
    return FeedState(
        channel_id=channel_id,
        kind=kind,
        enabled=bool(enabled),
        version=tuple(_comparable(v) for v in version),
        modified_at=max(moments),
    )


def _comparable(value: Any) -> Any:
    # Both drivers hand back datetimes here, but a plain string key is immune to any
    # difference in how an aggregate's type is reported.
    return value.isoformat() if isinstance(value, datetime) else value


def items_limit(channel: Channel, default: int) -> int:
    """The channel's ``items_limit`` setting, else the ``FEED_ITEMS`` setting."""
    value = (channel.settings or {}).get("items_limit")
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


def feed_channel(channel: Channel, base_url: str, self_path: str) -> FeedChannel:
    settings = channel.settings or {}
    title = str(settings.get("title") or channel.name)
    return FeedChannel(
        title=title,
        link=base_url + "/",
        description=str(settings.get("description") or title),
        self_url=base_url + self_path,
    )


def is_templated(render_context: dict[str, Any] | None) -> bool:
    """Planned from a template: the publication carries its own words (one drive's facts)."""
    context = render_context or {}
    return bool(context.get("title") or context.get("body_html"))


def item_guid(content_id: int, drive_id: int | None) -> str:
    """The content's guid; a template's words for one drive are an item of their own."""
    guid = rss_guid(content_id)
    return guid if drive_id is None else f"{guid}/drive-{drive_id}"


def _newest_per_item(session: Session, channel_id: int, limit: int) -> list[tuple[int, Any]]:
    """(publication id, first published) of the newest ``limit`` items, newest first.

    One item per content item: its newest publication gives the words (a correction
    published again replaces the text under the same guid), while the item keeps the
    date it first appeared, so a correction does not jump to the top as news. A
    template planned for several drives is one item per drive, since each carries
    other facts. Grouped here rather than in SQL because "templated" is a JSON test;
    it runs only when the feed changed.
    """
    pub = Publication
    rows = session.execute(
        select(pub.id, pub.content_id, pub.drive_id, pub.published_at, pub.render_context)
        .where(
            pub.channel_id == channel_id, pub.status == "published", pub.published_at.is_not(None)
        )
        .order_by(pub.published_at.desc(), pub.id.desc())
    )
    groups: dict[tuple[int, int], list[Any]] = {}
    for pub_id, content_id, drive_id, published_at, context in rows:
        key = (content_id, drive_id if drive_id is not None and is_templated(context) else 0)
        if key in groups:
            groups[key][1] = published_at  # rows come newest first: this one is older
        else:
            groups[key] = [pub_id, published_at]
    ordered = sorted(groups.items(), key=lambda kv: (kv[1][1], kv[0]), reverse=True)
    return [(pub_id, first_at) for _key, (pub_id, first_at) in ordered[:limit]]


def feed_items(session: Session, channel: Channel, *, base_url: str, limit: int) -> list[FeedItem]:
    """The newest ``limit`` items of an RSS channel (see :func:`_newest_per_item`)."""
    chosen = _newest_per_item(session, channel.id, limit)
    loaded = session.scalars(
        select(Publication)
        .where(Publication.id.in_([pub_id for pub_id, _first in chosen]))
        .options(selectinload(Publication.version), selectinload(Publication.content))
    ).all()
    pubs = {p.id: p for p in loaded}
    assets = _assets(session, {p.version.asset_id for p in loaded if p.version.asset_id})
    campaigns = _campaign_names(session, {p.version.campaign_id for p in loaded})
    return [
        _item(pubs[pub_id], first_at, base_url, assets, campaigns) for pub_id, first_at in chosen
    ]


def _assets(session: Session, ids: set[int]) -> dict[int, tuple[str, int, str]]:
    """Mime, size and public path per poster; the bytes themselves are served by /media/…."""
    if not ids:
        return {}
    rows = session.execute(
        select(Asset.id, Asset.mime, Asset.bytes, Asset.media_key, Asset.filename).where(
            Asset.id.in_(ids)
        )
    )
    return {
        row.id: (row.mime, row.bytes, media_path_for(row.media_key, row.filename, row.mime))
        for row in rows
    }


def _campaign_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(wanted)))
    return dict(rows.tuples().all())


def plain_summary(summary: str, body_html: str, limit: int = SUMMARY_CHARS) -> str:
    """The editor's summary, else the start of the body as one line of plain text."""
    text = " ".join((summary or "").split())
    if text:
        return text
    text = " ".join(html_to_text(body_html).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def categories(version: ContentVersion, campaign_names: dict[int, str]) -> tuple[str, ...]:
    """The campaign's name first, then the tags, as the delivered version has them."""
    names: list[str] = []
    if version.campaign_id is not None and version.campaign_id in campaign_names:
        names.append(campaign_names[version.campaign_id])
    names.extend(str(tag) for tag in version.tags or ())
    unique: list[str] = []
    for name in names:
        if name.strip() and name not in unique:
            unique.append(name)
    return tuple(unique)


def _item(
    pub: Publication,
    first_published: datetime,
    base_url: str,
    assets: dict[int, tuple[str, int, str]],
    campaign_names: dict[int, str],
) -> FeedItem:
    title, body_html, summary = words_for(pub)
    # Versions are sanitised when saved; planned words (render_context) come from
    # templates. Sanitising again is cheap on a cache miss and makes the feed safe
    # whichever path the words took. render_feed then makes every URL absolute.
    body_html = sanitize_html(body_html)
    enclosure = image_url = None
    asset_id = pub.version.asset_id
    if asset_id is not None and asset_id in assets:
        mime, size, path = assets[asset_id]
        image_url = base_url + path
        enclosure = Enclosure(url=image_url, length=size, mime=mime)
    drive_id = pub.drive_id if is_templated(pub.render_context) else None
    return FeedItem(
        guid=item_guid(pub.content_id, drive_id),
        title=title,
        link=base_url + article_path(pub.content_id, title),
        summary=plain_summary(summary, body_html),
        content_html=body_html,
        published_at=first_published,
        categories=categories(pub.version, campaign_names),
        enclosure=enclosure,
        image_url=image_url,
    )
