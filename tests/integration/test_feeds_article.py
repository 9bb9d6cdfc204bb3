"""The public article page: only published words, shareable, with the drive's facts."""

from __future__ import annotations

from html.parser import HTMLParser

from content_library.services import create_content, edit_content
from publisher.auth.services import create_user
from publisher.media_paths import media_path
from tests.integration.feeds_support import (
    BASE,
    article,
    campaign,
    drive,
    poster,
    publish,
    rss_channel,
)


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.images: list[dict[str, str | None]] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        elif tag == "meta" and (values.get("property") or values.get("name")):
            self.meta[values.get("property") or values["name"]] = values.get("content") or ""
        elif tag == "link" and values.get("rel"):
            self.links[values["rel"]] = values.get("href") or ""
        elif tag == "img":
            self.images.append(values)


def _parse(page: str) -> _Meta:
    parser = _Meta()
    parser.feed(page)
    parser.close()
    return parser


def test_the_page_has_sharing_tags_poster_and_drive_facts(app, db, client):
    camp = campaign(db)
    asset = poster(db)
    the_drive = drive(db, campaign_id=camp.id)
    item = article(
        db,
        "Chủ nhật Đỏ tại Tân Phong",
        campaign_id=camp.id,
        asset_id=asset.id,
        summary="Mời bà con đến hiến máu.",
        body="<p>Mỗi giọt máu cho đi.</p>",
    )
    publish(app, db, [item], rss_channel(db), drive_id=the_drive.id)
    path = f"/articles/{item.id}-chu-nhat-do-tai-tan-phong"
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert "public" in answer.headers["Cache-Control"]
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    page = answer.get_data(as_text=True)
    tags = _parse(page)
    assert tags.html_lang == "vi"
    assert tags.meta["og:type"] == "article"
    assert tags.meta["og:title"] == "Chủ nhật Đỏ tại Tân Phong"
    assert tags.meta["og:description"] == "Mời bà con đến hiến máu."
    assert tags.meta["og:url"] == BASE + path
    assert tags.meta["og:image"] == BASE + media_path(asset)
    assert client.get(media_path(asset)).status_code == 200  # Open Graph readers can fetch it
    assert tags.meta["og:image:width"] == "320" and tags.meta["og:image:height"] == "200"
    assert tags.links["canonical"] == BASE + path
    (img,) = tags.images
    assert img["src"] == media_path(asset) and img["alt"].endswith("Chủ nhật Đỏ tại Tân Phong")
    assert "<h1>Chủ nhật Đỏ tại Tân Phong</h1>" in page
    assert "Chủ nhật Đỏ</strong>" in page  # the campaign
    assert "Mỗi giọt máu cho đi." in page
    # Drive facts in Vietnamese, local time: 7h30–11h30 on Friday 20/12/2030.
    assert "Từ 7h30 đến 11h30, thứ Sáu, ngày 20/12/2030" in page
    assert "Nhà Văn hóa tỉnh" in page
    assert "Phường Tân Phong" in page
    assert "1.200 đơn vị máu" in page
    assert "<script" not in page  # light: no JavaScript at all
    with client.get(tags.links["stylesheet"]) as css:
        assert css.status_code == 200 and css.mimetype == "text/css"


def test_a_cancelled_drive_says_so(app, db, client):
    the_drive = drive(db, status="cancelled")
    item = article(db, "Thông báo hoãn")
    publish(app, db, [item], rss_channel(db), drive_id=the_drive.id)
    page = client.get(f"/articles/{item.id}", follow_redirects=True).get_data(as_text=True)
    assert "Đợt hiến máu này đã bị hủy." in page


def test_unpublished_content_has_no_page(app, db, client):
    author = create_user(db, "writer", "editor")
    draft = create_content(
        db, kind="article", title="Bản nháp bí mật", body="Chưa duyệt", author_id=author.id
    )
    approved = article(db, "Đã duyệt nhưng chưa đăng")
    db.commit()
    for item in (draft, approved):
        assert client.get(f"/articles/{item.id}").status_code == 404
        assert client.get(f"/articles/{item.id}-ban-nhap-bi-mat").status_code == 404
    assert client.get("/articles/999999-khong-co").status_code == 404


def test_a_draft_edit_after_publication_never_shows(app, db, client):
    item = article(db, "Bản đã đăng", body="<p>Nội dung đã duyệt.</p>")
    publish(app, db, [item], rss_channel(db))
    editor = create_user(db, "later-editor", "editor")
    edit_content(db, item, {"title": "Bản nháp mới", "body": "<p>Chưa duyệt.</p>"}, editor.id)
    db.commit()
    page = client.get(f"/articles/{item.id}", follow_redirects=True).get_data(as_text=True)
    assert "Bản đã đăng" in page and "Nội dung đã duyệt." in page
    assert "Bản nháp mới" not in page and "Chưa duyệt." not in page


def test_the_slug_is_cosmetic_and_redirects_to_the_canonical_one(app, db, client):
    item = article(db, "Hiến máu 14/6")
    publish(app, db, [item], rss_channel(db))
    canonical = f"/articles/{item.id}-hien-mau-14-6"
    assert client.get(canonical).status_code == 200
    for wrong in (f"/articles/{item.id}-sai-duong-dan", f"/articles/{item.id}"):
        answer = client.get(wrong)
        assert answer.status_code == 301
        assert answer.headers["Location"].endswith(canonical)


def test_a_template_planned_for_two_drives_gives_each_drive_its_item_and_page(app, db, client):
    from datetime import UTC, datetime

    from tests.integration.feeds_support import parse_xml

    template = article(db, "Thông báo đợt hiến máu", is_template=True)
    channel = rss_channel(db)
    first = drive(db, name="Đợt Tân Phong")
    second = drive(
        db,
        name="Đợt Sìn Hồ",
        location="Sân vận động huyện",
        starts_at=datetime(2030, 12, 27, 0, 0, tzinfo=UTC),
        ends_at=datetime(2030, 12, 27, 4, 0, tzinfo=UTC),
    )
    for the_drive, title in ((first, "Hiến máu tại Tân Phong"), (second, "Hiến máu tại Sìn Hồ")):
        words = {"title": title, "body_html": f"<p>{the_drive.location}</p>", "summary": title}
        publish(app, db, [template], channel, drive_id=the_drive.id, render_context=words)
    items = parse_xml(client.get("/feeds/cong-tinh.rss").data).find("channel").findall("item")
    by_title = {i.findtext("title"): i for i in items}
    assert set(by_title) == {"Hiến máu tại Tân Phong", "Hiến máu tại Sìn Hồ"}
    guids = {i.findtext("guid") for i in items}
    assert guids == {
        f"tag:publisher.test,2025:content-{template.id}/drive-{first.id}",
        f"tag:publisher.test,2025:content-{template.id}/drive-{second.id}",
    }
    for title, the_drive in (("Hiến máu tại Tân Phong", first), ("Hiến máu tại Sìn Hồ", second)):
        link = by_title[title].findtext("link")
        page = client.get(link.removeprefix(BASE)).get_data(as_text=True)
        assert f"<h1>{title}</h1>" in page
        assert the_drive.name in page and the_drive.location in page
    assert "thứ Sáu, ngày 27/12/2030" in client.get(
        by_title["Hiến máu tại Sìn Hồ"].findtext("link").removeprefix(BASE)
    ).get_data(as_text=True)
