"""Every public article page has an og:image that answers: the poster, else a drawn image."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import html5lib
from PIL import Image
from sqlalchemy import func, select

from content_library.models import Asset, Campaign, ContentItem
from publisher.delivery.models import Publication
from publisher.media_paths import media_path
from publisher.rss.article import VISIBLE_STATUSES
from publisher.rss.models import CampaignImage
from tests.integration.feeds_support import (
    BASE,
    article,
    campaign,
    drive,
    poster,
    publish,
    rss_channel,
)


def og_tags(client, content_id: int) -> dict[str, str]:
    answer = client.get(f"/articles/{content_id}", follow_redirects=True)
    assert answer.status_code == 200, content_id
    tree = html5lib.parse(answer.get_data(as_text=True), namespaceHTMLElements=False)
    return {
        meta.get("property"): meta.get("content")
        for meta in tree.iter("meta")
        if (meta.get("property") or "").startswith("og:image")
    }


def fetch_image(client, url: str) -> tuple[str, tuple[int, int], bytes]:
    """GET an absolute URL under PUBLIC_BASE_URL through the test client."""
    assert url.startswith(BASE + "/"), url
    parts = urlsplit(url)
    answer = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert answer.status_code == 200, url
    with Image.open(io.BytesIO(answer.data)) as image:
        return answer.mimetype, image.size, answer.data


def test_every_demo_article_has_an_og_image_that_answers(app, client, db):
    assert app.test_cli_runner().invoke(args=["seed", "--demo"]).exit_code == 0
    db.expire_all()
    public = db.scalars(
        select(ContentItem.id)
        .join(Publication, Publication.content_id == ContentItem.id)
        .where(Publication.status.in_(VISIBLE_STATUSES), ContentItem.kind == "article")
        .distinct()
    ).all()
    db.commit()
    assert len(public) >= 5
    drawn = set()
    for content_id in public:
        tags = og_tags(client, content_id)
        mime, size, data = fetch_image(client, tags["og:image"])
        assert mime == tags["og:image:type"]
        assert size == (int(tags["og:image:width"]), int(tags["og:image:height"]))
        assert tags["og:image:alt"]
        if "/media/" not in tags["og:image"]:
            assert (mime, size) == ("image/png", (1200, 630))
            assert "Lai Châu" in tags["og:image:alt"]
            drawn.add(data)
    assert drawn, "the demo's articles without posters get a drawn image"
    # Drawn once: every scrape after the first reads the stored bytes.
    stored = db.scalar(select(func.count()).select_from(CampaignImage))
    db.commit()
    assert stored == len(drawn)


def test_campaign_image_poster_and_unknown_slug(app, client, db):
    channel = rss_channel(db)
    camp = campaign(db, name="Tết và Lễ hội Xuân hồng", slug="xuan-hong")
    plain = article(db, "Lịch hiến máu mùa xuân", campaign_id=camp.id)
    with_poster = article(db, "Áp phích Chủ nhật Đỏ", asset_id=poster(db).id)
    orphan = article(db, "Tin không thuộc chiến dịch")
    drive(db, campaign_id=camp.id)
    db.commit()
    publish(app, db, [plain, with_poster, orphan], channel)
    ids = (plain.id, with_poster.id, orphan.id, camp.id)
    db.commit()

    tags = og_tags(client, ids[0])
    assert tags["og:image"].startswith(f"{BASE}/campaigns/xuan-hong/image.png?v=")
    assert tags["og:image:alt"] == "Tết và Lễ hội Xuân hồng – tỉnh Lai Châu"
    mime, size, first = fetch_image(client, tags["og:image"])
    assert (mime, size) == ("image/png", (1200, 630))
    again = client.get("/campaigns/xuan-hong/image.png")
    assert again.data == first and again.headers["Cache-Control"].startswith("public")
    cached = client.get(
        "/campaigns/xuan-hong/image.png", headers={"If-None-Match": again.headers["ETag"]}
    )
    assert cached.status_code == 304

    tags = og_tags(client, ids[1])
    shown = db.get(Asset, db.get(ContentItem, ids[1]).versions[0].asset_id)
    assert tags["og:image"] == BASE + media_path(shown)
    db.commit()
    assert fetch_image(client, tags["og:image"])[:2] == ("image/png", (320, 200))

    tags = og_tags(client, ids[2])
    assert urlsplit(tags["og:image"]).path == "/images/share.png"
    assert fetch_image(client, tags["og:image"])[:2] == ("image/png", (1200, 630))

    # A renamed campaign gets a new drawing under a new ?v=, the old one stays stored.
    db.get(Campaign, ids[3]).name = "Xuân hồng 2026"
    db.commit()
    renamed = og_tags(client, ids[0])
    assert renamed["og:image:alt"] == "Xuân hồng 2026 – tỉnh Lai Châu"
    assert fetch_image(client, renamed["og:image"])[2] != first

    assert client.get("/campaigns/khong-co/image.png").status_code == 404
