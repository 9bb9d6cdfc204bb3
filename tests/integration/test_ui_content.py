"""Content pages over HTTP: write (with a poster), preview, submit, review with a diff,
approve (never one's own), reject, edit approved content into a new version."""

from __future__ import annotations

import io
import re
import unicodedata

from PIL import Image
from sqlalchemy import select

from tests.integration.ui_support import flashes, signed_in


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), "#b91c1c").save(out, "PNG")
    return out.getvalue()


def _item(app, content_id):
    from content_library.models import ContentItem
    from publisher.db import db

    with app.app_context():
        item = db.session.get(ContentItem, content_id)
        versions = [(v.number, v.status, v.title, v.asset_id) for v in item.versions]
        return item.status, item.approved_version_id, versions


def test_write_with_poster_then_preview(app):
    editor, _ = signed_in(app, "editor")
    title = unicodedata.normalize("NFD", "Hiến máu tình nguyện ngày 14/6")
    response = editor.post(
        "/content/new",
        {
            "kind": "article",
            "title": title,
            "summary": "Tôn vinh người hiến máu.",
            "body": "Sáng 14/6/2025 lúc 7h30 tại Hội trường UBND tỉnh.",
            "tags": "14/6, tôn vinh",
            "poster": (io.BytesIO(_png()), "ap-phich.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    nfc_title = unicodedata.normalize("NFC", title)
    assert f"<h1>{nfc_title}</h1>" in page  # stored and shown in NFC
    assert "Bản nháp" in page and "Trang Facebook" in page and "RSS cho cổng thông tin" in page
    assert re.search(r"Thời lượng đọc: <strong>khoảng (\d+ phút )?\d+ giây</strong>", page)
    assert "mười bốn tháng sáu" in page  # the reading version spells the date out
    # The poster on the Fanpage card: a draft's, so from the signed-in route, not /media.
    assert "/api/v1/assets/1/thumbnail" in page
    assert editor.get("/api/v1/assets/1/thumbnail").status_code == 200
    status, _approved, versions = _item(app, 1)
    assert status == "draft" and versions[0][3] is not None


def test_a_bad_poster_is_refused_and_the_rest_kept(app):
    editor, _ = signed_in(app, "editor")
    response = editor.post(
        "/content/new",
        {
            "kind": "poster",
            "title": "Áp phích",
            "body": "",
            "poster": (io.BytesIO(b"not an image"), "anh.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Không đọc được ảnh" in page and 'value="Áp phích"' in page
    # A good poster, but the title missing: the upload is kept for the next try.
    response = editor.post(
        "/content/new",
        {
            "kind": "poster",
            "title": "",
            "body": "",
            "poster": (io.BytesIO(_png()), "anh.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    kept = re.search(r'name="asset_id" value="(\d+)"', response.get_data(as_text=True)).group(1)
    response = editor.post(
        "/content/new", {"kind": "poster", "title": "Áp phích", "body": "", "asset_id": kept}
    )
    assert response.status_code == 302
    assert _item(app, 1)[2][0][3] == int(kept)


def test_submit_approve_and_nobody_approves_their_own(app):
    editor, _ = signed_in(app, "editor")
    approver, _ = signed_in(app, "approver")
    editor.post("/content/new", {"kind": "article", "title": "Bài của biên tập", "body": "A"})
    approver.post("/content/new", {"kind": "article", "title": "Bài của lãnh đạo", "body": "B"})
    editor.post("/content/1/submit")
    approver.post("/content/2/submit")
    queue = approver.get("/approvals").get_data(as_text=True)
    assert queue.count('class="card review"') == 2 and "Bài của bạn" in queue

    response = approver.post("/content/2/approve", {"next": "/approvals"})
    assert response.headers["Location"] == "/approvals"
    page = approver.get("/approvals").get_data(as_text=True)
    assert any("Không được tự duyệt nội dung của mình" in f for f in flashes(page))
    assert _item(app, 2)[0] == "in_review"

    approver.post("/content/1/approve", {"next": "/content/1"})
    status, approved, _versions = _item(app, 1)
    assert status == "approved" and approved is not None
    page = editor.get("/content/1").get_data(as_text=True)
    assert "Đã duyệt" in page and "Lên lịch đăng" in page


def test_reject_needs_a_reason_which_the_writer_sees(app):
    editor, _ = signed_in(app, "editor")
    approver, _ = signed_in(app, "approver")
    editor.post("/content/new", {"kind": "script", "title": "Thông báo", "body": "Nội dung"})
    editor.post("/content/1/submit")
    approver.post("/content/1/reject", {"note": ""})
    assert _item(app, 1)[0] == "in_review"
    approver.post("/content/1/reject", {"note": "Ghi rõ giờ và địa điểm."})
    assert _item(app, 1)[0] == "rejected"
    page = editor.get("/content/1").get_data(as_text=True)
    assert "Bị từ chối" in page and "Ghi rõ giờ và địa điểm." in page
    assert editor.post("/content/1/submit").status_code == 302
    assert _item(app, 1)[0] == "in_review"


def test_editing_approved_content_makes_a_version_to_review_with_a_diff(app):
    editor, _ = signed_in(app, "editor")
    approver, _ = signed_in(app, "approver")
    editor.post(
        "/content/new",
        {"kind": "article", "title": "Đợt hiến máu", "body": "Ngày 12/01 tại UBND phường."},
    )
    editor.post("/content/1/submit")
    approver.post("/content/1/approve")
    response = editor.post(
        "/content/1/edit", {"title": "Đợt hiến máu", "body": "Ngày 19/01 tại UBND phường."}
    )
    assert response.status_code == 302
    _status, _approved, versions = _item(app, 1)
    assert [v[:2] for v in versions] == [(1, "approved"), (2, "draft")]
    page = editor.get("/content/1").get_data(as_text=True)
    assert "bản đã duyệt trước đó" in page
    editor.post("/content/1/submit")
    queue = approver.get("/approvals").get_data(as_text=True)
    assert "<del>12</del><ins>19</ins>" in queue
    assert "so với phiên bản 1 đã duyệt" in queue
    # In review, it cannot be edited.
    assert editor.get("/content/1/edit").status_code == 302


def test_words_typed_are_escaped_in_the_diff_and_everywhere(app):
    editor, _ = signed_in(app, "editor")
    evil = "<script>alert(1)</script>"
    editor.post(
        "/content/new",
        {
            "kind": "article",
            "title": evil,
            "summary": evil,
            "body": f"<p>Đoạn</p>{evil}<img src=x onerror=alert(2)>",
        },
    )
    editor.post("/content/1/submit")
    for path in ("/content", "/content/1", "/approvals", "/"):
        page = editor.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page, path
        assert "onerror" not in page, path


def test_search_ignores_diacritics(app):
    editor, _ = signed_in(app, "editor")
    editor.post("/content/new", {"kind": "article", "title": "Chủ nhật Đỏ", "body": "Hiến máu"})
    editor.post("/content/new", {"kind": "script", "title": "Lịch tiếp nhận", "body": "Bệnh viện"})
    page = editor.get("/content?q=chu+nhat+do").get_data(as_text=True)
    assert "Chủ nhật Đỏ" in page and "Lịch tiếp nhận" not in page
    page = editor.get("/content?kind=script").get_data(as_text=True)
    assert "Lịch tiếp nhận" in page and "Chủ nhật Đỏ" not in page


def test_archive(app):
    editor, _ = signed_in(app, "editor")
    editor.post("/content/new", {"kind": "article", "title": "Cũ", "body": "x"})
    editor.post("/content/1/archive")
    assert _item(app, 1)[0] == "archived"
    from content_library.models import ContentItem
    from publisher.db import db

    with app.app_context():
        assert db.session.scalar(select(ContentItem.status)) == "archived"
