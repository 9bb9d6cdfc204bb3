"""Two units and the department, each with people and tokens, and rows made through the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from publisher.auth.services import create_token, create_user
from publisher.organisations.service import by_slug, seed_organisations

_n = count(1)
UNIT_A = "xa-03408"  # a commune organisation
UNIT_B = "bao-lai-chau"  # a press body
DEPARTMENT = "so-vhttdl-lai-chau"


@dataclass
class Unit:
    slug: str
    org_id: int
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> headers


def make_units(app, roles=("admin", "approver", "editor")) -> dict[str, Unit]:
    from publisher.db import db

    units = {}
    with app.app_context():
        seed_organisations(db.session)
        for slug in (DEPARTMENT, UNIT_A, UNIT_B):
            org = by_slug(db.session, slug)
            unit = Unit(slug, org.id)
            wanted = list(roles)
            if org.commune_code:
                wanted.append("operator")
            for role in wanted:
                user = create_user(
                    db.session,
                    f"{slug}-{role}-{next(_n)}",
                    role,
                    organisation=slug,
                    commune_code=org.commune_code if role == "operator" else None,
                )
                _t, raw = create_token(db.session, "t", user)
                unit.headers[role] = {"Authorization": f"Bearer {raw}"}
            units[slug] = unit
        db.session.commit()
    return units


def approved_item(client, unit: Unit, title: str = "Chủ nhật Đỏ: mời bà con hiến máu") -> int:
    created = client.post(
        "/api/v1/content",
        json={"kind": "article", "title": title, "body": "<p>Hiến máu cứu người.</p>"},
        headers=unit.headers["editor"],
    )
    assert created.status_code == 201, created.get_json()
    content_id = created.get_json()["id"]
    assert (
        client.post(
            f"/api/v1/content/{content_id}/submit", headers=unit.headers["editor"]
        ).status_code
        == 200
    )
    approved = client.post(
        f"/api/v1/content/{content_id}/approve", headers=unit.headers["approver"]
    )
    assert approved.status_code == 200, approved.get_json()
    return content_id


def rss_channel(client, unit: Unit) -> int:
    n = next(_n)
    created = client.post(
        "/api/v1/channels",
        json={
            "kind": "rss",
            "slug": f"rss-{unit.slug}-{n}",
            "name": f"Tin {unit.slug}",
            "settings": {"title": f"Tin {n}"},
        },
        headers=unit.headers["admin"],
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def campaign(client, unit: Unit) -> int:
    n = next(_n)
    created = client.post(
        "/api/v1/campaigns",
        json={
            "slug": f"cd-{unit.slug}-{n}",
            "name": "Chiến dịch của đơn vị",
            "starts_on": "2025-01-01",
            "ends_on": "2099-12-31",
        },
        headers=unit.headers["editor"],
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def soon(hours: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def schedule(client, headers, content_id: int, channel_id: int):
    return client.post(
        "/api/v1/publications",
        json={"content_id": content_id, "channel_id": channel_id, "scheduled_at": soon()},
        headers=headers,
    )
