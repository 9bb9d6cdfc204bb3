"""Guidance: the department sends approved content to units; a unit adopts it on its own
channels without a second approval (and only that exact version), or records evidence;
coverage tells done from in progress, pending and overdue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from content_library.db import utcnow
from publisher.organisations.guidance import due_reminders, local_today
from tests.integration.feeds_support import run_pipeline
from tests.integration.orgs_support import (
    DEPARTMENT,
    UNIT_A,
    UNIT_B,
    approved_item,
    make_units,
    rss_channel,
    schedule,
)

THIRD = "cong-ttdt-lai-chau"


def _send(client, dept, content_ids, org_ids, due_in_days=5):
    return client.post(
        "/api/v1/guidance",
        json={
            "title": "Tuyên truyền Chủ nhật Đỏ",
            "body": "Đăng bài trên kênh của đơn vị trước ngày đến hạn.",
            "content_ids": content_ids,
            "due_on": (local_today() + timedelta(days=due_in_days)).isoformat(),
            "organisation_ids": org_ids,
        },
        headers=dept.headers["editor"],
    )


def _status(client, headers, guidance_id):
    got = client.get(f"/api/v1/guidance/{guidance_id}/coverage", headers=headers)
    assert got.status_code == 200, got.get_json()
    return {row["organisation_id"]: row for row in got.get_json()["items"]}


def test_guidance_adopted_without_a_second_approval_delivered_and_covered(app, client):
    from publisher.db import db
    from publisher.delivery.models import Publication

    units = make_units(app, roles=("admin", "approver", "editor"))
    with app.app_context():
        from publisher.organisations.service import by_slug

        third_id = by_slug(db.session, THIRD).id
    dept, a, b = units[DEPARTMENT], units[UNIT_A], units[UNIT_B]
    content_id = approved_item(client, dept)
    sent = _send(client, dept, [content_id], [a.org_id, b.org_id])
    assert sent.status_code == 201, sent.get_json()
    guidance = sent.get_json()
    version_id = guidance["contents"][0]["version_id"]

    # The inbox: A and B see it; a unit it was not sent to does not (404).
    inbox = client.get("/api/v1/guidance", headers=a.headers["editor"]).get_json()
    assert [g["id"] for g in inbox["items"]] == [guidance["id"]]
    with app.app_context():
        from publisher.auth.services import create_token, create_user

        outsider = create_user(db.session, "bt-cong", "editor", organisation=THIRD)
        _t, raw = create_token(db.session, "t", outsider)
        db.session.commit()
    other = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/guidance/{guidance['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/guidance", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/content/{content_id}", headers=other).status_code == 404
    assert third_id not in _status(client, dept.headers["editor"], guidance["id"])

    # A reads the guided content but cannot edit or re-approve it.
    assert (
        client.get(f"/api/v1/content/{content_id}", headers=a.headers["editor"]).status_code == 200
    )
    assert (
        client.patch(
            f"/api/v1/content/{content_id}", json={"title": "Sửa"}, headers=a.headers["editor"]
        ).status_code
        == 404
    )

    assert _status(client, dept.headers["editor"], guidance["id"])[a.org_id]["status"] == "pending"
    channel = rss_channel(client, a)
    adopted = schedule(client, a.headers["editor"], content_id, channel)
    assert adopted.status_code == 201, adopted.get_json()
    pub_id = adopted.get_json()["id"]
    coverage = _status(client, dept.headers["editor"], guidance["id"])
    assert coverage[a.org_id]["status"] == "in_progress"
    assert coverage[a.org_id]["publication_ids"] == [pub_id]
    assert coverage[b.org_id]["status"] == "pending"

    # Delivered through the dispatcher and the worker: the department's approval carried over.
    with app.app_context():
        db.session.execute(
            update(Publication)
            .where(Publication.id == pub_id)
            .values(scheduled_at=utcnow() - timedelta(seconds=1), next_attempt_at=utcnow())
        )
        db.session.commit()
    run_pipeline(app)
    with app.app_context():
        pub = db.session.get(Publication, pub_id)
        assert pub.status == "published", pub.last_error
        assert pub.version_id == version_id
    slug = client.get(f"/api/v1/channels/{channel}", headers=a.headers["editor"]).get_json()
    feed = client.get(f"/feeds/{slug['slug']}.rss").get_data(as_text=True)
    assert "Chủ nhật Đỏ: mời bà con hiến máu" in feed

    # B carried it outside the service.
    evidence = client.post(
        f"/api/v1/guidance/{guidance['id']}/evidence",
        json={
            "url": "https://baolaichau.vn/hien-mau",
            "note": "Bài đăng trang 3",
            "date": local_today().isoformat(),
        },
        headers=b.headers["editor"],
    )
    assert evidence.status_code == 201, evidence.get_json()
    coverage = _status(client, dept.headers["editor"], guidance["id"])
    assert coverage[a.org_id]["status"] == "done"
    assert coverage[b.org_id]["status"] == "done"
    assert coverage[b.org_id]["evidence"][0]["note"] == "Bài đăng trang 3"
    # A unit sees only its own line of the coverage.
    assert set(_status(client, a.headers["editor"], guidance["id"])) == {a.org_id}


def test_only_the_guided_approved_version_gets_through(app, client):
    units = make_units(app)
    dept, a = units[DEPARTMENT], units[UNIT_A]
    content_id = approved_item(client, dept)
    unsent = approved_item(client, dept, title="Không gửi")
    guidance = _send(client, dept, [content_id], [a.org_id]).get_json()
    channel = rss_channel(client, a)
    # Content not sent to the unit: 404.
    assert schedule(client, a.headers["editor"], unsent, channel).status_code == 404
    # The department approves a newer version that was not sent: the unit cannot schedule it.
    client.patch(
        f"/api/v1/content/{content_id}", json={"title": "Bản mới"}, headers=dept.headers["editor"]
    )
    client.post(f"/api/v1/content/{content_id}/submit", headers=dept.headers["editor"])
    assert (
        client.post(
            f"/api/v1/content/{content_id}/approve", headers=dept.headers["approver"]
        ).status_code
        == 200
    )
    refused = schedule(client, a.headers["editor"], content_id, channel)
    assert refused.status_code == 409, refused.get_json()
    assert "hướng dẫn" in refused.get_json()["detail"]
    # Sent again with the new version, it goes.
    _send(client, dept, [content_id], [a.org_id])
    assert schedule(client, a.headers["editor"], content_id, channel).status_code == 201
    assert (
        guidance["contents"][0]["version_id"]
        != client.get(f"/api/v1/content/{content_id}", headers=dept.headers["editor"]).get_json()[
            "approved_version_id"
        ]
    )


def test_who_may_send_what_and_overdue(app, client):
    units = make_units(app)
    dept, a, b = units[DEPARTMENT], units[UNIT_A], units[UNIT_B]
    content_id = approved_item(client, dept)
    draft = client.post(
        "/api/v1/content",
        json={"kind": "article", "title": "Nháp", "body": "<p>x</p>"},
        headers=dept.headers["editor"],
    ).get_json()["id"]
    # A unit's editor may not send guidance.
    refused = client.post(
        "/api/v1/guidance",
        json={
            "title": "x",
            "body": "x",
            "content_ids": [],
            "due_on": "2030-01-01",
            "organisation_ids": [b.org_id],
        },
        headers=a.headers["editor"],
    )
    assert refused.status_code == 403
    unapproved = _send(client, dept, [draft], [a.org_id])
    assert unapproved.status_code == 422 and "content_ids.0" in unapproved.get_json()["errors"]
    late = _send(client, dept, [content_id], [a.org_id, b.org_id], due_in_days=-1).get_json()
    coverage = _status(client, dept.headers["approver"], late["id"])
    assert {row["status"] for row in coverage.values()} == {"overdue"}
    listed = client.get(f"/api/v1/guidance/{late['id']}", headers=a.headers["editor"]).get_json()
    assert listed["overdue"] is True
    # The department records no evidence for a unit; a unit only on guidance sent to it.
    by_dept = client.post(
        f"/api/v1/guidance/{late['id']}/evidence",
        json={"note": "x", "date": "2025-06-01"},
        headers=dept.headers["editor"],
    )
    assert by_dept.status_code == 409
    bad_url = client.post(
        f"/api/v1/guidance/{late['id']}/evidence",
        json={"note": "x", "date": "2025-06-01", "url": "javascript:alert(1)"},
        headers=a.headers["editor"],
    )
    assert bad_url.status_code == 422


def test_reminders_before_the_due_date_once_per_unit(app, client):
    from publisher.db import db

    units = make_units(app)
    dept, a, b = units[DEPARTMENT], units[UNIT_A], units[UNIT_B]
    content_id = approved_item(client, dept)
    soon = _send(client, dept, [content_id], [a.org_id, b.org_id], due_in_days=2).get_json()
    _send(client, dept, [content_id], [a.org_id], due_in_days=20)
    client.post(
        f"/api/v1/guidance/{soon['id']}/evidence",
        json={"note": "Đã phát", "date": local_today().isoformat()},
        headers=b.headers["editor"],
    )
    with app.app_context():
        first = due_reminders(db.session)
        db.session.commit()
        assert [(g.id, org) for g, org in first] == [(soon["id"], a.org_id)]
        assert due_reminders(db.session) == []


def test_the_remind_command_names_each_unit_once(app, client):
    units = make_units(app)
    dept, a = units[DEPARTMENT], units[UNIT_A]
    content_id = approved_item(client, dept)
    _send(client, dept, [content_id], [a.org_id], due_in_days=1)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["guidance", "remind"])
    assert first.exit_code == 0, first.output
    assert "Nhắc UBND phường Tân Phong" in first.output
    again = runner.invoke(args=["guidance", "remind"])
    assert "Nhắc" not in again.output
