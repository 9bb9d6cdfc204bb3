"""Planning never publishes late, never into quiet hours, and never twice: through the API."""

from __future__ import annotations

from datetime import timedelta

import html5lib
from sqlalchemy import select

from channels.registry import adapter_class
from content_library.db import utcnow
from content_library.models import Drive
from publisher.delivery.models import Publication
from publisher.planning.rules import in_quiet_hours
from tests.integration.planning_support import (
    LOCAL,
    future_campaign,
    iso,
    local,
    plan,
    released,
    seed_2025,
    standard_channels,
)
from tests.integration.ui_support import Person, make_person

FANPAGE_QUIET_HOURS = adapter_class("fanpage").default_quiet_hours


def playbook(client, headers, slug: str, *steps: dict) -> int:
    answer = client.post(
        "/api/v1/playbooks",
        json={"slug": slug, "name": f"Kịch bản {slug}", "steps": list(steps)},
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def step(key: str, offset: int, at: str, *kinds: str, **extra) -> dict:
    return {
        "key": key,
        "offset_days": offset,
        "at": at,
        "channels": list(kinds),
        "template": "announcement",
        **extra,
    }


def rows(db, **where) -> list[Publication]:
    db.expire_all()
    stmt = select(Publication).order_by(Publication.scheduled_at, Publication.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Publication, name) == value)
    found = list(db.scalars(stmt))
    released(db)
    return found


def by_step(body: dict) -> dict[str, dict]:
    return {item["step"]: item for item in body["items"]}


def test_steps_whose_time_has_passed_are_skipped_with_the_reason(client, db, make_user):
    seed_2025(db)
    channels = standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=2)
    _, editor = make_user("editor")
    pid = playbook(
        client,
        editor,
        "tre-gio",
        step("week_before", -7, "09:00", "rss"),
        step("two_days_before", -2, "00:01", "rss"),
        step("day_before", -1, "09:00", "rss"),
    )
    now = utcnow()

    preview = plan(client, editor, camp.id, pid, dry_run=True)
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    steps = by_step(body)
    assert set(steps) == {"week_before", "two_days_before", "day_before"}
    for key in ("week_before", "two_days_before"):
        assert steps[key]["action"] == "skipped"
        assert steps[key]["skip_reason"] == "past"
        assert "đã qua" in steps[key]["skip_message"]
        assert steps[key]["scheduled_at"] < iso(now)
    assert steps["day_before"]["action"] == "create"
    assert steps["day_before"]["skip_reason"] is None
    assert body["skipped"] == 2
    resolutions = {c["key"].split(":")[3]: c["resolution"] for c in body["conflicts"]}
    assert resolutions == {"week_before": "skipped", "two_days_before": "skipped"}

    applied = plan(client, editor, camp.id, pid, dry_run=False)
    assert applied.status_code == 201
    after = applied.get_json()
    assert after["created"] == 1 and after["skipped"] == 2
    assert {k: v["action"] for k, v in by_step(after).items()} == {
        "week_before": "skipped",
        "two_days_before": "skipped",
        "day_before": "created",
    }
    created = rows(db, channel_id=channels["rss"].id, drive_id=drive.id)
    assert [p.plan_key.split(":")[3] for p in created] == ["day_before"]
    assert all(p.scheduled_at > now for p in created), "nothing planned is late"

    # Asked to, planning sends a missed step now rather than dropping it; the two missed
    # steps carry the same words, so the second would be the same post at the same minute.
    late = plan(client, editor, camp.id, pid, dry_run=False, accept_suggestions=True).get_json()
    moved = [i for i in late["items"] if i["action"] == "created"]
    assert len(moved) == 1
    assert moved[0]["moved_from"] < iso(now) < moved[0]["scheduled_at"]
    assert [i["skip_reason"] for i in late["items"] if i["action"] == "skipped"] == ["duplicate"]
    assert all(p.scheduled_at > now for p in rows(db, drive_id=drive.id))


def test_the_plan_page_shows_skipped_steps(app, client, db, make_user):
    seed_2025(db)
    rss_id = standard_channels(db)["rss"].id
    camp, _drive = future_campaign(db, days_ahead=2)
    _, editor = make_user("editor")
    pid = playbook(client, editor, "tre-gio-ui", step("week_before", -7, "09:00", "rss"))
    make_person(app, "bien-tap-ke-hoach", "editor")
    person = Person(app.test_client())
    assert person.login("bien-tap-ke-hoach").status_code in (302, 303)
    page = person.get(f"/campaigns/{camp.id}/plan?playbook_id={pid}&scope=all")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bỏ qua" in html and 'data-skip-reason="past"' in html
    assert "đã qua" in html
    assert "1 bước bỏ qua" in html
    # Sending late is a choice the editor makes, never the default.
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    (accept,) = [i for i in tree.iter("input") if i.get("name") == "accept_suggestions"]
    assert accept.get("checked") is None

    applied = person.post(f"/campaigns/{camp.id}/plan", {"playbook_id": str(pid), "scope": "all"})
    assert applied.status_code in (302, 303)
    after = person.get(applied.headers["Location"]).get_data(as_text=True)
    assert "bỏ qua 1 bước" in after
    assert rows(db, plan_key=f"drive:{_drive.id}:tre-gio-ui:week_before:{rss_id}") == []


def test_quiet_hours_move_the_step_in_the_preview_and_the_apply(client, db, make_user):
    seed_2025(db)
    channels = standard_channels(db)  # the Page keeps its kind's quiet hours, 22:00–06:00
    camp, drive = future_campaign(db, days_ahead=3)
    _, editor = make_user("editor")
    pid = playbook(
        client,
        editor,
        "dem-muon",
        step("late_night", -1, "23:30", "fanpage"),
        step("alarm", -2, "23:30", "fanpage", priority="emergency"),
    )
    day = drive.starts_at.astimezone(LOCAL).date()
    night = local(day - timedelta(days=1), 23, 30)
    morning = local(day, 6)

    preview = plan(client, editor, camp.id, pid, dry_run=True).get_json()
    steps = by_step(preview)
    assert steps["late_night"]["action"] == "create"
    assert steps["late_night"]["scheduled_at"] == iso(morning)
    assert steps["late_night"]["moved_from"] == iso(night)
    (conflict,) = preview["conflicts"]
    assert conflict["kind"] == "quiet_hours" and conflict["resolution"] == "moved"
    assert "giờ yên lặng" in conflict["message"]
    assert steps["alarm"]["scheduled_at"] == iso(local(day - timedelta(days=2), 23, 30))
    assert steps["alarm"]["moved_from"] is None, "emergencies are exempt from quiet hours"

    applied = plan(client, editor, camp.id, pid).get_json()
    assert applied["created"] == 2
    assert by_step(applied)["late_night"]["scheduled_at"] == iso(morning)
    page_rows = rows(db, channel_id=channels["fanpage"].id)
    assert len(page_rows) == 2, "one publication per step, no duplicate"
    normal = [p for p in page_rows if p.priority != "emergency"]
    assert [p.scheduled_at for p in normal] == [morning]
    assert not any(in_quiet_hours(p.scheduled_at, FANPAGE_QUIET_HOURS) for p in normal)

    again = plan(client, editor, camp.id, pid).get_json()
    assert again["created"] == 0 and again["skipped_existing"] == 2
    assert len(rows(db, channel_id=channels["fanpage"].id)) == 2


def test_a_quiet_hours_step_with_no_time_before_its_deadline_is_skipped(client, db, make_user):
    seed_2025(db)
    channels = standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=3)
    # A drive over before the Page's quiet hours end: no later time is worth anything.
    day = drive.starts_at.astimezone(LOCAL).date()
    row = db.get(Drive, drive.id)
    row.starts_at, row.ends_at = local(day, 4), local(day, 5, 30)
    db.commit()
    _, editor = make_user("editor")
    pid = playbook(client, editor, "qua-khuya", step("too_late", 0, "04:30", "fanpage"))

    preview = plan(client, editor, camp.id, pid, dry_run=True).get_json()
    (item,) = preview["items"]
    assert (item["action"], item["skip_reason"]) == ("skipped", "quiet_hours")
    assert "giờ yên lặng" in item["skip_message"]
    applied = plan(client, editor, camp.id, pid).get_json()
    assert applied["created"] == 0 and applied["items"][0]["skip_reason"] == "quiet_hours"
    assert rows(db, channel_id=channels["fanpage"].id) == []


def test_two_playbooks_do_not_post_the_same_words_twice(client, db, make_user):
    seed_2025(db)
    channels = standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=5)
    _, editor = make_user("editor")
    first = playbook(client, editor, "ban-dau", step("evening", -1, "20:00", "fanpage"))
    # A copy under a new slug (or a renamed step) gets new plan keys: same post, same time.
    copy = playbook(
        client,
        editor,
        "ban-sao",
        step("evening_again", -1, "20:00", "fanpage"),
        step("evening_twice", -1, "20:00", "fanpage"),
    )
    assert plan(client, editor, camp.id, first).get_json()["created"] == 1

    preview = plan(client, editor, camp.id, copy, dry_run=True).get_json()
    assert {i["skip_reason"] for i in preview["items"]} == {"duplicate"}
    assert all("cùng thời điểm" in i["skip_message"] for i in preview["items"])
    applied = plan(client, editor, camp.id, copy).get_json()
    assert applied["created"] == 0 and applied["skipped"] == 2
    assert len(rows(db, channel_id=channels["fanpage"].id, drive_id=drive.id)) == 1

    # The same step twice within one new playbook also yields one publication.
    other_camp, other_drive = future_campaign(db, days_ahead=9)
    applied = plan(client, editor, other_camp.id, copy).get_json()
    assert applied["created"] == 1
    assert [i["skip_reason"] for i in applied["items"] if i["action"] == "skipped"] == ["duplicate"]
    assert len(rows(db, channel_id=channels["fanpage"].id, drive_id=other_drive.id)) == 1


def test_a_step_moved_out_of_quiet_hours_does_not_double_the_next_morning(client, db, make_user):
    seed_2025(db)
    channels = standard_channels(db)
    camp, drive = future_campaign(db, days_ahead=4)
    _, editor = make_user("editor")
    pid = playbook(
        client,
        editor,
        "dem-va-sang",
        step("night", -1, "23:30", "fanpage"),
        step("morning", 0, "06:00", "fanpage"),
    )
    morning = local(drive.starts_at.astimezone(LOCAL).date(), 6)
    preview = plan(client, editor, camp.id, pid, dry_run=True).get_json()
    steps = by_step(preview)
    assert steps["morning"]["action"] == "create"
    assert steps["morning"]["scheduled_at"] == iso(morning)
    assert (steps["night"]["action"], steps["night"]["skip_reason"]) == ("skipped", "duplicate")
    applied = plan(client, editor, camp.id, pid).get_json()
    assert applied["created"] == 1
    assert [p.scheduled_at for p in rows(db, channel_id=channels["fanpage"].id)] == [morning]
