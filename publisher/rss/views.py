"""Public routes: ``GET /feeds/<slug>.rss`` and ``GET /articles/<id>-<slug>``."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select

from channels.portal_rss import absolutize_html, etag_for, http_date, render_feed
from content_library.models import Campaign
from content_library.search import slugify
from publisher.db import db
from publisher.delivery.models import Channel
from publisher.delivery.render import article_path
from publisher.errors import ApiError
from publisher.rss.article import load_article
from publisher.rss.cache import FeedCache, RenderedFeed
from publisher.rss.items import (
    feed_channel,
    feed_items,
    feed_state,
    items_limit,
)
from publisher.rss.probe import probe_for
from publisher.rss.share_images import ShareImage, share_image, stored_image

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
# Portals poll; a minute of shared caching takes load off without hiding a withdrawal long.
FEED_CACHE_CONTROL = "public, max-age=60"
ARTICLE_CACHE_CONTROL = "public, max-age=300"
# The article page loads nothing but its own stylesheet and the poster.
ARTICLE_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

feeds = Blueprint(
    "feeds",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/public",
)


@feeds.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions["feed_cache"] = FeedCache()


def _feed_not_found(slug: str) -> ApiError:
    return ApiError(404, f"Không có nguồn tin RSS '{slug}' / no RSS feed named {slug!r}")


def _render(slug: str) -> RenderedFeed:
    """Render the feed from one consistent read, and keep it under that read's version."""
    settings = current_app.config["SETTINGS"]
    state = feed_state(db.session, slug)
    channel = db.session.get(Channel, state.channel_id) if state is not None else None
    if state is None or channel is None or state.kind != "rss" or not state.enabled:
        db.session.rollback()
        raise _feed_not_found(slug)  # changed since the probe
    base = settings.PUBLIC_BASE_URL
    limit = items_limit(channel, settings.FEED_ITEMS)
    items = feed_items(db.session, channel, base_url=base, limit=limit)
    about = feed_channel(channel, base, f"/feeds/{slug}.rss")
    # Everything is read (a rollback expires the rows): release the connection now.
    db.session.rollback()
    body = render_feed(about, items)
    rendered = RenderedFeed(
        body=body, etag=etag_for(body), last_modified=http_date(state.modified_at)
    )
    current_app.extensions["feed_cache"].put((state.channel_id, state.version), rendered)
    return rendered


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored.
    bare = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


def _not_modified_since(header: str, last_modified: str) -> bool:
    if header == last_modified:
        return True  # what readers send back, verbatim
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        return False  # "-0000" means unknown zone: do not guess
    return parsedate_to_datetime(last_modified) <= since


@feeds.get("/feeds/<slug>.rss")
def feed(slug: str) -> Response:
    """The channel's RSS 2.0 feed; 304 when the reader's copy is current."""
    state = probe_for(current_app).state(slug)
    if state is None or state.kind != "rss" or not state.enabled:
        raise _feed_not_found(slug)
    cache: FeedCache = current_app.extensions["feed_cache"]
    rendered = cache.get((state.channel_id, state.version)) or _render(slug)
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": rendered.last_modified,
        "Cache-Control": FEED_CACHE_CONTROL,
    }
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 §13.2.2).
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, rendered.etag)
    else:
        since = request.headers.get("If-Modified-Since")
        fresh = since is not None and _not_modified_since(since, rendered.last_modified)
    if fresh:
        response = current_app.response_class(status=304, headers=headers)
        response.headers.pop("Content-Type", None)
        return response
    return current_app.response_class(
        rendered.body, status=200, headers=headers, content_type=RSS_CONTENT_TYPE
    )


@feeds.get("/articles/<int:content_id>")
@feeds.get("/articles/<int:content_id>-<slug>")
def article(content_id: int, slug: str = "") -> Any:
    """The public page of a published article; a wrong slug redirects to the right one."""
    page = load_article(db.session, content_id, slug)
    if page is None:
        abort(404)
    canonical_slug = slugify(page.title)
    if slug != canonical_slug:
        return redirect(url_for("feeds.article", content_id=content_id, slug=canonical_slug), 301)
    base = current_app.config["SETTINGS"].PUBLIC_BASE_URL
    canonical = base + article_path(content_id, page.title)
    image_url = base + page.poster.path if page.poster else None
    if page.poster is not None and image_url is not None:
        image = ShareImage(
            image_url, page.poster.mime, page.poster.width, page.poster.height, page.title
        )
    else:
        campaign = db.session.get(Campaign, page.campaign_id) if page.campaign_id else None
        image = share_image(base, campaign)
    html = render_template(
        "feeds/article.html",
        page=page,
        body_html=absolutize_html(page.body_html, canonical),
        canonical=canonical,
        site_url=base + "/",
        image=image,
        published_iso=page.published_at.replace(microsecond=0).isoformat(),
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = ARTICLE_CACHE_CONTROL
    response.headers["Content-Security-Policy"] = ARTICLE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Link-preview images change only when a campaign is renamed (a new ``?v=``), so caches keep
# them a day; the ETag is the cache key of what is drawn.
SHARE_IMAGE_CACHE_CONTROL = "public, max-age=86400"


def _share_image_response(campaign: Campaign | None) -> Response:
    row = stored_image(db.session, campaign)
    db.session.commit()
    etag = row.cache_key
    headers = {"Cache-Control": SHARE_IMAGE_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304, headers=headers)
    else:
        response = current_app.response_class(row.data, headers=headers, mimetype=row.mime)
    response.set_etag(etag)
    return response


@feeds.get("/campaigns/<slug>/image.png")
def campaign_image(slug: str) -> Response:
    """The campaign's link-preview image (1200×630 PNG), public like the articles."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    return _share_image_response(campaign)


@feeds.get("/images/share.png")
def site_share_image() -> Response:
    """The link-preview image of articles that belong to no campaign."""
    return _share_image_response(None)
