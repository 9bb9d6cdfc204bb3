"""Only approved words reach the public: everything a channel shows belongs to the version,
four eyes over the whole lineage, every version readable, titles as plain text.

Each test first plays the attack from outside (the API, the public feed) and then shows
that legitimate use still works. Both databases (the ``database_url`` fixture).
"""

from __future__ import annotations

import feedparser

from content_library.models import ContentItem
from publisher.delivery.models import Channel
from tests.integration.feeds_support import NS, parse_xml, publish, rss_channel
from tests.integration.ui_support import flashes, signed_in

FEED = "/feeds/cong-tinh.rss"
PAYLOAD = "<img src=x onerror=alert(1)>"


def create(client, headers, **fields):
    body = {"kind": "article", "title": "Hiến máu tình nguyện", "body": "Mỗi giọt máu cho đi."}
    body.update(fields)
    response = client.post("/api/v1/content", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def approve_as(client, content_id, author, approver):
    assert client.post(f"/api/v1/content/{content_id}/submit", headers=author).status_code == 200
    response = client.post(f"/api/v1/content/{content_id}/approve", headers=approver)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def feed_channel(db) -> int:
    channel_id = rss_channel(db).id
    db.commit()
    return channel_id


def publish_now(app, db, channel_id, content_id):
    """Schedule the item's approved version now and deliver it through dispatcher and worker."""
    publish(app, db, [db.get(ContentItem, content_id)], db.get(Channel, channel_id))
    db.commit()  # end the reading transaction: on SQLite it holds the write lock


def feed_categories(client) -> list[str]:
    entry = feedparser.parse(client.get(FEED).data).entries[0]
    return [tag.term for tag in entry.get("tags", [])]


def test_tags_added_to_approved_content_stay_off_the_feed_until_approved(
    app, client, db, make_user
):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    channel_id = feed_channel(db)
    item = create(client, editor, tags=["hiến máu"])
    approve_as(client, item["id"], editor, approver)
    publish_now(app, db, channel_id, item["id"])
    assert feed_categories(client) == ["hiến máu"]

    # The attack: tags edited onto approved content.
    edited = client.patch(
        f"/api/v1/content/{item['id']}",
        json={"tags": ["hiến máu", "QUẢNG CÁO SÒNG BẠC"]},
        headers=editor,
    ).get_json()
    assert edited["status"] == "draft" and edited["version"] == 2
    assert edited["tags"] == ["hiến máu", "QUẢNG CÁO SÒNG BẠC"]
    assert "SÒNG BẠC" not in client.get(FEED).get_data(as_text=True)
    assert feed_categories(client) == ["hiến máu"]
    # The approved version's hash covers its tags: the draft's hash will differ.
    v1 = client.get(f"/api/v1/content/{item['id']}/versions/1", headers=editor).get_json()
    assert v1["tags"] == ["hiến máu"] and len(v1["content_hash"]) == 64

    # Legitimate use: once the new version is approved and published, the tag shows.
    v2 = approve_as(client, item["id"], editor, approver)
    assert v2["content_hash"] != v1["content_hash"]
    publish_now(app, db, channel_id, item["id"])
    assert feed_categories(client) == ["hiến máu", "QUẢNG CÁO SÒNG BẠC"]


def test_an_approver_who_wrote_the_words_cannot_approve_after_an_editor_touched_the_tags(
    client, make_user
):
    _, author_approver = make_user("approver")
    editor_id, editor = make_user("editor")
    _, other_approver = make_user("approver")
    item = create(client, author_approver)
    client.patch(f"/api/v1/content/{item['id']}", json={"tags": ["hmtn"]}, headers=editor)
    submitted = client.post(f"/api/v1/content/{item['id']}/submit", headers=author_approver)
    assert submitted.status_code == 200

    refused = client.post(f"/api/v1/content/{item['id']}/approve", headers=author_approver)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "tự duyệt" in refused.get_json()["detail"]
    # Rejecting is reviewing too: refused for the same reason.
    rejected = client.post(
        f"/api/v1/content/{item['id']}/reject", json={"note": "x"}, headers=author_approver
    )
    assert rejected.status_code == 403

    approved = client.post(f"/api/v1/content/{item['id']}/approve", headers=other_approver)
    assert approved.status_code == 200
    versions = client.get(f"/api/v1/content/{item['id']}/versions", headers=editor).get_json()
    assert editor_id in versions["items"][0]["authors"]
    assert len(versions["items"][0]["authors"]) == 2


def test_the_lineage_starts_again_after_an_approval(client, make_user):
    writer_id, writer = make_user("approver")
    _, first_reviewer = make_user("approver")
    _, editor = make_user("editor")
    item = create(client, writer)
    approve_as(client, item["id"], writer, first_reviewer)
    # Version 2 is only the editor's work: the writer of version 1 may approve it.
    client.patch(f"/api/v1/content/{item['id']}", json={"summary": "Tóm tắt"}, headers=editor)
    assert approve_as(client, item["id"], editor, writer)["approved_version"] == 2
    # A reviewer who then edits version 3 may not approve it, even after a rejection.
    client.patch(f"/api/v1/content/{item['id']}", json={"summary": "Sửa"}, headers=first_reviewer)
    client.post(f"/api/v1/content/{item['id']}/submit", headers=editor)
    client.post(f"/api/v1/content/{item['id']}/reject", json={"note": "chưa ổn"}, headers=writer)
    client.patch(f"/api/v1/content/{item['id']}", json={"summary": "Sửa lại"}, headers=editor)
    client.post(f"/api/v1/content/{item['id']}/submit", headers=editor)
    response = client.post(f"/api/v1/content/{item['id']}/approve", headers=first_reviewer)
    assert response.status_code == 403
    assert client.post(f"/api/v1/content/{item['id']}/approve", headers=writer).status_code == 200
    versions = client.get(f"/api/v1/content/{item['id']}/versions", headers=editor).get_json()
    assert writer_id in versions["items"][0]["authors"]
    assert writer_id not in versions["items"][1]["authors"]


def test_the_ui_refuses_a_lineage_author_in_vietnamese(app, client, make_user):
    approver, _approver_id = signed_in(app, "approver")
    _, editor = make_user("editor")
    approver.post("/content/new", {"kind": "article", "title": "Bài của lãnh đạo", "body": "B"})
    client.patch("/api/v1/content/1", json={"tags": ["hmtn"]}, headers=editor)
    approver.post("/content/1/submit")
    page = approver.post("/content/1/approve", {"next": "/approvals"}, follow_redirects=True)
    assert any("bạn đã viết hoặc sửa nội dung này" in f for f in flashes(page.get_data(True)))
    assert client.get("/api/v1/content/1", headers=editor).get_json()["status"] == "in_review"


def test_every_version_stays_readable_and_approved_ones_unchanged(client, make_user):
    editor_id, editor = make_user("editor")
    approver_id, approver = make_user("approver")
    item = create(client, editor, tags=["a"], summary="Một")
    first = approve_as(client, item["id"], editor, approver)
    # The attack of the issue: once a draft exists, the approved words must stay readable.
    client.patch(
        f"/api/v1/content/{item['id']}",
        json={"title": "Bản nháp mới", "tags": ["b"], "body": "Khác hẳn"},
        headers=editor,
    )
    listing = client.get(f"/api/v1/content/{item['id']}/versions", headers=approver)
    assert listing.status_code == 200
    v1, v2 = listing.get_json()["items"]
    assert (v1["number"], v1["status"], v2["number"], v2["status"]) == (1, "approved", 2, "draft")
    assert v1["title"] == "Hiến máu tình nguyện" and v1["tags"] == ["a"]
    assert v1["body"] == "<p>Mỗi giọt máu cho đi.</p>" and v1["summary"] == "Một"
    assert v1["content_hash"] == first["content_hash"]
    assert v1["approved_by"] == approver_id and v1["approved_at"] and v1["created_at"]
    assert v1["authors"] == [editor_id]
    assert v2["title"] == "Bản nháp mới" and v2["tags"] == ["b"] and v2["approved_by"] is None
    for key in ("asset_id", "reading_text", "variants", "content_hash", "approved_at"):
        assert key in v2
    one = client.get(f"/api/v1/content/{item['id']}/versions/1", headers=editor)
    assert one.status_code == 200 and one.get_json() == v1
    missing = client.get(f"/api/v1/content/{item['id']}/versions/3", headers=editor)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/v1/content/999999/versions", headers=editor).status_code == 404
    assert client.get(f"/api/v1/content/{item['id']}/versions/0", headers=editor).status_code == (
        404
    )
    assert client.get(f"/api/v1/content/{item['id']}/versions").status_code == 401
    _, operator = make_user("operator")
    assert client.get(f"/api/v1/content/{item['id']}/versions", headers=operator).status_code == (
        403
    )


def test_markup_typed_into_a_title_is_removed_when_saved(app, client, db, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    channel_id = feed_channel(db)
    item = create(client, editor, title=f"Ngày hội {PAYLOAD}hiến máu <b>2025</b>", tags=[PAYLOAD])
    assert item["title"] == "Ngày hội hiến máu 2025"
    assert item["tags"] == []  # a tag that was only markup is no tag
    # Entities typed to slip markup past the first cleaning are removed too.
    patched = client.patch(
        f"/api/v1/content/{item['id']}",
        json={"title": "Tin &lt;img src=x onerror=alert(1)&gt;mới"},
        headers=editor,
    ).get_json()
    assert patched["title"] == "Tin mới"
    # A title that is nothing but markup is refused, and nothing is written.
    refused = client.post(
        "/api/v1/content", json={"kind": "article", "title": PAYLOAD, "body": "x"}, headers=editor
    )
    assert refused.status_code == 422 and "title" in refused.get_json()["errors"]
    approve_as(client, item["id"], editor, approver)
    publish_now(app, db, channel_id, item["id"])
    data = client.get(FEED).data
    title = parse_xml(data).find("channel/item").findtext("title")
    assert title == "Tin mới"
    assert b"onerror" not in data and b"&lt;img" not in data
    assert parse_xml(data).find("channel/item/content:encoded", NS) is not None


def test_the_ui_removes_markup_from_titles(app, client, make_user):
    editor, _ = signed_in(app, "editor")
    _, reader = make_user("editor")
    form = {"kind": "article", "body": "Nội dung", "tags": ""}
    refused = editor.post("/content/new", {**form, "title": PAYLOAD})
    assert refused.status_code == 422
    assert "Tiêu đề chỉ có mã HTML" in refused.get_data(as_text=True)
    assert client.get("/api/v1/content", headers=reader).get_json()["items"] == []
    saved = editor.post("/content/new", {**form, "title": f"Tin {PAYLOAD}hay"})
    assert saved.status_code == 302
    items = client.get("/api/v1/content", headers=reader).get_json()["items"]
    assert [i["title"] for i in items] == ["Tin hay"]


def test_campaign_and_drive_names_are_plain_text_too(client, make_user):
    _, editor = make_user("editor")
    body = {"slug": "cn-do", "starts_on": "2030-01-01", "ends_on": "2030-12-31"}
    refused = client.post("/api/v1/campaigns", json={**body, "name": PAYLOAD}, headers=editor)
    assert refused.status_code == 422 and "name" in refused.get_json()["errors"]
    made = client.post(
        "/api/v1/campaigns", json={**body, "name": f"Chủ nhật {PAYLOAD}Đỏ"}, headers=editor
    )
    assert made.status_code == 201 and made.get_json()["name"] == "Chủ nhật Đỏ"
    drive = {
        "name": "Ngày hội",
        "starts_at": "2030-06-14T00:30:00Z",
        "ends_at": "2030-06-14T04:30:00Z",
        "location": PAYLOAD,
        "commune_code": "03408",
    }
    refused = client.post("/api/v1/drives", json=drive, headers=editor)
    assert refused.status_code == 422 and "location" in refused.get_json()["errors"]
    made = client.post(
        "/api/v1/drives", json={**drive, "location": f"Nhà văn hóa{PAYLOAD}"}, headers=editor
    )
    assert made.status_code == 201 and made.get_json()["location"] == "Nhà văn hóa"
