"""The campaign calendar: an RFC 5545 feed read back with icalendar, and the UI's JSON."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from icalendar import Calendar
from sqlalchemy import update

from content_library.models import Drive
from tests.integration.planning_support import (
    campaign,
    default_playbook,
    drive_by_ref,
    iso,
    move_2025_plan_ahead,
    plan,
    released,
    seed_2025,
    standard_channels,
)

SLUG = "tet-le-hoi-xuan-hong"


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_ics_feed_is_valid_stable_and_cacheable(client, db, make_user):
    seed_2025(db)
    day = move_2025_plan_ahead(db)
    standard_channels(db, communes=["03408", "03595", "03390", "03405"])
    camp = campaign(db, SLUG)
    _, editor = make_user("editor")
    # Facts that reach published words: an approver's own edit applies at once.
    _, drive_approver = make_user("approver")
    created = plan(client, editor, camp.id, default_playbook(db).id).get_json()["created"]
    assert created == 4 * 6

    first = client.get(f"/calendar/{SLUG}.ics")
    assert first.status_code == 200
    assert first.mimetype == "text/calendar"
    second = client.get(f"/calendar/{SLUG}.ics")
    assert second.data == first.data, "the same schedule gives the same bytes"
    assert second.headers["ETag"] == first.headers["ETag"]
    cached = client.get(f"/calendar/{SLUG}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304 and cached.data == b""

    calendar = Calendar.from_ical(first.data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Tết và Lễ hội Xuân hồng"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    found = events(first.data)
    assert len(found) == 4 + created
    host = "publisher.test"
    first_drive = drive_by_ref(db, "HMTN-2025-01")
    event = found[f"drive-{first_drive.id}@{host}"]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert (start.date(), start.time()) == (day, time(7, 0))
    assert event.decoded("DTEND").time() == time(11, 30)
    assert f"DTSTART;TZID=Asia/Ho_Chi_Minh:{day:%Y%m%d}T070000" in first.data.decode()
    assert str(event["SUMMARY"]) == "Ngày hội hiến máu tình nguyện đợt 1 năm 2025"
    assert str(event["LOCATION"]) == "Hội trường UBND tỉnh Lai Châu, phường Tân Phong"
    # A place that already names its commune is not followed by it again.
    binh_lu = found[f"drive-{drive_by_ref(db, 'HMTN-2025-03').id}@{host}"]
    assert str(binh_lu["LOCATION"]) == "Hội trường UBND xã Bình Lư"
    assert "Địa điểm: Hội trường UBND xã Bình Lư." in str(binh_lu["DESCRIPTION"])
    assert str(event["STATUS"]) == "TENTATIVE"
    assert isinstance(event.decoded("DTSTAMP"), datetime)
    publications = [uid for uid in found if uid.startswith("publication-")]
    assert len(publications) == created and all(uid.endswith(f"@{host}") for uid in publications)

    # A move and a cancellation: same UIDs, new times, STATUS:CANCELLED, a later SEQUENCE.
    db.execute(
        update(Drive)
        .where(Drive.id == first_drive.id)
        .values(created_at=first_drive.created_at - timedelta(hours=1))
    )
    db.commit()
    moved = client.patch(
        f"/api/v1/drives/{first_drive.id}",
        headers=drive_approver,
        json={
            "starts_at": iso(first_drive.starts_at + timedelta(days=1)),
            "ends_at": iso(first_drive.ends_at + timedelta(days=1)),
            "status": "cancelled",
        },
    )
    assert moved.status_code == 200
    third = client.get(f"/calendar/{SLUG}.ics")
    assert third.headers["ETag"] != first.headers["ETag"]
    changed = events(third.data)
    event = changed[f"drive-{first_drive.id}@{host}"]
    assert event.decoded("DTSTART").date() == day + timedelta(days=1)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(found[f"drive-{first_drive.id}@{host}"]["SEQUENCE"])
    assert set(found) - set(changed) <= set(publications), "drive UIDs never change"


def test_unknown_campaign_calendar_is_404(client):
    assert client.get("/calendar/khong-co.ics").status_code == 404


def test_the_json_calendar_shows_local_times(client, db, make_user):
    seed_2025(db)
    day = move_2025_plan_ahead(db)
    shift = day - date(2024, 12, 20)
    month_start, month_end = day.replace(day=1), day.replace(day=1) + timedelta(days=40)
    month_end = month_end.replace(day=1) - timedelta(days=1)
    standard_channels(db)
    camp = campaign(db, SLUG)
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    plan(client, editor, camp.id, default_playbook(db).id)
    answer = client.get(
        f"/api/v1/campaigns/{camp.id}/calendar?from={month_start}&to={month_end}", headers=editor
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    assert body["drives"][0]["local_start"] == f"{day}T07:00:00+07:00"
    kinds = sorted((p["local_time"], p["channel_kind"]) for p in body["publications"])
    if day - timedelta(days=7) >= month_start:
        assert kinds[0] == (f"{day - timedelta(days=7)}T09:00:00+07:00", "fanpage")
    assert (f"{day}T06:00:00+07:00", "loudspeaker") in kinds
    assert all(
        month_start.isoformat() <= p["local_date"] <= month_end.isoformat()
        for p in body["publications"]
    )

    whole = client.get(f"/api/v1/campaigns/{camp.id}/calendar", headers=editor).get_json()
    assert len(whole["drives"]) == 4
    assert (whole["from"], whole["to"]) == (
        str(date(2024, 12, 20) + shift),
        str(date(2025, 2, 28) + shift),
    )
    wrong = client.get(
        f"/api/v1/campaigns/{camp.id}/calendar?from=2025-02-01&to=2025-01-01", headers=editor
    )
    assert wrong.status_code == 422
    assert client.get(f"/api/v1/campaigns/{camp.id}/calendar", headers=operator).status_code == 403
    released(db)
