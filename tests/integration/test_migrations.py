"""Migrations: one head, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

import contextlib
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from content_library.db import Base
from publisher.db import normalise_url
from publisher.migrate import alembic_config


def test_one_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.doc and revision.doc.strip(), f"{revision.revision} has no docstring"


def test_upgrade_from_empty_matches_models(database_url):
    import publisher.models  # noqa: F401

    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() is not None
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], diff
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0003_moves_item_tags_into_every_version(kind, tmp_path):
    """Existing content keeps what channels showed: the item's tags, language and campaign
    become each version's, and each version's last editor becomes its author."""
    from alembic import command
    from sqlalchemy import text

    from tests.servers import throwaway_database

    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            url = stack.enter_context(throwaway_database())
        config = alembic_config(url)
        command.upgrade(config, "0001")
        engine = create_engine(normalise_url(url))
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO campaigns (id, slug, name, description, starts_on, ends_on,"
                    " paused, recurrence, created_at, updated_at) VALUES (1, 'cn-do',"
                    " 'Chủ nhật Đỏ', '', '2025-01-01', '2025-12-31', false, '[]', :t, :t)"
                ),
                {"t": "2025-01-01 00:00:00+00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, active,"
                    " failed_logins, created_at) VALUES (7, 'bt', '', 'editor', true, 0, :t)"
                ),
                {"t": "2025-01-01 00:00:00+00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO content_items (id, kind, status, language, campaign_id, tags,"
                    " is_template, latest_version, search_text, export_key, created_at,"
                    " updated_at) VALUES (1, 'article', 'draft', 'vi', 1, :tags, false, 2, '',"
                    " 'k1', :t, :t)"
                ),
                {"tags": '["hiến máu"]', "t": "2025-01-01 00:00:00+00:00"},
            )
            for number, author in ((1, None), (2, 7)):
                conn.execute(
                    text(
                        "INSERT INTO content_versions (content_id, number, status, title,"
                        " body_html, summary, variants, created_by, created_at) VALUES"
                        " (1, :n, 'draft', 'T', '<p>x</p>', '', '{}', :a, :t)"
                    ),
                    {"n": number, "a": author, "t": "2025-01-01 00:00:00+00:00"},
                )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT number, tags, language, campaign_id, authors FROM content_versions"
                    " ORDER BY number"
                )
            ).all()

        def load(value):
            return json.loads(value) if isinstance(value, str) else value

        decoded = [(n, load(t), lang, camp, load(a)) for n, t, lang, camp, a in rows]
        assert decoded == [(1, ["hiến máu"], "vi", 1, []), (2, ["hiến máu"], "vi", 1, [7])]
