"""Consents through the HTTP API: recording (with a real signed form), reading per
organisation, audit entries, profiles backed by a consent, and every refusal."""

from __future__ import annotations

import logging
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from publisher.times import local_to_utc
from tests.integration.consents_support import (
    PERSON,
    PERSON_FOLDED_QUERY,
    approved_profile,
    channel,
    consent_body,
    encrypted_pdf,
    pdf_bytes,
    png_bytes,
    post_multipart,
    profile_body,
    record_consent,
    schedule,
    today,
    write_profile,
)
from tests.integration.orgs_support import DEPARTMENT, UNIT_A, UNIT_B, make_units


@pytest.fixture
def units(app):
    return make_units(app)


@pytest.fixture
def dept(units):
    return units[DEPARTMENT].headers


@pytest.fixture
def unit_a(units):
    return units[UNIT_A].headers


def audit_rows(app, entity_id=None):
    from publisher.audit.models import AuditEvent
    from publisher.db import db

    with app.app_context():
        stmt = select(AuditEvent).where(AuditEvent.entity == "consent").order_by(AuditEvent.id)
        if entity_id is not None:
            stmt = stmt.where(AuditEvent.entity_id == entity_id)
        rows = [
            (e.action, e.actor_username, e.organisation_id, e.detail)
            for e in db.session.scalars(stmt)
        ]
        db.session.commit()
        return rows


# ---- recording and reading -----------------------------------------------------------------


def test_a_consent_with_its_signed_pdf_is_kept_counted_and_served_audited(
    app, client, units, unit_a
):
    answer = post_multipart(
        client, unit_a["editor"], consent_body(), (pdf_bytes(pages=2), "giay dong y.pdf")
    )
    assert answer.status_code == 201, answer.get_json()
    consent = answer.get_json()
    assert consent["person_name"] == PERSON
    assert consent["scope"] == ["webhook", "rss"]  # registry order
    assert consent["status"] == "in_force"
    assert consent["organisation_id"] == units[UNIT_A].org_id
    assert consent["form"]["mime"] == "application/pdf"
    assert consent["form"]["pages"] == 2

    form = client.get(consent["form"]["url"], headers=unit_a["approver"])
    assert form.status_code == 200
    assert form.data.startswith(b"%PDF-")
    assert form.mimetype == "application/pdf"
    disposition = form.headers["Content-Disposition"]
    assert f"giay-dong-y-{consent['id']}.pdf" in disposition
    assert "Nguy" not in disposition and "dong y.pdf" not in disposition

    actions = audit_rows(app, consent["id"])
    assert [a[0] for a in actions] == ["create", "read"]
    assert actions[1][3] == {"part": "form"}
    assert all(row[2] == units[UNIT_A].org_id for row in actions)
    assert PERSON not in repr(actions) and "Nguy" not in repr(actions)


def test_an_image_form_is_decoded_and_its_metadata_dropped(client, units, unit_a):
    answer = post_multipart(client, unit_a["editor"], consent_body(), (png_bytes(), "scan.png"))
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["form"]["mime"] == "image/png"
    served = client.get(answer.get_json()["form"]["url"], headers=unit_a["editor"])
    assert served.data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("raw", "name", "status", "needle"),
    [
        (b"%PDF-1.7\n1 0 obj <<>> garbage without xref", "broken.pdf", 422, "PDF"),
        (None, "locked.pdf", 422, "mật khẩu"),
        (b"MZ\x90\x00 this is an executable, not a form", "form.exe", 415, "PDF"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "form.svg", 415, "PDF"),
        (b"%PDF-" + b"0" * (5 * 1024 * 1024), "huge.pdf", 413, "MB"),
        (b"", "empty.pdf", 422, "rỗng"),
    ],
)
def test_forms_that_are_not_a_readable_pdf_or_image_are_refused(
    app, client, units, unit_a, raw, name, status, needle
):
    raw = encrypted_pdf() if raw is None else raw
    answer = post_multipart(client, unit_a["editor"], consent_body(), (raw, name))
    assert answer.status_code == status, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert needle in problem["detail"]
    assert "file" in problem.get("errors", {})
    assert PERSON not in answer.get_data(as_text=True)
    assert audit_rows(app) == []  # nothing kept, nothing recorded


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": ["fanpage", "carrier-pigeon"]}, "scope.1"),
        ({"scope": []}, "scope"),
        ({"given_on": "2025-13-01"}, "given_on"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
        ({"person_name": "   "}, "person_name"),
        ({"commune_code": "99999"}, "commune_code"),
        ({"surprise": "field"}, "body"),
    ],
)
def test_invalid_consents_are_refused_naming_the_field_not_the_person(
    client, units, unit_a, change, field
):
    answer = client.post("/api/v1/consents", json=consent_body(**change), headers=unit_a["editor"])
    assert answer.status_code == 422, answer.get_json()
    errors = answer.get_json()["errors"]
    assert field in errors or any(k.startswith(field) for k in errors), errors
    assert PERSON not in answer.get_data(as_text=True)


def test_multipart_scope_must_name_registered_kinds(client, units, unit_a):
    answer = post_multipart(client, unit_a["editor"], consent_body(scope=["rss", "telegram"]))
    assert answer.status_code == 422
    assert "scope.1" in answer.get_json()["errors"]


def test_approvers_read_consents_but_only_editors_and_admins_record_them(client, units, unit_a):
    assert (
        client.post("/api/v1/consents", json=consent_body(), headers=unit_a["approver"]).status_code
        == 403
    )
    made = record_consent(client, unit_a["admin"])
    assert (
        client.get(f"/api/v1/consents/{made['id']}", headers=unit_a["approver"]).status_code == 200
    )
    assert (
        client.post(
            f"/api/v1/consents/{made['id']}/withdraw", headers=unit_a["approver"]
        ).status_code
        == 403
    )


def test_a_unit_sees_its_own_consents_the_department_sees_all(app, client, units, dept, unit_a):
    mine = record_consent(client, unit_a["editor"])
    theirs = record_consent(client, units[UNIT_B].headers["editor"], person_name="Lò Văn Páo")
    listed = client.get("/api/v1/consents", headers=unit_a["editor"]).get_json()
    assert [c["id"] for c in listed["items"]] == [mine["id"]]
    assert listed["total"] == 1
    every = client.get("/api/v1/consents", headers=dept["editor"]).get_json()
    assert {c["id"] for c in every["items"]} == {mine["id"], theirs["id"]}
    for path in ("", "/form"):
        answer = client.get(f"/api/v1/consents/{theirs['id']}{path}", headers=unit_a["admin"])
        assert answer.status_code == 404
        assert "Páo" not in answer.get_data(as_text=True)
    withdrawn = client.post(f"/api/v1/consents/{theirs['id']}/withdraw", headers=unit_a["admin"])
    assert withdrawn.status_code == 404
    lists = [row for row in audit_rows(app) if row[0] == "list"]
    assert lists[0][2] == units[UNIT_A].org_id and lists[0][3]["count"] == 1


def test_the_list_is_filtered_per_person_ignoring_marks_and_case(client, units, unit_a):
    wanted = record_consent(client, unit_a["editor"])
    record_consent(client, unit_a["editor"], person_name="Lò Văn Páo")
    for query in (PERSON_FOLDED_QUERY, "HƯỜNG", "thi huong"):
        found = client.get(
            "/api/v1/consents", query_string={"person": query}, headers=unit_a["editor"]
        )
        assert [c["id"] for c in found.get_json()["items"]] == [wanted["id"]], query
    none = client.get("/api/v1/consents", query_string={"person": "Trần"}, headers=unit_a["editor"])
    assert none.get_json()["items"] == []


# ---- profiles ------------------------------------------------------------------------------


def test_a_profile_carries_its_person_frozen_in_the_version(app, client, units, unit_a):
    consent = record_consent(client, unit_a["editor"])
    content_id = write_profile(client, unit_a["editor"], consent["id"])
    item = client.get(f"/api/v1/content/{content_id}", headers=unit_a["editor"]).get_json()
    assert item["kind"] == "profile"
    assert item["person"] == {"name": PERSON, "commune_code": "03408", "consent_id": consent["id"]}
    listed = client.get(
        "/api/v1/content", query_string={"kind": "profile"}, headers=unit_a["editor"]
    )
    assert [i["id"] for i in listed.get_json()["items"]] == [content_id]
    versions = client.get(f"/api/v1/content/{content_id}/versions", headers=unit_a["editor"])
    assert versions.get_json()["items"][0]["person"]["consent_id"] == consent["id"]
    # Editing the approved profile makes a new version that keeps the person.
    assert (
        client.post(f"/api/v1/content/{content_id}/submit", headers=unit_a["editor"]).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/content/{content_id}/approve", headers=unit_a["approver"]).status_code
        == 200
    )
    other = record_consent(client, unit_a["editor"], person_name="Nguyễn Thị Hường (bản mới)")
    edited = client.patch(
        f"/api/v1/content/{content_id}",
        json={"person": {"name": PERSON, "consent_id": other["id"]}},
        headers=unit_a["editor"],
    )
    assert edited.status_code == 200, edited.get_json()
    versions = client.get(
        f"/api/v1/content/{content_id}/versions", headers=unit_a["editor"]
    ).get_json()
    assert [v["person"]["consent_id"] for v in versions["items"]] == [consent["id"], other["id"]]

    from content_library.models import ContentItem
    from publisher.db import db

    with app.app_context():
        assert db.session.get(ContentItem, content_id).consent_id == other["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "profile", "title": "Tấm gương", "body": "<p>x</p>"}, "person"),
        (
            {
                "kind": "article",
                "title": "Bài",
                "body": "<p>x</p>",
                "person": {"name": "A", "consent_id": 1},
            },
            "person",
        ),
        (
            {"kind": "profile", "title": "Tấm gương", "body": "<p>x</p>", "person": {"name": "A"}},
            "person.consent_id",
        ),
    ],
)
def test_profile_person_block_is_required_and_only_for_profiles(client, units, unit_a, body, field):
    answer = client.post("/api/v1/content", json=body, headers=unit_a["editor"])
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"], answer.get_json()


def test_a_profile_cannot_rest_on_another_units_or_a_withdrawn_or_expired_consent(
    client, units, unit_a
):
    theirs = record_consent(client, units[UNIT_B].headers["editor"])
    unknown = client.post("/api/v1/content", json=profile_body(999999), headers=unit_a["editor"])
    foreign = client.post(
        "/api/v1/content", json=profile_body(theirs["id"]), headers=unit_a["editor"]
    )
    assert unknown.status_code == foreign.status_code == 422
    # Another unit's consent answers exactly like one that does not exist.
    assert (
        foreign.get_json()["errors"]
        == unknown.get_json()["errors"]
        == {"person.consent_id": "no such consent"}
    )
    withdrawn = record_consent(client, unit_a["editor"])
    client.post(f"/api/v1/consents/{withdrawn['id']}/withdraw", headers=unit_a["editor"])
    answer = client.post(
        "/api/v1/content", json=profile_body(withdrawn["id"]), headers=unit_a["editor"]
    )
    assert answer.status_code == 422
    assert "withdrawn" in answer.get_json()["errors"]["person.consent_id"]
    old = record_consent(
        client,
        unit_a["editor"],
        given_on=(today() - timedelta(days=30)).isoformat(),
        expires_on=(today() - timedelta(days=1)).isoformat(),
    )
    answer = client.post("/api/v1/content", json=profile_body(old["id"]), headers=unit_a["editor"])
    assert "expired" in answer.get_json()["errors"]["person.consent_id"]
    assert PERSON not in answer.get_data(as_text=True)


def _expire(app, consent_id: int) -> None:
    from sqlalchemy import update

    from publisher.consents.models import Consent
    from publisher.db import db

    with app.app_context():
        db.session.execute(
            update(Consent)
            .where(Consent.id == consent_id)
            .values(given_on=today() - timedelta(days=10), expires_on=today() - timedelta(days=1))
        )
        db.session.commit()


@pytest.mark.parametrize("how", ["withdrawn", "expired"])
def test_approving_a_profile_whose_consent_lapsed_is_refused(app, client, units, unit_a, how):
    consent = record_consent(client, unit_a["editor"])
    content_id = write_profile(client, unit_a["editor"], consent["id"])
    assert (
        client.post(f"/api/v1/content/{content_id}/submit", headers=unit_a["editor"]).status_code
        == 200
    )
    if how == "withdrawn":
        # Withdrawing archives the profile; bring it back to review as a stale page would.
        from content_library.models import ContentItem
        from publisher.db import db

        client.post(f"/api/v1/consents/{consent['id']}/withdraw", headers=unit_a["editor"])
        with app.app_context():
            item = db.session.get(ContentItem, content_id)
            item.status = "in_review"
            item.versions[-1].status = "in_review"
            db.session.commit()
        needle = "rút lại"
    else:
        _expire(app, consent["id"])
        needle = "hết hạn"
    answer = client.post(f"/api/v1/content/{content_id}/approve", headers=unit_a["approver"])
    assert answer.status_code == 409
    assert needle in answer.get_json()["detail"]
    assert PERSON not in answer.get_data(as_text=True)
    state = client.get(f"/api/v1/content/{content_id}", headers=unit_a["editor"]).get_json()
    assert state["approved_version"] is None


def test_scheduling_a_profile_only_on_kinds_and_days_its_consent_covers(app, client, units, unit_a):
    last_day = today() + timedelta(days=10)
    consent = record_consent(
        client, unit_a["editor"], scope=["rss"], expires_on=last_day.isoformat()
    )
    content_id = approved_profile(client, unit_a["editor"], unit_a["approver"], consent["id"])
    rss = channel(client, unit_a["admin"], "rss", {"title": "Tin"}, "tin-xa")
    speaker = channel(
        client, unit_a["admin"], "loudspeaker", {"commune_codes": ["03408"]}, "loa-xa"
    )
    refused = schedule(client, unit_a["editor"], content_id, speaker)
    assert refused.status_code == 409
    assert "không cho phép đăng trên kênh loại" in refused.get_json()["detail"]
    assert PERSON not in refused.get_data(as_text=True)
    # The day after the consent's last day: refused too.
    after = local_to_utc(last_day + timedelta(days=1), time(9))
    late = schedule(client, unit_a["editor"], content_id, rss, at=after.isoformat())
    assert late.status_code == 409
    assert "hết hạn" in late.get_json()["detail"]
    # Its last evening is still covered, and the deadline is clamped to the end of that day
    # (the default would be thirty days later).
    ok = schedule(
        client, unit_a["editor"], content_id, rss, at=local_to_utc(last_day, time(21)).isoformat()
    )
    assert ok.status_code == 201, ok.get_json()
    end = local_to_utc(last_day + timedelta(days=1), time(0))
    assert ok.get_json()["expires_at"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")

    _expire(app, consent["id"])
    expired = schedule(client, unit_a["editor"], content_id, rss)
    assert expired.status_code == 409


def test_withdrawing_stops_the_profile_and_answers_twice_with_409(
    app, client, units, unit_a, caplog
):
    caplog.set_level(logging.DEBUG)
    consent = record_consent(client, unit_a["editor"], scope=["rss"])
    content_id = approved_profile(client, unit_a["editor"], unit_a["approver"], consent["id"])
    rss = channel(client, unit_a["admin"], "rss", {"title": "Tin"}, "tin-xa")
    pub = schedule(client, unit_a["editor"], content_id, rss).get_json()
    answer = client.post(
        f"/api/v1/consents/{consent['id']}/withdraw",
        json={"reason": "Gia đình đề nghị"},
        headers=unit_a["editor"],
    )
    assert answer.status_code == 200, answer.get_json()
    outcome = answer.get_json()
    assert [row["publication_id"] for row in outcome["cancelled"]] == [pub["id"]]
    assert outcome["withdrawn"] == outcome["withdrawing"] == outcome["not_withdrawn"] == []
    assert outcome["archived_content_ids"] == [content_id]
    assert outcome["consent"]["status"] == "withdrawn"
    state = client.get(f"/api/v1/publications/{pub['id']}", headers=unit_a["editor"]).get_json()
    assert state["status"] == "cancelled"
    assert "rút lại" in state["last_error"]
    item = client.get(f"/api/v1/content/{content_id}", headers=unit_a["editor"]).get_json()
    assert item["status"] == "archived"
    again = schedule(client, unit_a["editor"], content_id, rss)
    assert again.status_code == 409
    twice = client.post(f"/api/v1/consents/{consent['id']}/withdraw", headers=unit_a["editor"])
    assert twice.status_code == 409
    assert [a[0] for a in audit_rows(app, consent["id"])] == ["create", "withdraw"]
    assert audit_rows(app, consent["id"])[1][3]["cancelled"] == 1
    assert PERSON not in caplog.text and "Hường" not in caplog.text


@pytest.mark.parametrize(
    "person",
    [
        {"person_name": "Nguyễn Thị Hường " * 20},
        {"person_name": "Nguyễn Thị Hường", "given_on": "Nguyễn Thị Hường"},
    ],
)
def test_schema_refusals_do_not_echo_the_value(client, units, unit_a, person):
    answer = client.post("/api/v1/consents", json=consent_body(**person), headers=unit_a["editor"])
    assert answer.status_code == 422
    assert "Hường" not in answer.get_data(as_text=True)
    long_name = profile_body(1, person={"name": "Nguyễn Thị Hường " * 20, "consent_id": 1})
    answer = client.post("/api/v1/content", json=long_name, headers=unit_a["editor"])
    assert answer.status_code == 422
    assert "Hường" not in answer.get_data(as_text=True)


def test_a_long_person_query_is_refused_without_echoing_it(client, units, unit_a):
    answer = client.get(
        "/api/v1/consents", query_string={"person": "Hường" * 60}, headers=unit_a["editor"]
    )
    assert answer.status_code == 422
    assert "Hường" not in answer.get_data(as_text=True)
