"""Units with admins (and everyone else) for the donor register, and a few donors."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Any

from tests.integration.orgs_support import DEPARTMENT, UNIT_A, UNIT_B, Unit, make_units

# A name no message, log line or refusal may ever carry.
SECRET_NAME = "Lò Thị Mai Hiến"
OTHER_NAME = "Vàng A Dính"


def units(app: Any) -> dict[str, Unit]:
    return make_units(app)


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def add_donor(client: Any, headers: dict[str, str], name: str = SECRET_NAME, **extra: Any) -> int:
    body = {
        "full_name": name,
        "position": "Chuyên viên",
        "donations": [{"date": days_ago(400)}, {"date": days_ago(30), "place": "Nhà văn hoá"}],
        **extra,
    }
    response = client.post("/api/v1/donors", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def read_only_headers(app: Any, slug: str, role: str) -> dict[str, str]:
    from publisher.auth.services import create_token, create_user
    from publisher.db import db

    n = next(_ro)
    with app.app_context():
        commune = "03408" if role == "operator" else None
        user = create_user(
            db.session, f"ro-{slug}-{role}-{n}", role, organisation=slug, commune_code=commune
        )
        _t, raw = create_token(db.session, "ro", user, read_only=True)
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


_ro = count(1)

__all__ = ["DEPARTMENT", "UNIT_A", "UNIT_B", "Unit"]
