"""The served RSS feed: published through the real pipeline, checked element by element."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser

from content_library.services import approve, edit_content, submit
from publisher.auth.services import create_user
from publisher.delivery.channels import update_channel
from publisher.delivery.models import Publication
from publisher.media_paths import media_path
from tests.factories import webhook_channel
from tests.integration.feeds_support import (
    BASE,
    NS,
    article,
    assert_inert,
    backdate,
    campaign,
    parse_xml,
    poster,
    publish,
    rss_channel,
)

FEED = "/feeds/cong-tinh.rss"


def _two_items(app, db):
    camp = campaign(db)
    asset = poster(db)
    first = article(
        db,
        "Chủ nhật Đỏ tại Tân Phong",
        campaign_id=camp.id,
        tags=["hiến máu", "Tân Phong"],
        asset_id=asset.id,
        summary="Hơn 300 người đăng ký hiến máu.",
        body="<p>Sáng 20/12 <a href='/chien-dich'>chiến dịch</a> bắt đầu.</p>",
    )
    second = article(db, "Điều kiện hiến máu", body="<p>Từ 18 đến 60 tuổi, nặng từ 45 kg.</p>")
    channel = rss_channel(db)
    pubs = publish(app, db, [first, second], channel)
    backdate(db, pubs, hours=2)
    return camp, asset, first, second, pubs


def test_every_checklist_element_is_there(app, db, client):
    _camp, asset, first, second, pubs = _two_items(app, db)
    answer = client.get(FEED)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert answer.headers["ETag"].startswith('"')
    assert answer.headers["Last-Modified"].endswith(" GMT")
    assert "public" in answer.headers["Cache-Control"]
    root = parse_xml(answer.data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    chan = root.find("channel")
    assert chan.findtext("title") == "Tin hiến máu Lai Châu"
    assert chan.findtext("link") == BASE + "/"
    assert chan.findtext("description") == "Tin từ Sở VH-TT"
    assert chan.findtext("language") == "vi"
    self_link = chan.find("atom:link", NS)
    assert self_link.get("href") == BASE + FEED
    assert self_link.get("rel") == "self" and self_link.get("type") == "application/rss+xml"
    items = chan.findall("item")
    assert len(items) == 2
    # Newest first; lastBuildDate is the newest item's date, never the clock.
    assert chan.findtext("lastBuildDate") == items[0].findtext("pubDate")
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    db.expire_all()
    by_guid = {i.findtext("guid"): i for i in items}
    for item, pub_id in ((first, pubs[0]), (second, pubs[1])):
        el = by_guid[f"tag:publisher.test,2025:content-{item.id}"]
        assert el.find("guid").get("isPermaLink") == "false"
        assert el.findtext("link").startswith(f"{BASE}/articles/{item.id}-")
        pub_date = el.findtext("pubDate")
        assert pub_date.endswith(" +0700")
        assert parsedate_to_datetime(pub_date) == db.get(Publication, pub_id).published_at.replace(
            microsecond=0
        )
        assert el.findtext("description")
        assert el.findtext("content:encoded", namespaces=NS)
    el = by_guid[f"tag:publisher.test,2025:content-{first.id}"]
    assert el.findtext("title") == "Chủ nhật Đỏ tại Tân Phong"
    assert el.findtext("link") == f"{BASE}/articles/{first.id}-chu-nhat-do-tai-tan-phong"
    assert "Hơn 300 người đăng ký hiến máu." in el.findtext("description")
    assert f'src="{BASE}{media_path(asset)}"' in el.findtext("description")
    content = el.findtext("content:encoded", namespaces=NS)
    assert f'href="{BASE}/chien-dich"' in content  # relative links made absolute
    assert [c.text for c in el.findall("category")] == ["Chủ nhật Đỏ", "hiến máu", "Tân Phong"]
    (enclosure,) = el.findall("enclosure")
    assert enclosure.get("url") == BASE + media_path(asset)
    assert enclosure.get("length") == str(asset.bytes)
    assert enclosure.get("type") == "image/png"
    other = by_guid[f"tag:publisher.test,2025:content-{second.id}"]
    assert other.findall("enclosure") == [] and other.findall("category") == []
    assert other.findtext("description") == "Từ 18 đến 60 tuổi, nặng từ 45 kg."
    # The enclosure's length is what /media serves (the poster's version is approved).
    assert len(client.get(media_path(asset)).data) == asset.bytes


def test_feedparser_reads_it_without_complaint(app, db, client):
    _two_items(app, db)
    parsed = feedparser.parse(client.get(FEED).data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Tin hiến máu Lai Châu"
    assert parsed.feed.language == "vi"
    assert len(parsed.entries) == 2
    guids = [e.id for e in parsed.entries]
    assert len(set(guids)) == 2
    for entry in parsed.entries:
        # feedparser drops a date it cannot read without raising bozo: check explicitly.
        assert entry.published_parsed is not None
        assert parsedate_to_datetime(entry.published).utcoffset() is not None
        assert urlsplit(entry.link).scheme == "http" and urlsplit(entry.link).netloc
        assert entry.guidislink is False
        for link in entry.get("enclosures", []):
            assert link.href.startswith(BASE + "/media/")
        assert entry.content[0].value
    for link in parsed.feed.links:
        assert urlsplit(link.href).netloc == "publisher.test"


def test_identical_requests_get_identical_bytes_and_304s(app, db, client):
    _two_items(app, db)
    first, again = client.get(FEED), client.get(FEED)
    assert first.data == again.data
    assert first.headers["ETag"] == again.headers["ETag"]
    assert first.headers["Last-Modified"] == again.headers["Last-Modified"]
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": modified},
    ):
        answer = client.get(FEED, headers=headers)
        assert answer.status_code == 304, headers
        assert answer.data == b""
        assert answer.headers["ETag"] == etag  # (werkzeug drops Last-Modified from a 304)
    assert client.get(FEED, headers={"If-None-Match": '"stale"'}).status_code == 200
    # A wrong ETag wins over a current date: If-None-Match is decisive when sent.
    both = {"If-None-Match": '"stale"', "If-Modified-Since": modified}
    assert client.get(FEED, headers=both).status_code == 200
    early = {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    assert client.get(FEED, headers=early).status_code == 200
    assert client.get(FEED, headers={"If-Modified-Since": "nonsense"}).status_code == 200
    head = client.head(FEED)
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_a_correction_keeps_its_guid_and_replaces_the_title(app, db, client):
    item = article(db, "Lịch hiến máu tháng 12")
    channel = rss_channel(db)
    pubs = publish(app, db, [item], channel)
    backdate(db, pubs, hours=3)
    before = client.get(FEED)
    editor = create_user(db, "corrector", "editor")
    approver = create_user(db, "checker", "approver")
    edit_content(db, item, {"title": "Lịch hiến máu tháng 12 (đính chính)"}, editor.id)
    submit(item, editor.id)
    approve(db, item, approver.id)
    db.commit()
    publish(app, db, [item], channel)
    after = client.get(FEED)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(FEED, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    assert (
        client.get(FEED, headers={"If-Modified-Since": before.headers["Last-Modified"]}).status_code
        == 200
    )
    (old,) = parse_xml(before.data).find("channel").findall("item")
    (new,) = parse_xml(after.data).find("channel").findall("item")
    assert (
        new.findtext("guid") == old.findtext("guid") == f"tag:publisher.test,2025:content-{item.id}"
    )
    assert old.findtext("title") == "Lịch hiến máu tháng 12"
    assert new.findtext("title") == "Lịch hiến máu tháng 12 (đính chính)"
    # A correction is not news: the item keeps the date it first appeared.
    assert new.findtext("pubDate") == old.findtext("pubDate")


def test_a_withdrawn_publication_leaves_the_feed(app, db, client, make_user):
    items = [article(db, "Tin giữ lại"), article(db, "Tin bị gỡ")]
    channel = rss_channel(db)
    pubs = publish(app, db, items, channel)
    backdate(db, pubs, hours=1)
    before = client.get(FEED)
    assert len(parse_xml(before.data).find("channel").findall("item")) == 2
    _uid, headers = make_user("editor")
    answer = client.post(f"/api/v1/publications/{pubs[1]}/cancel", headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "cancelled" and answer.json["withdrawn_at"]
    after = client.get(FEED)
    titles = [i.findtext("title") for i in parse_xml(after.data).find("channel").findall("item")]
    assert titles == ["Tin giữ lại"]
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(FEED, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    # The withdrawal is newer than any item, so date-only readers refetch too.
    assert (
        client.get(FEED, headers={"If-Modified-Since": before.headers["Last-Modified"]}).status_code
        == 200
    )
    assert client.get(f"/articles/{items[1].id}").status_code == 404


def test_script_and_handler_payloads_come_out_inert(app, db, client):
    item = article(
        db,
        "<script>alert(1)</script> Hiến máu <b>ngay</b>",
        summary="<img src=x onerror=alert(5)> tóm tắt",
        body=(
            '<p onclick="alert(2)">Nội dung</p><script>alert(3)</script>'
            '<img src="x.png" onerror="alert(4)"><a href="javascript:alert(6)">bấm</a>'
            '<iframe src="https://evil.example/"></iframe><svg onload="alert(7)"></svg>'
        ),
    )
    publish(app, db, [item], rss_channel(db))
    data = client.get(FEED).data
    assert b"<script" not in data and b"<iframe" not in data and b"<svg" not in data
    el = parse_xml(data).find("channel/item")
    content = el.findtext("content:encoded", namespaces=NS)
    assert_inert(content)
    assert "Nội dung" in content and "bấm" in content
    assert "<" not in el.findtext("title")  # shown literally even by readers that parse HTML
    description = el.findtext("description")
    assert_inert(description)
    assert "&lt;img src=x onerror=alert(5)&gt; tóm tắt" in description  # the summary is text
    entry = feedparser.parse(data).entries[0]
    assert "<script" not in entry.title.lower()
    assert_inert(entry.summary)
    assert_inert(entry.content[0].value)
    page = client.get(f"/articles/{item.id}", follow_redirects=True).get_data(as_text=True)
    assert_inert(page.split("<body>", 1)[1])
    # Titles are plain text: the markup was removed when the title was saved.
    assert "<h1>Hiến máu ngay</h1>" in page and "alert(1)" not in page


def test_the_feed_holds_the_newest_fifty_items(app, db, client):
    items = [article(db, f"Tin số {n}") for n in range(51)]
    channel = rss_channel(db)
    pubs = publish(app, db, items, channel)
    backdate(db, pubs, hours=5)
    entries = feedparser.parse(client.get(FEED).data).entries
    assert len(entries) == 50
    assert entries[0].title == "Tin số 50"
    assert "Tin số 0" not in {e.title for e in entries}
    update_channel(
        db, channel, {"settings": {"items_limit": 3}}, secret_key=app.config["SETTINGS"].SECRET_KEY
    )
    db.commit()
    assert [e.title for e in feedparser.parse(client.get(FEED).data).entries] == [
        "Tin số 50",
        "Tin số 49",
        "Tin số 48",
    ]


def test_unknown_disabled_and_other_channels_are_not_feeds(app, db, client):
    channel = rss_channel(db, slug="tat")
    hook = webhook_channel(db, "https://partner.example/hook")
    db.commit()
    answer = client.get("/feeds/khong-co.rss")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert client.get(f"/feeds/{hook.slug}.rss").status_code == 404
    assert client.get("/feeds/tat.rss").status_code == 200
    channel.enabled = False
    db.commit()
    assert client.get("/feeds/tat.rss").status_code == 404


def test_an_empty_feed_is_valid_and_unpublished_items_stay_out(app, db, client):
    from datetime import timedelta

    from content_library.db import utcnow
    from publisher.delivery.publications import schedule

    channel = rss_channel(db)
    later = article(db, "Chưa đến giờ đăng")
    schedule(
        db, content_id=later.id, channel_id=channel.id, scheduled_at=utcnow() + timedelta(hours=1)
    )
    db.commit()
    answer = client.get(FEED)
    assert answer.status_code == 200
    chan = parse_xml(answer.data).find("channel")
    assert chan.findall("item") == [] and chan.find("lastBuildDate") is None
    assert feedparser.parse(answer.data).bozo == 0


def test_a_change_committed_elsewhere_is_seen_at_once(app, db, client):
    """Another process (a worker, another web machine) commits: the next poll shows it."""
    from sqlalchemy import create_engine, update

    from content_library.db import utcnow
    from publisher.db import normalise_url
    from publisher.delivery.models import Channel

    publish(app, db, [article(db, "Tin đầu tiên")], rss_channel(db))
    first = client.get(FEED)
    assert client.get(FEED, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    other = create_engine(normalise_url(app.config["SETTINGS"].DATABASE_URL))
    try:
        with other.begin() as conn:
            conn.execute(
                update(Channel).values(
                    settings={"title": "Tên mới của nguồn tin", "items_limit": 50},
                    updated_at=utcnow(),
                )
            )
    finally:
        other.dispose()
    second = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert parse_xml(second.data).find("channel").findtext("title") == "Tên mới của nguồn tin"


def test_feed_items_setting_applies_when_the_channel_sets_no_limit(database_url, tmp_path):
    from publisher import create_app
    from publisher.db import db
    from publisher.delivery.channels import create_channel
    from tests.conftest import app_config, clean_database
    from tests.factories import approved_content, due_publication

    app = create_app(app_config(database_url, tmp_path, FEED_ITEMS=3))
    try:
        with app.app_context():
            channel = create_channel(
                db.session,
                kind="rss",
                slug="cong-tinh",
                name="Cổng tỉnh",
                settings={"title": "Tin hiến máu"},
                secret_key=app.config["SETTINGS"].SECRET_KEY,
            )
            for n in range(5):
                item = approved_content(db.session, title=f"Bài {n}")
                pub = due_publication(db.session, item, channel)
                pub.status = "published"
                pub.published_at = pub.scheduled_at
            db.session.commit()
        body = app.test_client().get("/feeds/cong-tinh.rss").get_data(as_text=True)
        assert body.count("<item>") == 3
    finally:
        clean_database(app)
