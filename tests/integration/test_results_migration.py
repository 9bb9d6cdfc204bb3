"""Migration 0009 (engagement readings, report signatures) up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from publisher.db import normalise_url
from publisher.migrate import alembic_config


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0009_adds_and_removes_its_tables(kind, tmp_path):
    from tests.servers import throwaway_database

    with contextlib.ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'report.db'}"
        else:
            url = stack.enter_context(throwaway_database())
        config = alembic_config(url)
        command.upgrade(config, "0006")
        engine = create_engine(normalise_url(url))
        stack.callback(engine.dispose)
        command.upgrade(config, "0009")
        tables = set(inspect(engine).get_table_names())
        assert {"engagement_readings", "report_signatures"} <= tables
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO report_signatures (organisation_id, superior_body, issuing_body,"
                    " symbol, place, signer_title, signer_name, recipients, updated_at)"
                    " VALUES (NULL, 'UBND tỉnh', 'Sở Y tế', 'BC-SYT', 'Lai Châu', 'Giám đốc',"
                    " '', '', :t)"
                ),
                {"t": "2026-12-04 00:00:00+00:00"},
            )
        indexes = {i["name"] for i in inspect(engine).get_indexes("engagement_readings")}
        assert "ix_engagement_readings_publication_read" in indexes
        command.downgrade(config, "0006")
        engine.dispose()
        tables = set(inspect(engine).get_table_names())
        assert not {"engagement_readings", "report_signatures"} & tables
        command.upgrade(config, "head")
        assert "engagement_readings" in set(inspect(engine).get_table_names())
