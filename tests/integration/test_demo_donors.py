"""The demo shows honouring donors: a consent with its approved profile, a donor register
with repeat donors, each row in the audit log, and the register hidden from editors."""

from __future__ import annotations

from sqlalchemy import func, select

from publisher.audit.models import AuditEvent
from publisher.auth.models import User
from publisher.auth.services import create_token
from publisher.consents.models import Consent
from publisher.donors.models import Donor


def _headers(db, username: str) -> dict[str, str]:
    user = db.scalar(select(User).where(User.username == username))
    _t, raw = create_token(db, f"demo-{username}", user)
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_demo_seeds_a_profile_with_consent_and_a_register(app, db, client):
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    consent = db.scalar(select(Consent))
    assert consent is not None and consent.withdrawn_at is None
    assert set(consent.scope) == {"rss", "fanpage", "loudspeaker"}
    admin = _headers(db, "quantri")

    profiles = client.get("/api/v1/content?kind=profile", headers=admin).get_json()["items"]
    assert [p["status"] for p in profiles] == ["approved"]
    profile = client.get(f"/api/v1/content/{profiles[0]['id']}", headers=admin).get_json()
    assert profile["person"]["consent_id"] == consent.id

    repeat = client.get("/api/v1/donors?min_donations=3", headers=admin).get_json()["items"]
    assert [(d["full_name"], d["donations_in_period"]) for d in repeat] == [
        ("Nguyễn Thị Hoa", 5),
        ("Vàng A Dế", 3),
    ]
    # Every demo row is in the audit log, made by the system actor.
    made = db.scalars(select(AuditEvent).where(AuditEvent.action == "create")).all()
    assert {(e.entity, e.actor_username) for e in made} == {
        ("consent", "(hệ thống)"),
        ("donor", "(hệ thống)"),
    }
    assert len(made) == 1 + db.scalar(select(func.count()).select_from(Donor))
    # The department's editor does not read the register.
    editor = _headers(db, "bientap")
    assert client.get("/api/v1/donors", headers=editor).status_code == 404
