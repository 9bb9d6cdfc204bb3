"""Migration 0007: the audio tables come and go cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import create_engine, inspect

from publisher.db import normalise_url
from publisher.migrate import alembic_config


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0007_upgrade_and_downgrade(kind, tmp_path):
    from alembic import command

    from tests.servers import throwaway_database

    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            url = stack.enter_context(throwaway_database())
        config = alembic_config(url)
        engine = create_engine(normalise_url(url))
        stack.callback(engine.dispose)
        command.upgrade(config, "0006")
        assert "audio_recordings" not in inspect(engine).get_table_names()
        command.upgrade(config, "0007")
        inspector = inspect(engine)
        assert {"audio_recordings", "audio_renders"} <= set(inspector.get_table_names())
        columns = {c["name"] for c in inspector.get_columns("audio_recordings")}
        assert {"version_id", "sha256", "seconds", "data", "format"} <= columns
        foreign = inspector.get_foreign_keys("audio_recordings")
        cascades = [fk["options"].get("ondelete") for fk in foreign]
        assert [fk["referred_table"] for fk in foreign if fk["options"]] == ["content_versions"]
        assert "CASCADE" in cascades
        command.downgrade(config, "0006")
        names = set(inspect(engine).get_table_names())
        assert not names & {"audio_recordings", "audio_renders"}
