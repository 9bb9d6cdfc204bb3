"""Campaign-wide recurring reminders (RRULE): stored, checked, expanded by planning."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from publisher.delivery.models import Publication
from tests.integration.planning_support import (
    LOCAL,
    campaign,
    default_playbook,
    move_2025_plan_ahead,
    plan,
    released,
    seed_2025,
    standard_channels,
)

SUMMER = "nhung-giot-mau-hong-he"
# The summer campaign's Saturdays as shipped; tests move the plan ahead by whole weeks.
SATURDAYS = [
    date(2025, 6, 28),
    date(2025, 7, 5),
    date(2025, 7, 12),
    date(2025, 7, 19),
    date(2025, 7, 26),
    date(2025, 8, 2),
    date(2025, 8, 9),
    date(2025, 8, 16),
    date(2025, 8, 23),
    date(2025, 8, 30),
]


def ahead(db) -> timedelta:
    """Move the 2025 plan ahead of today; answers by how much (whole weeks)."""
    return move_2025_plan_ahead(db) - date(2024, 12, 20)


def reminders(db, campaign_id: int) -> list[Publication]:
    db.expire_all()
    rows = db.scalars(
        select(Publication)
        .where(Publication.plan_key.like(f"campaign:{campaign_id}:recurrence:%"))
        .order_by(Publication.scheduled_at, Publication.id)
    ).all()
    released(db)
    return list(rows)


def test_a_weekly_loudspeaker_reminder_through_the_summer_campaign(client, db, make_user):
    seed_2025(db)
    shift = ahead(db)
    channels = standard_channels(db)
    camp = campaign(db, SUMMER)
    _, editor = make_user("editor")
    answer = client.post(
        f"/api/v1/campaigns/{camp.id}/recurrences",
        headers=editor,
        json={
            "rrule": "FREQ=WEEKLY;BYDAY=SA",
            "template": "weekly_reminder",
            "channels": ["loudspeaker"],
            "slot": "morning",
            "repeats": 2,
        },
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["id"], body["rrule"], body["occurrences"]) == (1, "FREQ=WEEKLY;BYDAY=SA", 10)
    listed = client.get(f"/api/v1/campaigns/{camp.id}/recurrences", headers=editor).get_json()
    assert [r["id"] for r in listed["items"]] == [1]

    planned = plan(client, editor, camp.id, default_playbook(db).id).get_json()
    created = [i for i in planned["items"] if i["step"] == "recurrence:1"]
    assert len(created) == 10 and {i["action"] for i in created} == {"created"}
    rows = reminders(db, camp.id)
    assert [r.scheduled_at.astimezone(LOCAL).date() for r in rows] == [
        day + shift for day in SATURDAYS
    ]
    assert {r.scheduled_at.astimezone(LOCAL).strftime("%H:%M") for r in rows} == {"06:00"}
    assert {(r.channel_id, r.slot, r.repeats, r.drive_id) for r in rows} == {
        (channels["loudspeaker"].id, "morning", 2, None)
    }
    assert rows[0].render_context["title"] == "Hưởng ứng Những giọt máu hồng hè"
    assert "Những giọt máu hồng hè" in rows[0].render_context["body_html"]

    again = plan(client, editor, camp.id, default_playbook(db).id).get_json()
    assert again["created"] == 0
    assert len(reminders(db, camp.id)) == 10


def test_a_rule_with_byhour_on_the_portal(client, db, make_user):
    seed_2025(db)
    shift = ahead(db)
    standard_channels(db)
    camp = campaign(db, SUMMER)
    _, editor = make_user("editor")
    answer = client.post(
        f"/api/v1/campaigns/{camp.id}/recurrences",
        headers=editor,
        json={
            "rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=30",
            "template": "weekly_reminder",
            "channels": ["rss"],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    plan(client, editor, camp.id, default_playbook(db).id)
    rows = reminders(db, camp.id)
    first, last = date(2025, 6, 23) + shift, date(2025, 8, 31) + shift
    firsts = [
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).day == 1
    ]
    assert len(firsts) >= 2
    assert [r.scheduled_at.astimezone(LOCAL).isoformat() for r in rows] == [
        f"{day}T09:30:00+07:00" for day in firsts
    ]
    assert {r.slot for r in rows} == {None}


def test_bad_reminders_are_refused_field_by_field(client, db, make_user):
    seed_2025(db)
    camp = campaign(db, SUMMER)
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    url = f"/api/v1/campaigns/{camp.id}/recurrences"
    base = {
        "rrule": "FREQ=WEEKLY;BYDAY=SA",
        "template": "weekly_reminder",
        "channels": ["loudspeaker"],
        "slot": "morning",
    }
    cases = [
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=1"}, "rrule"),  # never during the summer
        ({"template": "announcement"}, "template"),  # needs a drive
        ({"template": "khong_co"}, "template"),
        ({"channels": ["fanpage"]}, "slot"),
        ({"slot": None, "at": None}, "at"),
    ]
    for change, field in cases:
        data = {k: v for k, v in {**base, **change}.items() if v is not None}
        answer = client.post(url, headers=editor, json=data)
        assert answer.status_code == 422, (change, answer.get_json())
        assert field in answer.get_json()["errors"], (change, answer.get_json())
    assert client.post(url, headers=operator, json=base).status_code == 403
    assert client.get(url, headers=editor).get_json()["items"] == []


def test_removing_a_reminder_cancels_what_it_had_scheduled(client, db, make_user):
    seed_2025(db)
    ahead(db)
    standard_channels(db)
    camp = campaign(db, SUMMER)
    _, editor = make_user("editor")
    url = f"/api/v1/campaigns/{camp.id}/recurrences"
    client.post(
        url,
        headers=editor,
        json={
            "rrule": "FREQ=WEEKLY;BYDAY=SA",
            "template": "weekly_reminder",
            "channels": ["rss"],
            "at": "07:00",
        },
    )
    plan(client, editor, camp.id, default_playbook(db).id)
    assert {r.status for r in reminders(db, camp.id)} == {"scheduled"}
    assert client.delete(f"{url}/1", headers=editor).status_code == 204
    assert client.delete(f"{url}/1", headers=editor).status_code == 404
    assert client.delete(f"{url}/abc", headers=editor).status_code == 404
    assert {r.status for r in reminders(db, camp.id)} == {"cancelled"}
    assert client.get(url, headers=editor).get_json()["items"] == []
