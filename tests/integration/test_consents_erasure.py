"""A consent's personal data on request: the export of everything held, and erasure after
withdrawal (its form gone, its profiles' words blanked), each audited, with every refusal."""

from __future__ import annotations

import io
import json
import logging

import pytest
from PIL import Image
from sqlalchemy import select

from tests.integration.consents_support import (
    PERSON,
    approved_profile,
    channel,
    pdf_bytes,
    post_multipart,
    record_consent,
    schedule,
)
from tests.integration.orgs_support import UNIT_A, UNIT_B, make_units
from tests.integration.test_consents_ui import consent_form, signed_in

MARKS = "Hường"  # the part of the name a folded search or a careless copy would keep


@pytest.fixture
def units(app):
    return make_units(app)


def audit_actions(app, consent_id):
    from publisher.audit.models import AuditEvent
    from publisher.db import db

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "consent", AuditEvent.entity_id == consent_id)
            .order_by(AuditEvent.id)
        ).all()
        out = [(e.action, e.detail) for e in rows]
        db.session.commit()
        return out


def test_the_export_holds_everything_on_the_person_and_is_audited(app, client, units):
    unit = units[UNIT_A].headers
    consent = post_multipart(
        client,
        unit["editor"],
        {"person_name": PERSON, "scope": "rss", "given_on": "2026-01-05"},
        (pdf_bytes(2), "form.pdf"),
    ).get_json()
    content_id = approved_profile(client, unit["editor"], unit["approver"], consent["id"])
    rss = channel(client, unit["admin"], "rss", {"title": "Tin"}, "tin-xa")
    pub = schedule(client, unit["editor"], content_id, rss).get_json()

    answer = client.get(f"/api/v1/consents/{consent['id']}/export", headers=unit["approver"])
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.data)
    assert data["consent"]["person_name"] == PERSON
    assert data["form"]["pages"] == 2 and data["form"]["mime"] == "application/pdf"
    assert [p["id"] for p in data["profiles"]] == [content_id]
    assert data["profiles"][0]["versions"][0]["person"]["name"] == PERSON
    assert [p["id"] for p in data["publications"]] == [pub["id"]]
    assert [e["action"] for e in data["audit"]] == ["create"]
    assert "13/2023" in data["legal_basis"]
    assert [a for a, _ in audit_actions(app, consent["id"])] == ["create", "export"]
    # Another unit's people, and operators, get nothing.
    other = units[UNIT_B].headers["admin"]
    assert client.get(f"/api/v1/consents/{consent['id']}/export", headers=other).status_code == 404


def test_erasure_waits_for_the_withdrawal_and_refuses_others(app, client, units, caplog):
    caplog.set_level(logging.DEBUG)
    unit = units[UNIT_A].headers
    consent = record_consent(client, unit["editor"], scope=["rss"])
    path = f"/api/v1/consents/{consent['id']}"
    early = client.delete(path, headers=unit["editor"])
    assert early.status_code == 409
    assert "rút lại đồng ý trước" in early.get_json()["detail"]
    assert PERSON not in early.get_data(as_text=True)
    client.post(f"{path}/withdraw", headers=unit["editor"])
    # Approvers read consents but do not erase them; another unit's admin does not see it.
    assert client.delete(path, headers=unit["approver"]).status_code == 403
    assert client.delete(path, headers=units[UNIT_B].headers["admin"]).status_code == 404
    assert client.get(path, headers=unit["editor"]).status_code == 200
    assert MARKS not in caplog.text


def test_erasure_deletes_the_consent_and_blanks_its_profiles(app, client, units, caplog):
    caplog.set_level(logging.DEBUG)
    unit = units[UNIT_A].headers
    consent = record_consent(client, unit["editor"], scope=["rss"])
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(out, "PNG")
    photo = client.post(
        "/api/v1/assets",
        data={"file": (io.BytesIO(out.getvalue()), "anh.png")},
        headers=unit["editor"],
        content_type="multipart/form-data",
    )
    assert photo.status_code == 201, photo.get_json()
    asset_id = photo.get_json()["id"]
    body = {
        "kind": "profile",
        "title": f"Tấm gương: {PERSON}",
        "body": f"<p>{PERSON} đã hiến máu 30 lần.</p>",
        "asset_id": asset_id,
        "person": {"name": PERSON, "commune_code": "03408", "consent_id": consent["id"]},
    }
    created = client.post("/api/v1/content", json=body, headers=unit["editor"]).get_json()
    content_id = created["id"]
    submitted = client.post(f"/api/v1/content/{content_id}/submit", headers=unit["editor"])
    assert submitted.status_code == 200, submitted.get_json()
    approved = client.post(f"/api/v1/content/{content_id}/approve", headers=unit["approver"])
    assert approved.status_code == 200, approved.get_json()
    rss = channel(client, unit["admin"], "rss", {"title": "Tin"}, "tin-xa")
    assert schedule(client, unit["editor"], content_id, rss).status_code == 201
    path = f"/api/v1/consents/{consent['id']}"
    assert client.get(f"/api/v1/assets/{asset_id}", headers=unit["editor"]).status_code == 200
    assert client.post(f"{path}/withdraw", headers=unit["editor"]).status_code == 200

    assert client.delete(path, headers=unit["editor"]).status_code == 204

    assert client.get(path, headers=unit["editor"]).status_code == 404
    assert client.get(f"{path}/form", headers=unit["editor"]).status_code == 404
    item = client.get(f"/api/v1/content/{content_id}", headers=unit["editor"])
    versions = client.get(f"/api/v1/content/{content_id}/versions", headers=unit["editor"])
    for answer in (item, versions):
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert PERSON not in text and MARKS not in text
    assert item.get_json()["status"] == "archived"
    found = client.get("/api/v1/content?q=huong", headers=unit["editor"]).get_json()
    assert content_id not in [row["id"] for row in found["items"]]
    assert client.get(f"/api/v1/assets/{asset_id}", headers=unit["editor"]).status_code == 404
    # Nothing can bring it back on a channel.
    assert schedule(client, unit["editor"], content_id, rss).status_code == 409
    actions = audit_actions(app, consent["id"])
    assert [a for a, _ in actions] == ["create", "withdraw", "delete"]
    assert actions[-1][1] == {"profiles": 1}
    assert MARKS not in caplog.text


def test_the_pages_offer_the_export_and_erase_only_after_withdrawal(app, client, units):
    editor = signed_in(app, client, UNIT_A, "editor")
    made = editor.post("/consents/new", data=consent_form())
    assert made.status_code == 302, made.get_data(as_text=True)
    detail = made.headers["Location"]
    page = editor.get(detail).get_data(as_text=True)
    assert "Tải toàn bộ dữ liệu (JSON)" in page
    assert "hãy rút lại đồng ý trước" in page
    refused = editor.post(f"{detail}/erase")
    assert refused.status_code == 409
    assert "Hãy rút lại đồng ý trước khi xoá dữ liệu" in refused.get_data(as_text=True)
    download = editor.get(f"{detail}/export")
    assert json.loads(download.data)["consent"]["person_name"] == PERSON
    editor.post(f"{detail}/withdraw")
    assert "Xoá dữ liệu" in editor.get(detail).get_data(as_text=True)
    done = editor.post(f"{detail}/erase")
    assert done.status_code == 302
    assert editor.get(detail).status_code == 404
