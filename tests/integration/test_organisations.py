"""Organisations: the seed, the CLI's --org, the API, and the migration of existing rows."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from publisher.db import normalise_url
from publisher.migrate import alembic_config
from tests.integration.orgs_support import DEPARTMENT, make_units

COMMUNES = Path(__file__).resolve().parents[2] / "config" / "communes.csv"


def test_seed_makes_the_department_the_press_the_red_cross_and_every_commune(app, db):
    from publisher.organisations.models import Organisation
    from publisher.organisations.service import seed_organisations

    seed_organisations(db)
    again = seed_organisations(db)  # idempotent
    rows = db.scalars(select(Organisation)).all()
    assert again == len(rows)
    kinds = [o.kind for o in rows]
    assert kinds.count("department") == 1
    assert kinds.count("press") == 2 and kinds.count("portal") == 1
    assert kinds.count("red_cross") == 1
    with open(COMMUNES, encoding="utf-8") as fh:
        codes = {row["code"] for row in csv.DictReader(fh)}
    assert len(codes) == 38
    assert {o.commune_code for o in rows if o.kind == "commune"} == codes
    department = next(o for o in rows if o.kind == "department")
    assert all(o.parent_id == department.id for o in rows if o is not department)
    assert "Hội Chữ thập đỏ" in next(o.name for o in rows if o.kind == "red_cross")


def test_cli_creates_users_and_tokens_in_an_organisation(app):
    from publisher.auth.models import ApiToken, User
    from publisher.db import db
    from publisher.organisations.service import by_slug, seed_organisations

    with app.app_context():
        seed_organisations(db.session)
        db.session.commit()
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=[
            "users",
            "create",
            "bien-tap-bao",
            "--role",
            "editor",
            "--org",
            "bao-lai-chau",
            "--password-stdin",
        ],
        input="mat-khau-du-dai\n",
    )
    assert made.exit_code == 0, made.output
    default = runner.invoke(
        args=["users", "create", "bien-tap-so", "--role", "editor", "--password-stdin"],
        input="mat-khau-du-dai\n",
    )
    assert default.exit_code == 0, default.output
    token = runner.invoke(
        args=[
            "tokens",
            "create",
            "doi-tac-ctd",
            "--role",
            "editor",
            "--org",
            "hoi-chu-thap-do-lai-chau",
        ]
    )
    assert token.exit_code == 0, token.output
    unknown = runner.invoke(
        args=["tokens", "create", "ai-do", "--role", "editor", "--org", "khong-co"]
    )
    assert unknown.exit_code != 0 and "unknown organisation" in unknown.output
    with app.app_context():

        def org_of(name):
            return db.session.scalar(select(User).where(User.username == name)).organisation_id

        assert org_of("bien-tap-bao") == by_slug(db.session, "bao-lai-chau").id
        assert org_of("bien-tap-so") == by_slug(db.session, DEPARTMENT).id
        red_cross = by_slug(db.session, "hoi-chu-thap-do-lai-chau").id
        assert org_of("doi-tac-ctd") == red_cross
        tok = db.session.scalar(select(ApiToken).join(User).where(User.username == "doi-tac-ctd"))
        assert tok.organisation_id == red_cross


def test_an_operator_belongs_to_the_commune_organisation(app, db):
    from publisher.auth.services import create_user
    from publisher.organisations.service import by_slug, seed_organisations

    seed_organisations(db)
    operator = create_user(db, "dai-xa", "operator", commune_code="03408")
    assert operator.organisation_id == by_slug(db, "xa-03408").id


def test_organisations_api(client, app):
    units = make_units(app)
    dept = units[DEPARTMENT]
    listed = client.get("/api/v1/organisations?per_page=200", headers=dept.headers["editor"])
    assert listed.status_code == 200
    assert listed.get_json()["total"] == 43
    body = {"slug": "truong-cd-y", "name": "Trường Cao đẳng Y tế", "kind": "other"}
    made = client.post("/api/v1/organisations", json=body, headers=dept.headers["admin"])
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["kind"] == "other"
    again = client.post("/api/v1/organisations", json=body, headers=dept.headers["admin"])
    assert again.status_code == 409
    commune = client.post(
        "/api/v1/organisations",
        json={"slug": "xa-lap-lai", "name": "X", "kind": "commune", "commune_code": "03408"},
        headers=dept.headers["admin"],
    )
    assert commune.status_code == 409  # the commune already has its organisation
    bad = client.post(
        "/api/v1/organisations",
        json={"slug": "vo-danh", "name": "X", "kind": "ministry"},
        headers=dept.headers["admin"],
    )
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]
    # A unit's admin may not create organisations.
    unit_admin = units["bao-lai-chau"].headers["admin"]
    refused = client.post(
        "/api/v1/organisations", json={**body, "slug": "khac"}, headers=unit_admin
    )
    assert refused.status_code == 403
    every = client.get("/api/v1/organisations?per_page=200", headers=unit_admin).get_json()
    assert sum(1 for o in every["items"] if o["kind"] == "commune") == 38


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0008_moves_existing_rows_to_the_department(kind, tmp_path):
    """Every existing user, token, channel, content item and campaign belongs to the
    department afterwards; an operator (and their token) to their commune's organisation."""
    from alembic import command

    from tests.servers import throwaway_database

    t = {"t": "2025-01-01 00:00:00+00:00"}
    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            url = stack.enter_context(throwaway_database())
        config = alembic_config(url)
        command.upgrade(config, "0006")
        engine = create_engine(normalise_url(url))
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO communes (code, name, kind) VALUES ('03408', 'Bản Bo', 'xã')")
            )
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, slug, name, description, starts_on, ends_on,"
                    " paused, recurrence, created_at, updated_at) VALUES (1, 'cn-do',"
                    " 'Chủ nhật Đỏ', '', '2025-01-01', '2025-12-31', false, '[]', :t, :t)"
                ),
                t,
            )
            for uid, role, code in ((7, "editor", None), (8, "operator", "03408")):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, display_name, role, commune_code,"
                        " active, failed_logins, service_account, created_at) VALUES"
                        " (:id, :u, '', :r, :c, true, 0, false, :t)"
                    ),
                    {"id": uid, "u": f"u{uid}", "r": role, "c": code, **t},
                )
                conn.execute(
                    text(
                        "INSERT INTO api_tokens (name, user_id, token_hash, prefix, created_at,"
                        " read_only) VALUES ('t', :id, :h, 'pub_', :t, false)"
                    ),
                    {"id": uid, "h": f"{uid:064d}", **t},
                )
            conn.execute(
                text(
                    "INSERT INTO channels (id, kind, slug, name, settings, rules, enabled,"
                    " health_status, health_reason, created_at, updated_at) VALUES"
                    " (1, 'rss', 'tin', 'Tin', '{}', '{}', true, 'ok', '', :t, :t)"
                ),
                t,
            )
            conn.execute(
                text(
                    "INSERT INTO content_items (id, kind, status, language, campaign_id,"
                    " is_template, latest_version, search_text, export_key, created_at,"
                    " updated_at) VALUES (1, 'article', 'draft', 'vi', 1, false, 1, '',"
                    " 'k1', :t, :t)"
                ),
                t,
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            dept = conn.execute(
                text("SELECT id, slug FROM organisations WHERE kind = 'department'")
            ).one()
            assert dept.slug == DEPARTMENT
            commune_org = conn.execute(
                text("SELECT id, name FROM organisations WHERE commune_code = '03408'")
            ).one()
            assert commune_org.name == "UBND xã Bản Bo"
            for query in (
                "SELECT organisation_id FROM campaigns",
                "SELECT organisation_id FROM channels",
                "SELECT organisation_id FROM content_items",
            ):
                assert conn.execute(text(query)).scalars().all() == [dept.id], query
            users = dict(conn.execute(text("SELECT id, organisation_id FROM users")).all())
            assert users == {7: dept.id, 8: commune_org.id}
            tokens = dict(
                conn.execute(text("SELECT user_id, organisation_id FROM api_tokens")).all()
            )
            assert tokens == {7: dept.id, 8: commune_org.id}
        command.downgrade(config, "0006")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM content_items")).scalar() == 1
