"""Playbooks through the API: YAML or fields, the pure layer's per-field errors, edits."""

from __future__ import annotations

from tests.integration.planning_support import (
    default_playbook,
    future_campaign,
    plan,
    seed_2025,
    standard_channels,
)

SHORT = """\
slug: ngan-gon
name: Ngắn gọn
steps:
  - key: announcement
    offset_days: -3
    at: "08:30"
    channels: [rss]
    template: announcement
"""


def test_create_from_yaml_then_plan_with_it(client, db, make_user):
    seed_2025(db)
    standard_channels(db)
    camp, drive = future_campaign(db)
    _, editor = make_user("editor")
    created = client.post("/api/v1/playbooks", headers=editor, json={"yaml": SHORT})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["slug"], body["name"]) == ("ngan-gon", "Ngắn gọn")
    assert body["steps"][0]["at"] == "08:30"
    assert "slug: ngan-gon" in body["yaml"]
    listed = client.get("/api/v1/playbooks", headers=editor).get_json()
    assert [p["slug"] for p in listed["items"]] == ["default", "ngan-gon"]

    answer = plan(client, editor, camp.id, body["id"]).get_json()
    assert [(i["step"], i["channel_kind"]) for i in answer["items"]] == [("announcement", "rss")]
    assert answer["items"][0]["plan_key"] == f"drive:{drive.id}:ngan-gon:announcement:2"

    duplicate = client.post("/api/v1/playbooks", headers=editor, json={"yaml": SHORT})
    assert duplicate.status_code == 409
    renamed = client.patch(
        f"/api/v1/playbooks/{body['id']}", headers=editor, json={"slug": "doi-ten"}
    )
    assert renamed.status_code == 422, "a playbook that planned keeps its slug"
    assert "slug" in renamed.get_json()["errors"]


def test_invalid_playbooks_are_refused_field_by_field(client, db, make_user):
    seed_2025(db)
    _, editor = make_user("editor")
    fields = {
        "slug": "Sai Ma",
        "name": "Thử",
        "steps": [
            {
                "key": "a",
                "offset_days": -1,
                "at": "25:00",
                "channels": ["fanpag"],
                "template": "announcment",
            },
            {
                "key": "a",
                "slot": "noon",
                "channels": ["loudspeaker"],
                "template": "thanks",
                "repeats": 0,
            },
        ],
    }
    answer = client.post("/api/v1/playbooks", headers=editor, json=fields)
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert {
        "slug",
        "steps[0].at",
        "steps[0].channels[0]",
        "steps[0].template",
        "steps[1].slot",
        "steps[1].repeats",
    } <= set(errors)
    assert "có phải “announcement”" in errors["steps[0].template"]
    assert "có phải “fanpage”" in errors["steps[0].channels[0]"]

    unquoted = client.post(
        "/api/v1/playbooks", headers=editor, json={"yaml": SHORT.replace('"08:30"', "17:30")}
    )
    assert unquoted.status_code == 422
    assert "ngoặc kép" in unquoted.get_json()["errors"]["steps[0].at"]
    broken = client.post("/api/v1/playbooks", headers=editor, json={"yaml": "steps: [\n"})
    assert broken.status_code == 422 and "yaml" in broken.get_json()["errors"]
    both = client.post("/api/v1/playbooks", headers=editor, json={"yaml": SHORT, "name": "x"})
    assert both.status_code == 422


def test_edit_a_playbook_with_fields(client, db, make_user):
    seed_2025(db)
    playbook = default_playbook(db)
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    answer = client.patch(
        f"/api/v1/playbooks/{playbook.id}", headers=editor, json={"name": "Mặc định (sửa)"}
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["name"] == "Mặc định (sửa)" and len(body["steps"]) == 7
    got = client.get(f"/api/v1/playbooks/{playbook.id}", headers=editor).get_json()
    assert got["name"] == "Mặc định (sửa)"
    assert client.get("/api/v1/playbooks/999999", headers=editor).status_code == 404
    assert (
        client.patch(
            f"/api/v1/playbooks/{playbook.id}", headers=operator, json={"name": "x"}
        ).status_code
        == 403
    )
