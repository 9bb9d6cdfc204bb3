"""The consent pages and the profile editor, as a signed-in person uses them: Vietnamese
messages for every refusal, the person's name on no error page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.integration.consents_support import (
    PERSON,
    approved_profile,
    channel,
    encrypted_pdf,
    pdf_bytes,
    record_consent,
    today,
)
from tests.integration.orgs_support import UNIT_A, UNIT_B, make_units
from tests.integration.test_consents_api import audit_rows
from tests.integration.ui_support import Person, open_session


@pytest.fixture
def units(app):
    return make_units(app)


def signed_in(app, client, slug: str, role: str) -> Person:
    from sqlalchemy import select

    from publisher.auth.models import User
    from publisher.db import db
    from publisher.organisations.service import by_slug

    with app.app_context():
        org = by_slug(db.session, slug)
        user = db.session.scalar(
            select(User).where(User.organisation_id == org.id, User.role == role)
        )
        user_id = user.id
        db.session.commit()
    open_session(client, user_id)
    return Person(client)


def consent_form(**overrides) -> dict:
    data = {
        "person_name": PERSON,
        "scope": ["rss"],
        "given_on": today().isoformat(),
        "expires_on": (today() + timedelta(days=30)).isoformat(),
        "note": "",
        "commune_code": "03408",
    }
    data.update(overrides)
    return data


def test_recording_a_consent_with_its_pdf_then_withdrawing_it(app, client, units):
    editor = signed_in(app, client, UNIT_A, "editor")
    nav = editor.get("/consents/new")
    assert nav.status_code == 200
    page = nav.get_data(as_text=True)
    assert "Được đăng trên các loại kênh" in page
    assert "Trang Facebook" in page or "Facebook" in page  # labels from the registry
    made = editor.post(
        "/consents/new",
        data={**consent_form(), "file": (io.BytesIO(pdf_bytes()), "ky.pdf")},
        content_type="multipart/form-data",
    )
    assert made.status_code == 302
    detail = editor.get(made.headers["Location"])
    html = detail.get_data(as_text=True)
    assert PERSON in html and "Còn hiệu lực" in html and "PDF, 1 trang" in html
    download = re.search(r'href="(/consents/\d+/form)"', html).group(1)
    form = editor.get(download)
    assert form.status_code == 200 and form.data.startswith(b"%PDF-")
    listed = editor.get("/consents", query_string={"person": "huong"}).get_data(as_text=True)
    assert PERSON in listed
    assert PERSON not in editor.get("/consents", query_string={"person": "Páo"}).get_data(
        as_text=True
    )
    withdraw = download.replace("/form", "/withdraw")
    done = editor.post(withdraw, data={"reason": "Gia đình đề nghị"})
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "Kết quả rút lại đồng ý" in text and "Đã huỷ 0 lượt đăng" in text
    again = editor.post(withdraw)
    assert again.status_code == 409
    assert "đã được rút lại" in again.get_data(as_text=True)
    # The pages log what they did, as the API does; the refused withdrawal logs no change.
    consent_id = int(re.search(r"/consents/(\d+)/", download).group(1))
    rows = audit_rows(app, consent_id)
    assert [(action, detail) for action, _, _, detail in rows] == [
        ("create", {"form": True, "scope": ["rss"]}),
        ("read", {}),
        ("read", {"part": "form"}),
        (
            "withdraw",
            {
                "cancelled": 0,
                "withdrawn": 0,
                "withdrawing": 0,
                "not_withdrawn": 0,
                "archived_content_ids": 0,
            },
        ),
        ("read", {}),
        ("read", {}),
    ]
    listings = [r for r in audit_rows(app) if r[0] == "list"]
    assert [detail for *_, detail in listings] == [
        {"count": 1, "filtered": True},
        {"count": 0, "filtered": True},
    ]


def test_the_list_shows_each_consents_own_status(app, client, units):
    headers = units[UNIT_A].headers["editor"]
    names = {
        "Còn hiệu lực": "Lò Thị Một",
        "Hết hạn": "Lò Thị Hai",
        "Chưa đến ngày hiệu lực": "Lò Thị Ba",
        "Đã rút lại": "Lò Thị Bốn",
    }
    record_consent(client, headers, person_name=names["Còn hiệu lực"])
    expired = record_consent(client, headers, person_name=names["Hết hạn"])
    record_consent(
        client,
        headers,
        person_name=names["Chưa đến ngày hiệu lực"],
        given_on=(today() + timedelta(days=3)).isoformat(),
        expires_on=(today() + timedelta(days=30)).isoformat(),
    )
    gone = record_consent(client, headers, person_name=names["Đã rút lại"])
    assert (
        client.post(f"/api/v1/consents/{gone['id']}/withdraw", json={}, headers=headers).status_code
        == 200
    )
    with app.app_context():  # lapsed since it was recorded
        from publisher.consents.models import Consent
        from publisher.db import db

        lapsed = db.session.get(Consent, expired["id"])
        lapsed.given_on = today() - timedelta(days=60)
        lapsed.expires_on = today() - timedelta(days=1)
        db.session.commit()
    page = signed_in(app, client, UNIT_A, "editor").get("/consents").get_data(as_text=True)
    for label, name in names.items():
        cell = re.search(rf"{name}</a></td>.*?Tình trạng\">(.*?)</td>", page, re.S)
        assert cell is not None and label in cell.group(1), (name, label)


@pytest.mark.parametrize(
    ("change", "file", "message"),
    [
        ({"scope": []}, None, "Hãy chọn ít nhất một loại kênh"),
        ({"person_name": ""}, None, "không được để trống"),
        ({"expires_on": "2000-01-01"}, None, "Ngày hết hạn không được trước ngày ký"),
        ({}, (b"not a pdf or an image", "x.pdf"), "Chỉ nhận tệp PDF hoặc ảnh"),
        ({}, (None, "locked.pdf"), "mật khẩu"),
    ],
)
def test_a_bad_consent_form_is_refused_in_vietnamese(app, client, units, change, file, message):
    editor = signed_in(app, client, UNIT_A, "editor")
    data = consent_form(**change)
    if file is not None:
        data["file"] = (io.BytesIO(file[0] if file[0] is not None else encrypted_pdf()), file[1])
    answer = editor.post("/consents/new", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html


def test_another_units_consent_is_a_404_page(app, client, units):
    theirs = record_consent(client, units[UNIT_B].headers["editor"])
    editor = signed_in(app, client, UNIT_A, "editor")
    for path in (f"/consents/{theirs['id']}", f"/consents/{theirs['id']}/form"):
        answer = editor.get(path)
        assert answer.status_code == 404
        assert PERSON not in answer.get_data(as_text=True)
    assert editor.post(f"/consents/{theirs['id']}/withdraw").status_code == 404


def test_operators_have_no_consent_pages_and_no_nav_link(app, client, units):
    editor = signed_in(app, client, UNIT_A, "editor")
    assert 'href="/consents"' in editor.get("/content").get_data(as_text=True)
    operator = signed_in(app, client, UNIT_A, "operator")
    assert operator.get("/consents").status_code in (302, 403)


def test_the_editor_writes_a_profile_and_scheduling_off_scope_is_refused(app, client, units):
    headers = units[UNIT_A].headers
    consent = record_consent(client, headers["editor"], scope=["rss"])
    lapsed = record_consent(client, headers["editor"], person_name="Lò Văn Páo")
    client.post(f"/api/v1/consents/{lapsed['id']}/withdraw", headers=headers["editor"])
    editor = signed_in(app, client, UNIT_A, "editor")
    form = editor.get("/content/new", query_string={"kind": "profile"}).get_data(as_text=True)
    assert "Người được nêu gương" in form and f"#{consent['id']} {PERSON}" in form
    assert "Lò Văn Páo" not in form  # withdrawn consents are not offered
    base = {"kind": "profile", "title": "Tấm gương", "body": "<p>Chị đã hiến máu 30 lần.</p>"}
    refused = editor.post(
        "/content/new",
        data={**base, "person_name": PERSON, "consent_id": str(lapsed["id"])},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "rút lại" in refused.get_data(as_text=True)
    made = editor.post(
        "/content/new",
        data={
            **base,
            "person_name": PERSON,
            "person_commune": "03408",
            "consent_id": str(consent["id"]),
        },
        content_type="multipart/form-data",
    )
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    detail = editor.get(made.headers["Location"]).get_data(as_text=True)
    assert "Giấy đồng ý:" in detail and "RSS cho cổng thông tin" in detail

    content_id = approved_profile(client, headers["editor"], headers["approver"], consent["id"])
    speaker = channel(client, headers["admin"], "loudspeaker", {"commune_codes": ["03408"]}, "loa")
    answer = editor.post(
        "/publications",
        data={
            "content_id": str(content_id),
            "channel_id": str(speaker),
            "scheduled_at": (today() + timedelta(days=2)).isoformat() + "T07:00",
        },
    )
    assert answer.status_code == 302
    page = editor.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Giấy đồng ý không cho phép đăng trên kênh loại" in page
    assert "/ the consent" not in page  # the Vietnamese half only


def test_the_approval_page_shows_the_consent_and_refuses_a_withdrawn_one(app, client, units):
    headers = units[UNIT_A].headers
    consent = record_consent(client, headers["editor"], scope=["rss"])
    content = client.post(
        "/api/v1/content",
        json={
            "kind": "profile",
            "title": "Tấm gương",
            "body": "<p>x</p>",
            "person": {"name": PERSON, "consent_id": consent["id"]},
        },
        headers=headers["editor"],
    ).get_json()
    client.post(f"/api/v1/content/{content['id']}/submit", headers=headers["editor"])
    approver = signed_in(app, client, UNIT_A, "approver")
    page = approver.get("/approvals").get_data(as_text=True)
    assert "Giấy đồng ý:" in page and "hết hạn sau ngày" in page
    from content_library.models import ContentItem
    from publisher.consents.models import Consent
    from publisher.db import db

    with app.app_context():
        db.session.get(Consent, consent["id"]).withdrawn_at = db.session.get(
            ContentItem, content["id"]
        ).created_at
        db.session.commit()
    answer = approver.post(f"/content/{content['id']}/approve", data={"next": "/approvals"})
    assert answer.status_code == 302
    shown = approver.get("/approvals").get_data(as_text=True)
    assert "Người được nêu gương đã rút lại đồng ý" in shown
    assert PERSON not in shown.split("Người được nêu gương đã rút lại đồng ý")[0][-300:]
