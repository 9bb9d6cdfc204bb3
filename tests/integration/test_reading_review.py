"""Reading findings at approval time: shown to editor and approver, kept as written per
version, returned in the content JSON, and only editors, approvers and admins may keep."""

from __future__ import annotations

import re

from tests.integration.ui_support import Person, flashes, signed_in

# The editor's corrected reading leaves letters and digits a reader cannot say.
BODY = "Mang theo CCCD, đến lúc 7h30."
CORRECTED = "Mang theo CCCD, đến lúc 7h30."


def _marks(page: str) -> list[str]:
    return re.findall(r'<mark class="reading-finding"[^>]*>([^<]*)</mark>', page)


def _write(person, body: str = BODY, reading: str = CORRECTED) -> str:
    response = person.post(
        "/content/new",
        {"kind": "script", "title": "Thông báo hiến máu", "body": body, "reading_text": reading},
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_findings_are_shown_kept_per_version_and_do_not_block_approval(app, client):
    editor, editor_id = signed_in(app, "editor")
    approver, approver_id = signed_in(app, "approver")
    page_url = _write(editor)
    content_id = int(page_url.rsplit("/", 1)[-1])

    page = editor.get(page_url).get_data(as_text=True)
    assert "Bản đọc có 2 chỗ cần xem lại" in page
    assert "CCCD" in _marks(page) and "7h30" in _marks(page)
    assert "Còn chữ viết tắt “CCCD” chưa đọc thành chữ." in page
    assert "Giữ nguyên như đã viết" in page

    editor.post(f"/content/{content_id}/submit")
    queue = approver.get("/approvals").get_data(as_text=True)
    assert "Bản đọc có 2 chỗ cần xem lại" in queue
    assert set(_marks(queue)) >= {"CCCD", "7h30"}

    # The content JSON carries the same findings, spans into the reading.
    with app.app_context():
        from publisher.auth.models import User
        from publisher.auth.services import create_token
        from publisher.db import db

        _token, raw = create_token(db.session, "doc", db.session.get(User, editor_id))
        db.session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    data = client.get(f"/api/v1/content/{content_id}", headers=headers).get_json()
    findings = data["reading_findings"]
    assert [(f["code"], f["text"]) for f in findings] == [("capitals", "CCCD"), ("digit", "7h30")]
    assert all(CORRECTED[f["start"] : f["end"]] == f["text"] for f in findings)
    assert data["reading_kept_as_written"] is None

    # One click by the approver resolves the warning for this version.
    response = approver.post(
        f"/content/{content_id}/versions/1/reading/keep", {"next": "/approvals"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/approvals"
    queue = approver.get("/approvals").get_data(as_text=True)
    assert "cần xem lại" not in queue
    assert "được giữ nguyên như đã viết (2 chỗ đã được xem lại)" in queue
    data = client.get(f"/api/v1/content/{content_id}", headers=headers).get_json()
    assert data["reading_findings"] == []
    assert data["reading_kept_as_written"]["by"] == approver_id
    assert data["reading_kept_as_written"]["findings"] == 2

    # Warnings, not a gate: approval goes through.
    response = approver.post(f"/content/{content_id}/approve", {"next": "/approvals"})
    assert response.status_code == 302
    assert (
        client.get(f"/api/v1/content/{content_id}", headers=headers).get_json()["status"]
        == "approved"
    )

    # A new version is looked at afresh, even with the same words.
    editor.post(
        f"/content/{content_id}/edit",
        {"title": "Thông báo hiến máu (sửa)", "body": BODY, "reading_text": CORRECTED},
    )
    page = editor.get(page_url).get_data(as_text=True)
    assert "Phiên bản 2" in page and "Bản đọc có 2 chỗ cần xem lại" in page
    # Keeping it, then changing the draft's reading again, brings the warning back.
    editor.post(f"/content/{content_id}/versions/2/reading/keep")
    assert "cần xem lại" not in editor.get(page_url).get_data(as_text=True)
    editor.post(
        f"/content/{content_id}/edit",
        {"title": "Thông báo hiến máu (sửa)", "body": BODY, "reading_text": "Mang theo TTX."},
    )
    page = editor.get(page_url).get_data(as_text=True)
    assert "Bản đọc có 1 chỗ cần xem lại" in page and set(_marks(page)) == {"TTX"}


def test_a_clean_reading_shows_no_warning(app):
    editor, _ = signed_in(app, "editor")
    page_url = _write(editor, body="Đợt HMTN ngày 7/4 lúc 7h30, mang theo CCCD.", reading="")
    page = editor.get(page_url).get_data(as_text=True)
    assert "cần xem lại" not in page and "reading-finding" not in page
    assert "ngày mồng bảy tháng tư lúc bảy giờ ba mươi, mang theo căn cước công dân" in page


def test_only_writers_and_approvers_may_keep_a_reading(app):
    editor, _ = signed_in(app, "editor")
    page_url = _write(editor)
    content_id = int(page_url.rsplit("/", 1)[-1])
    operator, _ = signed_in(app, "operator", commune_code="03408")
    response = operator.post(f"/content/{content_id}/versions/1/reading/keep")
    assert response.status_code == 403
    # Signed out, even with a valid form token: sent to the login page, nothing kept.
    stranger = Person(app.test_client())
    response = stranger.post(f"/content/{content_id}/versions/1/reading/keep")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "cần xem lại" in editor.get(page_url).get_data(as_text=True)
    assert editor.post(f"/content/{content_id}/versions/9/reading/keep").status_code == 404
    assert editor.post("/content/999/versions/1/reading/keep").status_code == 404
    # An off-site "next" is not followed.
    response = editor.post(
        f"/content/{content_id}/versions/1/reading/keep", {"next": "https://example.org/"}
    )
    assert response.headers["Location"] == f"/content/{content_id}"
    shown = flashes(editor.get(page_url).get_data(as_text=True))
    assert any("Đã giữ nguyên bản đọc" in message for message in shown)


def test_keep_through_the_api(client, make_user):
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    created = client.post(
        "/api/v1/content",
        json={"kind": "script", "title": "Loa", "body": "Gọi XYZW.", "reading_text": "Gọi XYZW."},
        headers=editor,
    ).get_json()
    assert [f["code"] for f in created["reading_findings"]] == ["capitals"]
    path = f"/api/v1/content/{created['id']}/reading/keep"
    assert client.post(path, headers=operator).status_code == 403
    assert client.post(path).status_code == 401
    kept = client.post(path, headers=editor)
    assert kept.status_code == 200
    assert kept.get_json()["reading_findings"] == []
    assert kept.get_json()["reading_kept_as_written"]["findings"] == 1
    assert client.post("/api/v1/content/999999/reading/keep", headers=editor).status_code == 404


def test_the_highlighted_reading_is_escaped(app):
    editor, _ = signed_in(app, "editor")
    page_url = _write(editor, body="Mời bà con.", reading='<img src=x onerror="alert(1)"> XYZW')
    page = editor.get(page_url).get_data(as_text=True)
    assert "Bản đọc có" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=" in page
    assert "XYZW" in _marks(page)
