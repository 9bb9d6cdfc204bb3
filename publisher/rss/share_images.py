"""The image a link preview shows when an article has no poster: the campaign's, drawn once.

Facebook and Zalo take an article's ``og:image`` for the card they show. Articles
without a poster get their campaign's image (its name and the province's, drawn with
the DejaVu fonts the PDF bulletins ship, so Vietnamese letters render everywhere), or
the service's own image when they belong to no campaign. Drawing takes a fraction of
a second, so the PNG is stored under a cache key made of what it shows; any web
process serves the stored bytes, and a renamed campaign simply gets a new key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_library.models import Campaign
from publisher.posters import PROVINCE, SHARE_DRAWING_VERSION, SHARE_SIZE, draw_share_image
from publisher.rss.models import CampaignImage

# What the service's own image says, for articles outside any campaign.
SITE_TITLE = "Hiến máu tình nguyện"
SITE_IMAGE_PATH = "/images/share.png"


@dataclass(frozen=True)
class ShareImage:
    """An ``og:image`` as the article page announces it."""

    url: str
    mime: str
    width: int
    height: int
    alt: str


def _fingerprint(title: str) -> str:
    text = f"{SHARE_DRAWING_VERSION}|{title}|{PROVINCE}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cache_key(campaign: Campaign | None) -> str:
    """``campaign-<id>-<hash of what is drawn>``, or ``site-<hash>``."""
    if campaign is None:
        return f"site-{_fingerprint(SITE_TITLE)}"
    return f"campaign-{campaign.id}-{_fingerprint(campaign.name)}"


def stored_image(session: Session, campaign: Campaign | None) -> CampaignImage:
    """The stored image for ``campaign`` (None: the site's), drawn and stored the first time."""
    key = cache_key(campaign)
    found = session.scalar(select(CampaignImage).where(CampaignImage.cache_key == key))
    if found is not None:
        return found
    row = CampaignImage(
        cache_key=key,
        campaign_id=campaign.id if campaign is not None else None,
        mime="image/png",
        width=SHARE_SIZE[0],
        height=SHARE_SIZE[1],
        data=draw_share_image(campaign.name if campaign is not None else SITE_TITLE),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another process drew it meanwhile: the same picture, keep theirs.
        found = session.scalar(select(CampaignImage).where(CampaignImage.cache_key == key))
        if found is None:
            raise
        return found
    return row


def share_image(base_url: str, campaign: Campaign | None) -> ShareImage:
    """Where the campaign's (or the site's) image is, with a version in the query so that
    previews that cache by URL see a renamed campaign's new image."""
    version = cache_key(campaign).rsplit("-", 1)[-1]
    if campaign is None:
        path, alt = SITE_IMAGE_PATH, f"{SITE_TITLE} – tỉnh {PROVINCE}"
    else:
        path, alt = f"/campaigns/{campaign.slug}/image.png", f"{campaign.name} – tỉnh {PROVINCE}"
    return ShareImage(
        url=f"{base_url}{path}?v={version}",
        mime="image/png",
        width=SHARE_SIZE[0],
        height=SHARE_SIZE[1],
        alt=alt,
    )
