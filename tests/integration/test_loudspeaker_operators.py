"""The operator's page, the "Đã phát" form, the broadcasts API and its report, from outside."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from channels.loudspeaker import audio_available
from publisher.api.framework import SCHEMAS
from publisher.delivery.models import Publication
from publisher.loudspeaker.bulletins import local_today
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.loudspeaker.views import AUDIO_LABEL
from tests.integration.loudspeaker_support import (
    DOAN_KET,
    MUONG_KIM,
    TAN_PHONG,
    local,
    login,
    loudspeaker_channel,
    released,
)

LONG_BODY = (
    "Thực hiện Kế hoạch số 15/KH-UBND, Ban Chỉ đạo vận động HMTN tỉnh tổ chức đợt hiến máu "
    "ngày 14/6/2025 lúc 7h00 tại Nhà văn hóa phường, mục tiêu 350 đơn vị máu. Người từ 18-60 "
    "tuổi, nữ nặng từ 42 kg, nam từ 45 kg, khỏe mạnh, cách lần hiến máu toàn phần trước ít "
    "nhất 12 tuần đều có thể tham gia. Mỗi người hiến máu được khám, tư vấn miễn phí và nhận "
    "giấy chứng nhận. Mọi thông tin liên hệ điện thoại 0213 3876 543."
)
MONG = "Tuaj pub ntshav rau hnub 14/6 thaum 7 teev sawv ntxov ntawm tsev kab lis kev cai."


@pytest.fixture
def today():
    return local_today()


@pytest.fixture
def rows(app, db, today):
    """Two items in Tân Phong today (morning and evening), one in Mường Kim, one tomorrow."""
    ours = loudspeaker_channel(db, [TAN_PHONG, DOAN_KET])
    theirs = loudspeaker_channel(db, [MUONG_KIM])
    morning = released(
        db,
        ours,
        local(today, 6),
        title="Lịch hiến máu",
        body=LONG_BODY,
        priority="emergency",
        repeats=3,
        variants={"hmn": {"name": "Tiếng Mông", "text": MONG}},
    )
    evening = released(db, ours, local(today, 17, 30), title="Cảm ơn người hiến máu")
    other = released(db, theirs, local(today, 6), title="Tin của Mường Kim")
    tomorrow = released(db, ours, local(today + timedelta(days=1), 6), title="Tin ngày mai")
    db.commit()
    return {
        "morning": morning.id,
        "evening": evening.id,
        "other": other.id,
        "tomorrow": tomorrow.id,
    }


def _login_target(response) -> str:
    """Where the login page will send the user back to."""
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# --- the page ----------------------------------------------------------------------------


def test_operator_sees_own_commune(client, make_user, rows, today):
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    response = client.get(f"/communes/{TAN_PHONG}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.data.decode()
    for expected in (
        "Đài truyền thanh phường Tân Phong",
        "Khẩn cấp",
        "Lịch hiến máu",
        "mục tiêu ba trăm năm mươi đơn vị máu",  # the reading text, spelled out
        "Đọc 3 lần",
        "Bản tiếng Mông (hmn)",
        MONG,  # the variant as written
        "Tin ngày mai",
        f"/scripts/{TAN_PHONG}/{today.isoformat()}.docx",
        f"/scripts/{TAN_PHONG}/{(today + timedelta(days=1)).isoformat()}.pdf",
        "Đã phát buổi sáng",
    ):
        assert expected in html, expected
    assert "Tin của Mường Kim" not in html
    # The draft audio depends on espeak-ng (which `make test` installs); without it the page
    # offers the three text downloads only: test_page_without_espeak_offers_no_audio.
    if audio_available():
        assert "Bản đọc máy — chỉ để tham khảo" in html
        assert f"/scripts/{TAN_PHONG}/{today.isoformat()}.wav" in html
    else:
        assert AUDIO_LABEL not in html and ".wav" not in html
    assert "<script" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy


def test_page_without_espeak_offers_no_audio(client, make_user, rows, today, monkeypatch):
    # A machine without espeak-ng: nothing on the search path.
    monkeypatch.setenv("PATH", "/nonexistent")
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    html = client.get(f"/communes/{TAN_PHONG}").data.decode()
    assert AUDIO_LABEL not in html and ".wav" not in html
    for fmt in ("txt", "docx", "pdf"):
        assert f"/scripts/{TAN_PHONG}/{today.isoformat()}.{fmt}" in html
    assert client.get(f"/scripts/{TAN_PHONG}/{today.isoformat()}.wav").status_code == 404


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_the_page_has_a_main_landmark_and_named_checkboxes(client, make_user, rows):
    """Parsed as a browser does (html5lib): one <main>, and each checkbox's label names its item."""
    import html5lib

    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    html = client.get(f"/communes/{TAN_PHONG}").data.decode()
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    mains = tree.findall(".//main")
    assert len(mains) == 1
    assert mains[0].find(".//h1") is not None, "the page's heading is inside <main>"
    assert not [el for el in tree.find("body") if el.tag not in ("main", "script")]

    labels = {}
    for label in tree.iter("label"):
        box = label.find(".//input[@type='checkbox']")
        if box is not None:
            labels[int(box.get("value"))] = _text(label)
    boxes = tree.findall(".//input[@type='checkbox']")
    assert len(boxes) == len(labels) == 2, "every checkbox sits in its own label"
    assert labels == {
        rows["morning"]: "Đã phát: Lịch hiến máu",
        rows["evening"]: "Đã phát: Cảm ơn người hiến máu",
    }


def test_operator_of_another_commune_is_refused(client, make_user, rows):
    operator_id, _ = make_user("operator", MUONG_KIM)
    login(client, operator_id)
    response = client.get(f"/communes/{TAN_PHONG}")
    assert response.status_code == 403
    html = response.data.decode()
    assert "chỉ xem và xác nhận được bản tin của xã, phường mình" in html
    assert "Tân Phong" not in html


def test_anonymous_is_sent_to_login(client, rows):
    response = client.get(f"/communes/{TAN_PHONG}")
    assert response.status_code == 302
    assert _login_target(response) == f"/communes/{TAN_PHONG}"


def test_unknown_commune_page_is_404(client, make_user):
    editor_id, _ = make_user("editor")
    login(client, editor_id)
    assert client.get("/communes/99999").status_code == 404


def test_editor_reads_without_confirming(client, make_user, rows):
    editor_id, _ = make_user("editor")
    login(client, editor_id)
    html = client.get(f"/communes/{TAN_PHONG}").data.decode()
    assert "Lịch hiến máu" in html
    assert "Chưa xác nhận đã phát" in html
    assert "<form" not in html
    refused = client.post(f"/communes/{TAN_PHONG}/confirm", data={"csrf_token": "x"})
    assert refused.status_code == 400  # a wrong token; with the right one: 403


def test_bearer_token_works_for_the_page(client, make_user, rows):
    _, headers = make_user("operator", TAN_PHONG)
    _, other = make_user("operator", MUONG_KIM)
    assert client.get(f"/communes/{TAN_PHONG}", headers=headers).status_code == 200
    assert client.get(f"/communes/{TAN_PHONG}", headers=other).status_code == 403


def test_page_with_ten_items_is_under_50_kb(app, client, db, make_user, today):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    for n in range(10):
        released(
            db,
            channel,
            local(today + timedelta(days=n % 2), 6 + n),
            title=f"Tin số {n}",
            body=LONG_BODY,
            variants={"hmn": {"name": "Tiếng Mông", "text": MONG}},
        )
    db.commit()
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    response = client.get(f"/communes/{TAN_PHONG}")
    assert response.status_code == 200
    assert all(f"Tin số {n}" in response.data.decode() for n in range(10))
    assert len(response.data) < 50 * 1024


# --- the "Đã phát" form --------------------------------------------------------------------


def test_confirm_form_records_and_redirects(app, client, db, make_user, rows, today):
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    token = _csrf(client.get(f"/communes/{TAN_PHONG}").data.decode())
    form = {
        "csrf_token": token,
        "date": today.isoformat(),
        "slot": "morning",
        "publication_id": [str(rows["morning"])],
        "note": "Phát 3 lần",
    }
    response = client.post(f"/communes/{TAN_PHONG}/confirm", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/communes/{TAN_PHONG}#morning")
    html = client.get(f"/communes/{TAN_PHONG}").data.decode()
    assert "Đã ghi nhận: đã phát 1 tin buổi sáng" in html
    assert "✓ Đã phát" in html
    assert "Đã phát buổi sáng" not in html  # nothing left to confirm this morning
    assert "Đã phát buổi chiều" in html
    row = db.scalars(select(BroadcastConfirmation)).one()
    assert (
        row.commune_code,
        row.air_date,
        row.publication_id,
        row.confirmed_by,
        row.note,
        row.slot,
    ) == (TAN_PHONG, today, rows["morning"], operator_id, "Phát 3 lần", "morning")
    db.rollback()
    # Sent again (a double tap): still one row, and a message that says so.
    client.post(f"/communes/{TAN_PHONG}/confirm", data=form)
    assert "đã được xác nhận trước đó" in client.get(f"/communes/{TAN_PHONG}").data.decode()
    assert len(db.scalars(select(BroadcastConfirmation)).all()) == 1
    db.rollback()


def test_confirm_form_refuses_items_of_other_communes(client, db, make_user, rows, today):
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    token = _csrf(client.get(f"/communes/{TAN_PHONG}").data.decode())
    client.post(
        f"/communes/{TAN_PHONG}/confirm",
        data={
            "csrf_token": token,
            "date": today.isoformat(),
            "publication_id": [str(rows["other"])],
        },
    )
    html = client.get(f"/communes/{TAN_PHONG}").data.decode()
    assert "Chưa ghi nhận được" in html
    assert db.scalars(select(BroadcastConfirmation)).all() == []
    db.rollback()


def test_confirm_form_needs_the_csrf_token(client, make_user, rows, today):
    operator_id, _ = make_user("operator", TAN_PHONG)
    login(client, operator_id)
    client.get(f"/communes/{TAN_PHONG}")
    response = client.post(
        f"/communes/{TAN_PHONG}/confirm",
        data={"date": today.isoformat(), "publication_id": [str(rows["morning"])]},
    )
    assert response.status_code == 400


def test_operator_cannot_confirm_for_another_commune_by_form(client, make_user, rows, today):
    operator_id, _ = make_user("operator", MUONG_KIM)
    login(client, operator_id)
    token = _csrf(client.get(f"/communes/{MUONG_KIM}").data.decode())
    response = client.post(
        f"/communes/{TAN_PHONG}/confirm",
        data={
            "csrf_token": token,
            "date": today.isoformat(),
            "publication_id": [str(rows["morning"])],
        },
    )
    assert response.status_code == 403


def test_anonymous_form_post_goes_to_login(client, rows):
    response = client.post(f"/communes/{TAN_PHONG}/confirm", data={})
    assert response.status_code == 302
    assert _login_target(response) == f"/communes/{TAN_PHONG}"


# --- the API -----------------------------------------------------------------------------


def _valid(name: str, data: dict) -> None:
    errors = list(Draft202012Validator(SCHEMAS[name]).iter_errors(data))
    assert errors == [], errors


def test_api_confirm_is_idempotent(client, make_user, rows, today):
    operator_id, headers = make_user("operator", TAN_PHONG)
    body = {
        "commune_code": TAN_PHONG,
        "date": today.isoformat(),
        "publication_ids": [rows["morning"], rows["evening"]],
        "note": "đủ",
    }
    first = client.post("/api/v1/broadcasts", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()
    _valid("Broadcast", data)
    assert data["publication_ids"] == [rows["morning"], rows["evening"]]
    assert (data["commune_code"], data["date"], data["confirmed_by"], data["note"]) == (
        TAN_PHONG,
        today.isoformat(),
        operator_id,
        "đủ",
    )
    again = client.post("/api/v1/broadcasts", json=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == data


def test_api_operator_of_another_commune_gets_403(client, make_user, rows, today):
    _, headers = make_user("operator", MUONG_KIM)
    response = client.post(
        "/api/v1/broadcasts",
        headers=headers,
        json={
            "commune_code": TAN_PHONG,
            "date": today.isoformat(),
            "publication_ids": [rows["morning"]],
        },
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_api_editor_cannot_confirm_but_admin_can(client, make_user, rows, today):
    body = {
        "commune_code": TAN_PHONG,
        "date": today.isoformat(),
        "publication_ids": [rows["morning"]],
    }
    _, editor = make_user("editor")
    _, admin = make_user("admin")
    assert client.post("/api/v1/broadcasts", json=body, headers=editor).status_code == 403
    assert client.post("/api/v1/broadcasts", json=body, headers=admin).status_code == 201
    assert client.post("/api/v1/broadcasts", json=body).status_code == 401


def test_api_items_must_be_in_that_bulletin(app, client, db, make_user, rows, today):
    _, headers = make_user("operator", TAN_PHONG)

    def post(**changes):
        body = {
            "commune_code": TAN_PHONG,
            "date": today.isoformat(),
            "publication_ids": [rows["morning"]],
            **changes,
        }
        return client.post("/api/v1/broadcasts", json=body, headers=headers)

    response = post(publication_ids=[rows["other"]])
    assert response.status_code == 422
    assert str(rows["other"]) in response.get_json()["errors"]["publication_ids"]
    assert post(publication_ids=[rows["tomorrow"]]).status_code == 422  # another day
    wrong_slot = post(slot="evening")
    assert wrong_slot.status_code == 422 and "slot" in wrong_slot.get_json()["errors"]
    future = post(date=(today + timedelta(days=1)).isoformat(), publication_ids=[rows["tomorrow"]])
    assert future.status_code == 422 and "date" in future.get_json()["errors"]
    assert post(date="2025-02-30").status_code == 422
    assert post(publication_ids=[]).status_code == 422
    assert post(commune_code="3408").status_code == 422
    # Withdrawn at 00:01, before both sessions aired: it left today's bulletin.
    evening = db.get(Publication, rows["evening"])
    evening.status = "cancelled"
    evening.cancelled_at = evening.withdrawn_at = local(today, 0, 1)
    db.commit()
    assert post(publication_ids=[rows["evening"]]).status_code == 422
    assert post(publication_ids=[rows["morning"]]).status_code == 201


def test_report_shows_who_confirmed_what(client, make_user, rows, today):
    _, operator = make_user("operator", TAN_PHONG)
    _, editor = make_user("editor")
    client.post(
        "/api/v1/broadcasts",
        headers=operator,
        json={
            "commune_code": TAN_PHONG,
            "date": today.isoformat(),
            "publication_ids": [rows["morning"]],
        },
    )
    response = client.get(f"/api/v1/broadcasts?date={today.isoformat()}", headers=editor)
    assert response.status_code == 200
    report = response.get_json()
    _valid("BroadcastReport", report)
    by_code = {c["commune_code"]: c for c in report["communes"]}
    assert sorted(by_code) == sorted([TAN_PHONG, DOAN_KET, MUONG_KIM])
    ours = by_code[TAN_PHONG]
    assert ours["commune_name"] == "Tân Phong"
    assert (ours["item_count"], ours["confirmed_count"]) == (2, 1)
    assert [(i["publication_id"], i["slot"], i["confirmed"]) for i in ours["items"]] == [
        (rows["morning"], "morning", True),
        (rows["evening"], "evening", False),
    ]
    assert ours["items"][0]["confirmed_at"] and ours["items"][1]["confirmed_at"] is None
    assert sorted(report["missing"]) == sorted([DOAN_KET, MUONG_KIM])
    # Default date: today (local).
    assert client.get("/api/v1/broadcasts", headers=editor).get_json() == report
    one = client.get(f"/api/v1/broadcasts?commune_code={MUONG_KIM}", headers=editor).get_json()
    assert [c["commune_code"] for c in one["communes"]] == [MUONG_KIM]


def test_report_for_operators_is_their_own_commune(client, make_user, rows):
    _, operator = make_user("operator", TAN_PHONG)
    report = client.get("/api/v1/broadcasts", headers=operator).get_json()
    assert [c["commune_code"] for c in report["communes"]] == [TAN_PHONG]
    assert report["missing"] == [TAN_PHONG]
    other = client.get(f"/api/v1/broadcasts?commune_code={MUONG_KIM}", headers=operator)
    assert other.status_code == 403
    assert client.get("/api/v1/broadcasts?date=2025-13-01", headers=operator).status_code == 422


def test_openapi_documents_the_broadcasts(client):
    document = client.get("/api/v1/openapi.json").get_json()
    post = document["paths"]["/api/v1/broadcasts"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/BroadcastCreate"
    )
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Broadcast"
    )
    get = document["paths"]["/api/v1/broadcasts"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/BroadcastReport"
    )
    assert {p["name"] for p in get["parameters"]} == {"date", "commune_code"}
