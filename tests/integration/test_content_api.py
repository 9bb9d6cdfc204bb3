"""Content items through the API: validation, workflow, versions, search (both databases)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from content_library.models import ContentItem, ContentVersion


def create(client, headers, **fields):
    body = {"kind": "article", "title": "Hiến máu tình nguyện", "body": "Đoạn một.\n\nĐoạn hai."}
    body.update(fields)
    return client.post("/api/v1/content", json=body, headers=headers)


def count_items(db) -> int:
    return db.scalar(select(func.count()).select_from(ContentItem))


def test_create_keeps_paragraphs_and_starts_as_draft(client, make_user):
    _, editor = make_user("editor")
    response = create(client, editor)
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "draft"
    assert data["version"] == 1
    assert data["body"] == "<p>Đoạn một.</p><p>Đoạn hai.</p>"
    assert data["language"] == "vi"


def test_script_tags_are_sanitised(client, make_user):
    _, editor = make_user("editor")
    body = '<p onclick="steal()">Xin chào<script>alert(1)</script><img src=x onerror=alert(2)></p>'
    data = create(client, editor, body=body).get_json()
    assert "script" not in data["body"]
    assert "onclick" not in data["body"] and "onerror" not in data["body"]
    assert "Xin chào" in data["body"]


def test_text_is_stored_in_nfc(client, make_user):
    _, editor = make_user("editor")
    decomposed = "Hie\u0302\u0301n ma\u0301u"
    data = create(client, editor, title=decomposed).get_json()
    assert data["title"] == "Hiến máu"


def test_validation_errors_are_specific_and_write_nothing(client, db, make_user):
    _, editor = make_user("editor")
    cases = [
        ({"kind": "video", "title": "x", "body": "y"}, "kind"),
        ({"kind": "article", "body": "y"}, "title"),
        ({"kind": "article", "title": 5, "body": "y"}, "title"),
        ({"kind": "article", "title": "x", "body": "y", "campaign_id": 999999}, "campaign_id"),
        ({"kind": "article", "title": "x", "body": "y", "tags": "hmtn"}, "tags"),
        ({"kind": "article", "title": "   ", "body": "y"}, "title"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/content", json=body, headers=editor)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 422 and problem["title"] and problem["detail"]
        assert field in problem["errors"], (body, problem)
    assert count_items(db) == 0


def test_malformed_json_and_wrong_content_type(client, make_user):
    _, editor = make_user("editor")
    bad = client.post(
        "/api/v1/content", data="{not json", headers={**editor, "Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.mimetype == "application/problem+json"
    form = client.post("/api/v1/content", data={"kind": "article"}, headers=editor)
    assert form.status_code == 415


def test_ten_megabyte_body_is_refused(app, client, db, make_user):
    _, editor = make_user("editor")
    huge = json.dumps({"kind": "article", "title": "x", "body": "a" * (13 * 1024 * 1024)})
    response = client.post(
        "/api/v1/content", data=huge, headers={**editor, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert count_items(db) == 0


def test_unknown_id_and_missing_auth(client, make_user):
    _, editor = make_user("editor")
    assert client.get("/api/v1/content/424242", headers=editor).status_code == 404
    anonymous = client.get("/api/v1/content")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/api/v1/content", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_workflow_and_self_approval_refused(client, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    item = create(client, editor).get_json()
    assert client.post(f"/api/v1/content/{item['id']}/approve", headers=approver).status_code == 409
    submitted = client.post(f"/api/v1/content/{item['id']}/submit", headers=editor).get_json()
    assert submitted["status"] == "in_review"
    assert (
        client.patch(
            f"/api/v1/content/{item['id']}", json={"title": "Sửa"}, headers=editor
        ).status_code
        == 409
    )
    assert client.post(f"/api/v1/content/{item['id']}/approve", headers=editor).status_code == 403
    approved = client.post(f"/api/v1/content/{item['id']}/approve", headers=approver).get_json()
    assert approved["status"] == "approved"
    assert len(approved["content_hash"]) == 64
    assert approved["approved_version"] == 1


def test_approver_cannot_approve_a_version_they_wrote(client, make_user):
    _, approver = make_user("approver")
    _, other = make_user("approver")
    item = create(client, approver).get_json()
    client.post(f"/api/v1/content/{item['id']}/submit", headers=approver)
    refused = client.post(f"/api/v1/content/{item['id']}/approve", headers=approver)
    assert refused.status_code == 403
    assert "tự duyệt" in refused.get_json()["detail"]
    assert client.post(f"/api/v1/content/{item['id']}/approve", headers=other).status_code == 200


def test_editing_approved_content_makes_a_new_draft_and_keeps_the_approved(client, db, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    item = create(client, editor).get_json()
    client.post(f"/api/v1/content/{item['id']}/submit", headers=editor)
    first = client.post(f"/api/v1/content/{item['id']}/approve", headers=approver).get_json()
    edited = client.patch(
        f"/api/v1/content/{item['id']}", json={"title": "Bản sửa"}, headers=editor
    ).get_json()
    assert edited["version"] == 2 and edited["status"] == "draft"
    assert edited["approved_version"] == 1
    versions = db.scalars(
        select(ContentVersion)
        .where(ContentVersion.content_id == item["id"])
        .order_by(ContentVersion.number)
    ).all()
    assert versions[0].title == "Hiến máu tình nguyện"
    assert versions[0].status == "approved"
    assert versions[0].content_hash == first["content_hash"]
    assert versions[1].title == "Bản sửa"


def test_rejection_keeps_the_note(client, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    item = create(client, editor).get_json()
    client.post(f"/api/v1/content/{item['id']}/submit", headers=editor)
    rejected = client.post(
        f"/api/v1/content/{item['id']}/reject", json={"note": "Sai số liệu"}, headers=approver
    ).get_json()
    assert rejected["status"] == "rejected"
    assert rejected["review_note"] == "Sai số liệu"
    again = client.patch(f"/api/v1/content/{item['id']}", json={"body": "Đã sửa"}, headers=editor)
    assert again.get_json()["status"] == "draft"


def test_search_ignores_diacritics_and_case(client, make_user):
    _, editor = make_user("editor")
    create(client, editor, title="Hiến máu cứu người")
    create(client, editor, title="Ngày hội Xuân hồng", body="Đăng ký tại UBND xã")
    create(client, editor, kind="script", title="Thông báo", body="Đường đến điểm hiến máu")
    found = client.get("/api/v1/content?q=hien mau", headers=editor).get_json()
    assert {i["title"] for i in found["items"]} == {"Hiến máu cứu người", "Thông báo"}
    assert found["total"] == 2
    upper = client.get("/api/v1/content?q=XUAN HONG", headers=editor).get_json()
    assert [i["title"] for i in upper["items"]] == ["Ngày hội Xuân hồng"]
    d_stroke = client.get("/api/v1/content?q=duong den&kind=script", headers=editor).get_json()
    assert [i["title"] for i in d_stroke["items"]] == ["Thông báo"]
    assert client.get("/api/v1/content?kind=video", headers=editor).status_code == 422


def test_pagination(client, make_user):
    _, editor = make_user("editor")
    for n in range(5):
        create(client, editor, title=f"Bài {n}")
    page = client.get("/api/v1/content?per_page=2&page=2", headers=editor).get_json()
    assert page["total"] == 5 and page["page"] == 2 and len(page["items"]) == 2
    assert client.get("/api/v1/content?per_page=0", headers=editor).status_code == 422
