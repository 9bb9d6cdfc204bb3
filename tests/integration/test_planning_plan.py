"""Planning the 2025 plan through the API: preview, apply, re-plan, refusals, conflicts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from content_library.models import Commune, ContentItem, Drive
from publisher.delivery.models import Publication
from publisher.delivery.publications import release_time
from tests.integration.planning_support import (
    LOCAL,
    campaign,
    default_playbook,
    drive_by_ref,
    fresh,
    future_campaign,
    iso,
    local,
    move_2025_plan_ahead,
    plan,
    released,
    seed_2025,
    standard_channels,
)

PER_DRIVE = 6  # announcement ×2 (Page, portal), loudspeaker ×2, poster, drive-day reading


def count(db, *where) -> int:
    db.expire_all()
    value = db.scalar(select(func.count()).select_from(Publication).where(*where))
    released(db)
    return value


def template_item(db, key: str) -> ContentItem:
    item = db.scalar(select(ContentItem).where(ContentItem.source_guid == f"template:{key}"))
    released(db)
    return item


def test_the_2025_plan_previews_applies_and_replans_idempotently(client, db, make_user):
    seed_2025(db)
    first_day = move_2025_plan_ahead(db)
    standard_channels(db, communes=list(db.scalars(select(Commune.code))))
    released(db)
    _, headers = make_user("editor")
    playbook = default_playbook(db)
    campaigns = [
        c["id"]
        for c in client.get("/api/v1/campaigns?per_page=50", headers=headers).get_json()["items"]
    ]
    assert len(campaigns) == 5

    previewed = 0
    for campaign_id in campaigns:
        answer = plan(client, headers, campaign_id, playbook.id, dry_run=True)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["dry_run"] is True and body["created"] == 0
        assert {i["action"] for i in body["items"]} == {"create"}
        assert {i["publication_id"] for i in body["items"]} == {None}
        previewed += len(body["items"])
    assert previewed == 18 * PER_DRIVE
    assert count(db) == 0, "a dry run writes nothing"

    created, thanks_waiting = 0, 0
    for campaign_id in campaigns:
        answer = plan(client, headers, campaign_id, playbook.id, dry_run=False)
        assert answer.status_code == 201, answer.get_json()
        body = answer.get_json()
        created += body["created"]
        assert all(i["action"] == "created" and i["status"] == "scheduled" for i in body["items"])
        thanks_waiting += sum(1 for n in body["notes"] if n["kind"] == "awaiting_results")
    assert created == count(db) == 18 * PER_DRIVE
    assert thanks_waiting == 18, "the thanks step waits for each drive's results"

    for campaign_id in campaigns:
        again = plan(client, headers, campaign_id, playbook.id).get_json()
        assert again["created"] == 0
        assert again["skipped_existing"] == len(again["items"]) > 0
        assert {i["action"] for i in again["items"]} == {"exists"}
        assert again["conflicts"] == []
    assert count(db) == 18 * PER_DRIVE

    # The first drive (20/12/2024, Tân Phong): words rendered now, times from the playbook.
    first = drive_by_ref(db, "HMTN-2025-01")
    pubs = db.scalars(select(Publication).where(Publication.drive_id == first.id)).all()
    by_step = {p.plan_key.split(":")[3]: p for p in pubs}
    announcement = by_step["announcement"]
    assert first.starts_at.astimezone(LOCAL).date() == first_day
    assert announcement.scheduled_at == local(first_day - timedelta(days=7), 9)
    assert announcement.expires_at == first.ends_at
    assert first_day.weekday() == 4, "the plan moves by whole weeks: still a Friday"
    assert announcement.render_context["title"] == (
        "Mời tham gia Ngày hội hiến máu tình nguyện đợt 1 năm 2025 vào thứ Sáu, "
        f"ngày {first_day:%d/%m/%Y}"
    )
    assert (
        "Hội trường UBND tỉnh Lai Châu, phường Tân Phong"
        in (announcement.render_context["body_html"])
    )
    assert announcement.render_context["body_html"].startswith("<p>")
    assert "{drive" not in announcement.render_context["body_html"]
    assert announcement.version_id == template_item(db, "announcement").approved_version_id
    drive_day = by_step["drive_day"]
    assert (drive_day.slot, drive_day.repeats, drive_day.priority) == ("morning", 3, "priority")
    assert drive_day.scheduled_at == local(first.starts_at.astimezone(LOCAL).date(), 6)
    assert drive_day.next_attempt_at == release_time(drive_day.scheduled_at, 18)
    poster = by_step["poster"]
    assert poster.version.asset_id is not None, "the poster template carries its image"


def test_results_let_re_planning_create_the_thanks(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, drive = future_campaign(db)
    _, headers = make_user("editor")
    # Facts that reach published words: an approver's own edit applies at once.
    _, drive_approver = make_user("approver")
    playbook = default_playbook(db)
    assert plan(client, headers, camp.id, playbook.id).get_json()["created"] == PER_DRIVE

    patched = client.patch(
        f"/api/v1/drives/{drive.id}", json={"result_units": 362}, headers=drive_approver
    )
    assert patched.status_code == 200
    body = plan(client, headers, camp.id, playbook.id).get_json()
    thanks = [i for i in body["items"] if i["action"] == "created"]
    assert {(i["step"], i["channel_kind"]) for i in thanks} == {
        ("thanks", "fanpage"),
        ("thanks", "rss"),
    }
    assert body["notes"] == []
    row = fresh(db, Publication, thanks[0]["publication_id"])
    assert "đã tiếp nhận 362 đơn vị máu" in row.render_context["body_html"]
    assert row.expires_at > row.scheduled_at


def test_only_planners_may_plan(client, db, make_user):
    seed_2025(db)
    camp = campaign(db, "chu-nhat-do")
    playbook = default_playbook(db)
    _, operator = make_user("operator")
    answer = plan(client, operator, camp.id, playbook.id, dry_run=True)
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"
    _, approver = make_user("approver")
    assert plan(client, approver, camp.id, playbook.id, dry_run=True).status_code == 200


def test_a_misspelt_placeholder_in_an_edited_template_fails_at_planning(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, _drive = future_campaign(db)
    playbook = default_playbook(db)
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    item = template_item(db, "announcement")

    edited = client.patch(
        f"/api/v1/content/{item.id}",
        headers=editor,
        json={"title": "Mời tham gia {drive.nmae} vào {drive.date}"},
    )
    assert edited.status_code == 200, edited.get_json()
    # A draft changes nothing yet: planning uses the approved wording.
    assert plan(client, editor, camp.id, playbook.id, dry_run=True).status_code == 200
    assert client.post(f"/api/v1/content/{item.id}/submit", headers=editor).status_code == 200
    assert client.post(f"/api/v1/content/{item.id}/approve", headers=approver).status_code == 200

    answer = plan(client, editor, camp.id, playbook.id)
    assert answer.status_code == 422
    problem = answer.get_json()
    assert "{drive.nmae}: có phải {drive.name}?" in problem["errors"]["templates.announcement"]
    assert "cannot plan" in problem["detail"]
    assert count(db) == 0, "a refused plan creates nothing"


def test_a_template_without_approved_version_refuses_planning(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, _drive = future_campaign(db)
    item = db.merge(template_item(db, "poster_caption"))
    item.approved_version_id = None
    item.status = "draft"
    db.commit()
    _, editor = make_user("editor")
    answer = plan(client, editor, camp.id, default_playbook(db).id, dry_run=True)
    assert answer.status_code == 422
    message = answer.get_json()["errors"]["templates.poster_caption"]
    assert "chưa có bản được phê duyệt" in message and "no approved version" in message


def test_quiet_hours_and_daily_caps_are_reported_at_planning(client, db, make_user):
    seed_2025(db)
    standard_channels(db, fanpage={"quiet_hours": ["07:00", "10:00"]}, rss={"daily_cap": 1})
    camp, drive = future_campaign(db)
    twin = Drive(
        campaign_id=camp.id,
        name="Đợt hiến máu thứ hai",
        starts_at=drive.starts_at,
        ends_at=drive.ends_at,
        location="Trường THPT",
        commune_code=drive.commune_code,
        target_units=80,
    )
    db.add(twin)
    db.commit()
    _, editor = make_user("editor")
    playbook = default_playbook(db)
    day = drive.starts_at.astimezone(LOCAL).date()

    preview = plan(client, editor, camp.id, playbook.id, dry_run=True).get_json()
    kinds = {}
    for conflict in preview["conflicts"]:
        kinds.setdefault(conflict["kind"], []).append(conflict)
    quiet = {c["key"].split(":")[3] for c in kinds["quiet_hours"]}
    assert quiet == {"announcement", "poster"}
    assert all("giờ yên lặng" in c["message"] for c in kinds["quiet_hours"])
    announcement_quiet = next(
        c for c in kinds["quiet_hours"] if c["key"] == f"drive:{drive.id}:default:announcement:1"
    )
    assert announcement_quiet["suggestion"] == iso(local(day - timedelta(days=7), 10))
    (cap,) = kinds["daily_cap"]
    assert cap["key"].startswith(f"drive:{twin.id}:default:announcement:")
    assert "giới hạn 1 mục mỗi ngày" in cap["message"]
    assert cap["suggestion"] is not None

    applied = plan(client, editor, camp.id, playbook.id, accept_suggestions=True).get_json()
    assert applied["created"] == 2 * PER_DRIVE
    db.expire_all()
    moved = db.scalar(
        select(Publication).where(
            Publication.plan_key == f"drive:{drive.id}:default:announcement:1"
        )
    )
    released(db)
    assert moved.scheduled_at == local(day - timedelta(days=7), 10)


def test_planning_some_drives_only(client, db, make_user):
    seed_2025(db)
    move_2025_plan_ahead(db)
    standard_channels(db)
    camp = campaign(db, "tet-le-hoi-xuan-hong")
    other = drive_by_ref(db, "HMTN-2025-18")
    first = drive_by_ref(db, "HMTN-2025-01")
    _, editor = make_user("editor")
    playbook = default_playbook(db)
    refused = plan(client, editor, camp.id, playbook.id, drive_ids=[first.id, other.id])
    assert refused.status_code == 422
    assert str(other.id) in refused.get_json()["errors"]["drive_ids"]
    body = plan(client, editor, camp.id, playbook.id, drive_ids=[first.id]).get_json()
    assert {i["drive_id"] for i in body["items"]} == {first.id}
    assert body["created"] == PER_DRIVE
    missing = plan(client, editor, camp.id, 999999)
    assert missing.status_code == 422 and "playbook_id" in missing.get_json()["errors"]
