"""The plan follows its drives: moved, cancelled, restored; a paused campaign holds everything."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from channels.registry import adapter_class
from content_library.db import utcnow
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Publication
from publisher.delivery.publications import release_time
from tests.integration.planning_support import (
    LOCAL,
    default_playbook,
    future_campaign,
    iso,
    plan,
    released,
    seed_2025,
    standard_channels,
)

FIELDS = (
    "id",
    "status",
    "scheduled_at",
    "next_attempt_at",
    "expires_at",
    "render_context",
    "job_id",
    "priority",
    "repeats",
    "slot",
)

FANPAGE_QUIET_HOURS = adapter_class("fanpage").default_quiet_hours


def pubs_of(db, drive_id: int) -> dict[str, SimpleNamespace]:
    """Snapshots of the drive's publications by "step:channel kind"."""
    db.expire_all()
    rows = db.scalars(select(Publication).where(Publication.drive_id == drive_id)).all()
    found = {
        f"{p.plan_key.split(':')[3]}:{p.channel.kind}": SimpleNamespace(
            **{name: getattr(p, name) for name in FIELDS}
        )
        for p in rows
    }
    released(db)
    return found


def set_status(db, pub_id: int, status: str, **values) -> None:
    row = db.get(Publication, pub_id)
    row.status = status
    for name, value in values.items():
        setattr(row, name, value)
    db.commit()


def test_a_moved_drive_moves_its_pending_publications_but_not_published_ones(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=20)
    _, editor = make_user("editor")
    # Facts that reach published words: an approver's own edit applies at once.
    _, drive_approver = make_user("approver")
    assert plan(client, editor, camp.id, default_playbook(db).id).status_code == 201
    before = pubs_of(db, drive.id)
    set_status(db, before["announcement:rss"].id, "published", published_at=utcnow())
    set_status(
        db, before["announcement:fanpage"].id, "queued", queued_at=utcnow(), job_id="deliver-x"
    )
    week = timedelta(days=7)
    new_start, new_end = drive.starts_at + week, drive.ends_at + week

    answer = client.patch(
        f"/api/v1/drives/{drive.id}",
        headers=drive_approver,
        json={
            "starts_at": iso(new_start),
            "ends_at": iso(new_end),
            "location": "Hội trường UBND phường",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    after = pubs_of(db, drive.id)
    for key, old in before.items():
        new = after[key]
        if key == "announcement:rss":
            assert (new.status, new.scheduled_at) == ("published", old.scheduled_at)
            assert new.render_context == old.render_context, "published words stay as they went"
            continue
        assert new.status == "scheduled", key
        assert new.scheduled_at == old.scheduled_at + week, key
        assert new.expires_at == new_end, key
        assert "Hội trường UBND phường" in new.render_context["body_html"], key
    assert after["announcement:fanpage"].job_id is None, "taken back from the queue"
    new_day = new_start.astimezone(LOCAL)
    assert f"ngày {new_day:%d/%m/%Y}" in after["announcement:fanpage"].render_context["title"]
    loudspeaker = after["drive_day:loudspeaker"]
    assert loudspeaker.next_attempt_at == release_time(loudspeaker.scheduled_at, 18)

    # Planning again after the move creates nothing: the plan keys are the same.
    again = plan(client, editor, camp.id, default_playbook(db).id).get_json()
    assert again["created"] == 0


def test_a_cancelled_drive_cancels_pending_items_and_announces_it(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=20)
    _, editor = make_user("editor")
    playbook = default_playbook(db)
    assert plan(client, editor, camp.id, playbook.id).status_code == 201
    before = pubs_of(db, drive.id)
    set_status(db, before["announcement:rss"].id, "published", published_at=utcnow())
    drive_end = drive.ends_at

    answer = client.patch(
        f"/api/v1/drives/{drive.id}", headers=editor, json={"status": "cancelled"}
    )
    assert answer.status_code == 200, answer.get_json()
    after = pubs_of(db, drive.id)
    assert after["announcement:rss"].status == "published"
    for key in before:
        if key != "announcement:rss":
            assert after[key].status == "cancelled", key
    notices = {k: p for k, p in after.items() if k.startswith("cancellation:")}
    assert set(notices) == {
        "cancellation:fanpage",
        "cancellation:rss",
        "cancellation:webhook",
        "cancellation:loudspeaker",
    }
    for notice in notices.values():
        assert notice.status == "scheduled"
        assert notice.priority == "priority"
        assert notice.render_context["title"] == "Thông báo hủy Ngày hội hiến máu thử nghiệm"
        assert "sẽ không diễn ra như kế hoạch" in notice.render_context["body_html"]
        assert notice.expires_at == drive_end
    assert notices["cancellation:loudspeaker"].repeats == 3
    when = notices["cancellation:fanpage"].scheduled_at
    if when > utcnow():
        # Cancelled during the Page's quiet hours: the notice waits for their end.
        assert when.astimezone(LOCAL).time() == FANPAGE_QUIET_HOURS[1]
        assert when - utcnow() <= timedelta(hours=8)

    # Re-planning a cancelled drive adds nothing; the calendar shows the drive cancelled.
    again = plan(client, editor, camp.id, playbook.id).get_json()
    assert again["created"] == 0

    # Cancelled by mistake: what the cancellation stopped comes back, unsent notices go.
    restored = client.patch(
        f"/api/v1/drives/{drive.id}", headers=editor, json={"status": "confirmed"}
    )
    assert restored.status_code == 200
    final = pubs_of(db, drive.id)
    assert final["loudspeaker_morning:loudspeaker"].status == "scheduled"
    assert final["poster:fanpage"].status == "scheduled"
    assert {final[k].status for k in notices} == {"cancelled"}


def test_a_paused_campaign_holds_everything_pending(app, client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    # Three days ahead: the announcement (7 days before) is already due.
    camp, _drive = future_campaign(db, days_ahead=3)
    _, editor = make_user("editor")
    reminder = client.post(
        f"/api/v1/campaigns/{camp.id}/recurrences",
        headers=editor,
        json={
            "rrule": "FREQ=DAILY",
            "template": "weekly_reminder",
            "channels": ["rss"],
            "at": "00:00",
        },
    )
    assert reminder.status_code == 201, reminder.get_json()
    # Missed steps are sent now rather than dropped; a few minutes later they are due.
    answer = plan(client, editor, camp.id, default_playbook(db).id, accept_suggestions=True)
    assert answer.status_code == 201
    db.expire_all()
    now = utcnow() + timedelta(minutes=5)
    rows = db.execute(
        select(Publication.id, Publication.plan_key).where(
            Publication.next_attempt_at <= now,
            Publication.expires_at > now,
            Publication.status == "scheduled",
        )
    ).all()
    released(db)
    due = [pid for pid, _key in rows]
    kinds = {
        key.split(":")[0] + ":" + key.split(":")[2 if key.startswith("campaign") else 3]
        for _pid, key in rows
    }
    # The drive's announcements and today's campaign-wide reminder are due.
    assert {"drive:announcement", "campaign:recurrence"} <= kinds
    paused = client.patch(f"/api/v1/campaigns/{camp.id}", headers=editor, json={"paused": True})
    assert paused.status_code == 200 and paused.get_json()["paused"] is True

    with app.app_context():
        report = dispatch_once(now)
    assert report.claimed == 0
    db.expire_all()
    assert {db.get(Publication, pid).status for pid in due} == {"scheduled"}
    released(db)

    client.patch(f"/api/v1/campaigns/{camp.id}", headers=editor, json={"paused": False})
    with app.app_context():
        report = dispatch_once(now)
    assert report.claimed == len(due)
    db.expire_all()
    assert {db.get(Publication, pid).status for pid in due} == {"queued"}
    released(db)


def test_a_change_the_planned_words_cannot_take_is_refused(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=20)
    _, editor = make_user("editor")
    # Facts that reach published words: an approver's own edit applies at once.
    _, drive_approver = make_user("approver")
    assert plan(client, editor, camp.id, default_playbook(db).id).status_code == 201

    refused = client.patch(
        f"/api/v1/drives/{drive.id}", headers=drive_approver, json={"target_units": None}
    )
    assert refused.status_code == 422
    problem = refused.get_json()
    assert any("{drive.target_units}" in message for message in problem["errors"].values())
    # The test client shares this test's app context, so the request's teardown (which rolls
    # the refused change back in the service) does not run: roll back as it would.
    db.rollback()
    assert (
        client.get(f"/api/v1/drives/{drive.id}", headers=editor).get_json()["target_units"] == 120
    ), "nothing changed"

    odd = client.patch(
        f"/api/v1/drives/{drive.id}",
        headers=drive_approver,
        # A place is plain text: "<Tổ 5>" would be a tag and go, "< … >" stays as text.
        json={"location": "Nhà văn hóa < Tổ 5 > & khu 2"},
    )
    assert odd.status_code == 200
    words = pubs_of(db, drive.id)["announcement:fanpage"].render_context
    assert "Nhà văn hóa &lt; Tổ 5 &gt; &amp; khu 2" in words["body_html"]
    assert "< Tổ 5 >" not in words["body_html"]
