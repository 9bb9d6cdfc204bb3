"""A drive edit by someone who may not approve waits for an approver; meanwhile the drive's
publications are held, visibly, and neither delivered nor expired (both databases).

The attack of the issue: an editor's ``PATCH /api/v1/drives/{id}`` with any text as
``location`` flowed at once into the scheduled RSS and loudspeaker publications.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from content_library.db import utcnow
from content_library.models import Drive
from publisher.auth.models import User
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Channel, Publication
from tests.integration.planning_support import (
    LOCAL,
    TAN_PHONG,
    default_playbook,
    future_campaign,
    plan,
    released,
    seed_2025,
    standard_channels,
)
from tests.servers import run_pipeline

FEED = "/feeds/cong-thong-tin.rss"
OLD_PLACE = "Nhà văn hóa tổ 5"
NEW_PLACE = "Quán karaoke Ánh Sao"


def planned(client, db, make_user):
    """A drive three days ahead, planned: its announcements are due now."""
    seed_2025(db)
    standard_channels(db)
    # Only the feed and the loudspeakers are delivered here; the Page and webhook wait.
    db.execute(
        update(Channel).where(Channel.kind.in_(("fanpage", "webhook"))).values(enabled=False)
    )
    db.commit()
    camp, drive = future_campaign(db, days_ahead=3)
    editor_id, editor = make_user("editor")
    # Steps whose time has passed are created now only when the editor accepts that.
    answer = plan(client, editor, camp.id, default_playbook(db).id, accept_suggestions=True)
    assert answer.status_code == 201, answer.get_json()
    # The suggestion is the next whole minute: make the feed's items due now.
    due = utcnow() - timedelta(seconds=1)
    db.execute(
        update(Publication)
        .where(
            Publication.drive_id == drive.id,
            Publication.channel_id.in_(select(Channel.id).where(Channel.kind == "rss")),
            Publication.scheduled_at <= due + timedelta(minutes=2),
        )
        .values(scheduled_at=due, next_attempt_at=due)
    )
    db.commit()
    return drive.id, editor_id, editor


def pubs(db, drive_id: int, kind: str | None = None) -> list[Publication]:
    db.expire_all()
    stmt = select(Publication).join(Channel).where(Publication.drive_id == drive_id)
    if kind:
        stmt = stmt.where(Channel.kind == kind)
    rows = list(db.scalars(stmt.order_by(Publication.id)))
    for row in rows:
        db.refresh(row)
    released(db)
    return rows


def release_loudspeakers(db, drive_id: int) -> None:
    """Make the drive's loudspeaker items due for release now (normally 18:00 the day before)."""
    ids = [p.id for p in pubs(db, drive_id, "loudspeaker")]
    db.execute(
        update(Publication)
        .where(Publication.id.in_(ids))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()


def bulletin_text(client, db, drive_id: int) -> str:
    texts = []
    for pub in pubs(db, drive_id, "loudspeaker"):
        day = pub.scheduled_at.astimezone(LOCAL).date()
        texts.append(client.get(f"/scripts/{TAN_PHONG}/{day.isoformat()}.txt").get_data(True))
    return "\n".join(texts)


def test_an_editors_place_reaches_no_channel_until_an_approver_confirms_it(
    app, client, db, make_user
):
    drive_id, editor_id, editor = planned(client, db, make_user)
    _, approver = make_user("approver")

    patched = client.patch(
        f"/api/v1/drives/{drive_id}", json={"location": NEW_PLACE}, headers=editor
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["location"] == OLD_PLACE
    change = body["pending_change"]
    assert change["fields"] == {"location": NEW_PLACE}
    assert change["previous"] == {"location": OLD_PLACE}
    assert change["requested_by"] == editor_id and change["requested_at"]
    held = [p for p in pubs(db, drive_id) if p.status == "scheduled"]
    assert held and all(p.last_error_class == "held" for p in held)
    answer = client.get(f"/api/v1/publications/{held[0].id}", headers=editor).get_json()
    assert "Chờ người duyệt xác nhận thay đổi" in answer["last_error"]

    # Due now, and even past its deadline: held, neither delivered nor expired.
    release_loudspeakers(db, drive_id)
    overdue = [p.id for p in pubs(db, drive_id, "rss")]
    run_pipeline(app)
    assert {p.status for p in pubs(db, drive_id, "rss")} == {"scheduled"}
    assert {p.status for p in pubs(db, drive_id, "loudspeaker")} == {"scheduled"}
    assert NEW_PLACE not in client.get(FEED).get_data(as_text=True)
    assert NEW_PLACE not in bulletin_text(client, db, drive_id)
    assert all(NEW_PLACE not in str(p.render_context) for p in pubs(db, drive_id))
    db.execute(
        update(Publication)
        .where(Publication.id.in_(overdue))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    with app.app_context():
        assert dispatch_once().expired == 0

    # Nobody confirms a change they asked for, even after becoming an approver.
    assert (
        client.post(f"/api/v1/drives/{drive_id}/approve-change", headers=editor).status_code == 403
    )
    db.execute(update(User).where(User.id == editor_id).values(role="approver"))
    db.commit()
    refused = client.post(f"/api/v1/drives/{drive_id}/approve-change", headers=editor)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    db.execute(update(Publication).where(Publication.id.in_(overdue)).values(expires_at=None))
    db.commit()

    approved = client.post(f"/api/v1/drives/{drive_id}/approve-change", headers=approver)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["location"] == NEW_PLACE
    assert approved.get_json()["pending_change"] is None
    assert all(p.last_error is None for p in pubs(db, drive_id) if p.status == "scheduled")
    run_pipeline(app)
    assert {p.status for p in pubs(db, drive_id, "rss")} == {"published"}
    assert NEW_PLACE in client.get(FEED).get_data(as_text=True)
    assert NEW_PLACE in bulletin_text(client, db, drive_id)


def test_a_rejected_change_releases_the_publications_with_the_old_words(app, client, db, make_user):
    drive_id, _editor_id, editor = planned(client, db, make_user)
    _, approver = make_user("approver")
    moved = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    patched = client.patch(
        f"/api/v1/drives/{drive_id}",
        json={
            "name": "Đợt <script>alert(1)</script>mới",
            "starts_at": moved.isoformat(),
            "ends_at": (moved + timedelta(hours=4)).isoformat(),
        },
        headers=editor,
    )
    change = patched.get_json()["pending_change"]
    assert set(change["fields"]) == {"name", "starts_at", "ends_at"}
    assert change["fields"]["name"] == "Đợt mới", "a drive's name is plain text"
    # A second edit adds to the same request; a fact set back withdraws that part.
    again = client.patch(
        f"/api/v1/drives/{drive_id}",
        json={"location": NEW_PLACE, "name": "Ngày hội hiến máu thử nghiệm"},
        headers=editor,
    ).get_json()["pending_change"]
    assert set(again["fields"]) == {"starts_at", "ends_at", "location"}

    rejected = client.post(f"/api/v1/drives/{drive_id}/reject-change", headers=approver)
    assert rejected.status_code == 200 and rejected.get_json()["pending_change"] is None
    assert rejected.get_json()["location"] == OLD_PLACE
    second = client.post(f"/api/v1/drives/{drive_id}/reject-change", headers=approver)
    assert second.status_code == 409
    run_pipeline(app)
    assert {p.status for p in pubs(db, drive_id, "rss")} == {"published"}
    feed = client.get(FEED).get_data(as_text=True)
    assert OLD_PLACE in feed and NEW_PLACE not in feed


def test_approvers_edits_apply_at_once_and_editors_status_changes_too(client, db, make_user):
    drive_id, _editor_id, editor = planned(client, db, make_user)
    _, approver = make_user("approver")
    own = client.patch(
        f"/api/v1/drives/{drive_id}", json={"location": "Hội trường UBND"}, headers=approver
    )
    assert own.status_code == 200
    assert own.get_json()["location"] == "Hội trường UBND"
    assert own.get_json()["pending_change"] is None
    assert all(
        "Hội trường UBND" in p.render_context["body_html"]
        for p in pubs(db, drive_id)
        if p.status == "scheduled" and p.render_context
    )
    # An editor's unchanged facts ask nothing; the status applies at once.
    same = client.patch(
        f"/api/v1/drives/{drive_id}",
        json={"location": "Hội trường UBND", "status": "confirmed"},
        headers=editor,
    )
    assert same.get_json()["pending_change"] is None
    assert same.get_json()["status"] == "confirmed"
    assert not [p for p in pubs(db, drive_id) if p.last_error_class == "held"]
    drive = db.get(Drive, drive_id)
    assert drive.pending_change is None
    released(db)
    # An approver's edit of a field that waits replaces that part of the request.
    client.patch(f"/api/v1/drives/{drive_id}", json={"location": NEW_PLACE}, headers=editor)
    client.patch(f"/api/v1/drives/{drive_id}", json={"location": "Sân vận động"}, headers=approver)
    final = client.get(f"/api/v1/drives/{drive_id}", headers=editor).get_json()
    assert final["location"] == "Sân vận động" and final["pending_change"] is None
    assert not [p for p in pubs(db, drive_id) if p.last_error_class == "held"]


def test_a_row_already_queued_is_taken_back_and_the_worker_checks_again(app, client, db, make_user):
    from publisher.delivery.pipeline import deliver

    drive_id, _editor_id, editor = planned(client, db, make_user)
    rss = pubs(db, drive_id, "rss")[0]
    db.execute(
        update(Publication)
        .where(Publication.id == rss.id)
        .values(status="queued", job_id="deliver-x", queued_at=utcnow())
    )
    db.commit()
    client.patch(f"/api/v1/drives/{drive_id}", json={"location": NEW_PLACE}, headers=editor)
    row = next(p for p in pubs(db, drive_id, "rss") if p.id == rss.id)
    assert (row.status, row.job_id, row.last_error_class) == ("scheduled", None, "held")
    with app.app_context():
        assert deliver(rss.id) == "skipped", "the stale job finds the row no longer queued"
    # A dispatcher that claimed the row just before the edit: the worker holds it itself.
    db.execute(update(Publication).where(Publication.id == rss.id).values(status="queued"))
    db.commit()
    with app.app_context():
        assert deliver(rss.id) == "held"
    row = next(p for p in pubs(db, drive_id, "rss") if p.id == rss.id)
    assert (row.status, row.attempts, row.last_error_class) == ("scheduled", 0, "held")
    assert "Chờ người duyệt" in row.last_error


def test_the_drive_page_shows_the_change_and_approvers_decide_in_vietnamese(app, client, make_user):
    from tests.integration.ui_support import flashes, signed_in

    _, admin = make_user("admin")
    made = client.post(
        "/api/v1/drives",
        json={
            "name": "Ngày hội",
            "starts_at": "2030-06-14T00:30:00Z",
            "ends_at": "2030-06-14T04:30:00Z",
            "location": OLD_PLACE,
            "commune_code": TAN_PHONG,
        },
        headers=admin,
    ).get_json()
    editor, editor_id = signed_in(app, "editor")
    form = {
        "name": "Ngày hội",
        "commune_code": TAN_PHONG,
        "location": NEW_PLACE,
        "starts_at": "2030-06-14T07:30",
        "ends_at": "2030-06-14T11:30",
        "status": "planned",
    }
    saved = editor.post(f"/drives/{made['id']}", form, follow_redirects=True).get_data(True)
    assert any("Đã gửi thay đổi cho người duyệt" in f for f in flashes(saved))
    assert "Thay đổi đang chờ duyệt" in saved and "Duyệt thay đổi" not in saved
    drive = client.get(f"/api/v1/drives/{made['id']}", headers=admin).get_json()
    assert drive["location"] == OLD_PLACE
    assert drive["pending_change"]["fields"] == {"location": NEW_PLACE}
    assert drive["pending_change"]["requested_by"] == editor_id

    approver, _ = signed_in(app, "approver")
    page = approver.get(f"/drives/{made['id']}").get_data(True)
    assert f"<del>{OLD_PLACE}</del>" in page and f"<ins>{NEW_PLACE}</ins>" in page
    assert "Duyệt thay đổi" in page and "Từ chối thay đổi" in page
    answer = approver.post(f"/drives/{made['id']}/reject-change", follow_redirects=True)
    assert any("Đã từ chối thay đổi" in f for f in flashes(answer.get_data(True)))
    drive = client.get(f"/api/v1/drives/{made['id']}", headers=admin).get_json()
    assert drive["pending_change"] is None and drive["location"] == OLD_PLACE
