"""The Red Cross keeps the drives (its edits to published words still wait for an approver);
the UI applies the same visibility rule as the API."""

from __future__ import annotations

from publisher.db import db as database
from tests.integration.orgs_support import UNIT_A, UNIT_B, approved_item, make_units, rss_channel
from tests.integration.test_drive_changes import NEW_PLACE, OLD_PLACE, planned
from tests.integration.ui_support import PASSWORD, Person

RED_CROSS = "hoi-chu-thap-do-lai-chau"


def _person(app, username, role, org):
    from publisher.auth.services import create_token, create_user

    with app.app_context():
        user = create_user(database.session, username, role, password=PASSWORD, organisation=org)
        _t, raw = create_token(database.session, "t", user)
        database.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_the_red_cross_keeps_drives_and_its_edits_of_published_words_wait(
    app, client, db, make_user
):
    from publisher.organisations.service import seed_organisations

    seed_organisations(db)
    db.commit()
    red_cross_editor = _person(app, "ctd-bien-tap", "editor", RED_CROSS)
    red_cross_approver = _person(app, "ctd-duyet", "approver", RED_CROSS)
    commune_editor = _person(app, "xa-bien-tap", "editor", "xa-03408")
    commune_approver = _person(app, "xa-duyet", "approver", "xa-03408")
    drive_id, _editor_id, _editor = planned(client, db, make_user)

    # Every unit reads the drives; only the department and the Red Cross change them.
    assert client.get(f"/api/v1/drives/{drive_id}", headers=commune_editor).status_code == 200
    refused = client.patch(
        f"/api/v1/drives/{drive_id}", json={"location": NEW_PLACE}, headers=commune_editor
    )
    assert refused.status_code == 403 and "Hội Chữ thập đỏ" in refused.get_json()["detail"]
    made = client.post(
        "/api/v1/drives",
        json={
            "name": "Hiến máu tại xã",
            "starts_at": "2030-01-05T07:00:00+07:00",
            "ends_at": "2030-01-05T11:00:00+07:00",
            "location": "Nhà văn hoá",
            "commune_code": "03408",
        },
        headers=commune_editor,
    )
    assert made.status_code == 403

    # The Red Cross's editor changes the place of a planned drive: held for an approver.
    patched = client.patch(
        f"/api/v1/drives/{drive_id}", json={"location": NEW_PLACE}, headers=red_cross_editor
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["location"] == OLD_PLACE
    assert patched.get_json()["pending_change"]["fields"] == {"location": NEW_PLACE}
    assert (
        client.post(
            f"/api/v1/drives/{drive_id}/approve-change",
            headers=commune_approver,
        ).status_code
        == 403
    )
    approved = client.post(f"/api/v1/drives/{drive_id}/approve-change", headers=red_cross_approver)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["location"] == NEW_PLACE
    created = client.post(
        "/api/v1/drives",
        json={
            "name": "Hiến máu Chữ thập đỏ",
            "starts_at": "2030-01-05T07:00:00+07:00",
            "ends_at": "2030-01-05T11:00:00+07:00",
            "location": "Hội trường",
            "commune_code": "03408",
        },
        headers=red_cross_editor,
    )
    assert created.status_code == 201, created.get_json()


def test_the_ui_shows_a_unit_only_its_own_rows(app, client):
    units = make_units(app)
    theirs = approved_item(client, units[UNIT_A], title="Tin riêng của xã Bản Bo")
    their_channel = rss_channel(client, units[UNIT_A])
    mine = approved_item(client, units[UNIT_B], title="Tin riêng của Báo")
    _person(app, "bao-ui", "editor", UNIT_B)
    person = Person(app.test_client())
    assert person.login("bao-ui").status_code == 302
    assert person.get(f"/content/{theirs}").status_code == 404
    assert person.get(f"/channels/{their_channel}").status_code == 404
    assert person.get(f"/content/{mine}").status_code == 200
    listing = person.get("/content").get_data(as_text=True)
    assert "Tin riêng của Báo" in listing and "Tin riêng của xã Bản Bo" not in listing
    form = person.get("/publications/new").get_data(as_text=True)
    assert "Tin riêng của xã Bản Bo" not in form
    # Scheduling another unit's content by a forged form: 404, nothing scheduled.
    own_channel = rss_channel(client, units[UNIT_B])
    forged = person.post(
        "/publications",
        {"content_id": theirs, "channel_id": own_channel, "scheduled_at": "2030-01-01T08:00"},
    )
    assert forged.status_code == 404


def test_a_units_admin_manages_only_its_own_people_and_tokens(app, client):
    from sqlalchemy import select

    from publisher.auth.models import User

    units = make_units(app)
    _person(app, "bao-quan-tri", "admin", UNIT_B)
    admin = Person(app.test_client())
    assert admin.login("bao-quan-tri").status_code == 302
    with app.app_context():
        theirs = database.session.scalar(
            select(User.id).where(User.organisation_id == units[UNIT_A].org_id)
        )
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "bao-quan-tri" in page and f"{UNIT_A}-" not in page
    assert admin.post(f"/admin/users/{theirs}/active", {"active": "0"}).status_code == 404
    made = admin.post(
        "/admin/users",
        {
            "username": "bao-moi",
            "role": "admin",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "display_name": "Mới",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)[:300]
    with app.app_context():
        new = database.session.scalar(select(User).where(User.username == "bao-moi"))
        assert new.organisation_id == units[UNIT_B].org_id  # not the department
    tokens = admin.get("/admin/tokens").get_data(as_text=True)
    assert f"{UNIT_A}-" not in tokens
