"""Migrations: one head, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

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
