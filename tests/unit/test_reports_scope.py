"""How the report's query string is read (who sees which unit's figures needs the database:
tests/integration/test_results_report_units.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from publisher.errors import ValidationFailed
from publisher.reports.request import presets, read_query
from publisher.reports.scope import ReportQuery

ARGS = {"from": "2025-11-01", "to": "2025-11-30"}


def person():
    """A user without an organisation: sees every unit, so no database is asked."""
    return SimpleNamespace(organisation_id=None)


@pytest.mark.parametrize(
    "args",
    [
        {"from": "2025-11-30", "to": "2025-11-01"},
        {"organisation_id": "0"},
        {"organisation_id": "x"},
        {"from": "2024-01-01", "to": "2025-12-31"},
    ],
)
def test_bad_queries(args):
    with pytest.raises(ValidationFailed):
        read_query(None, args, person())


def test_period_in_local_days_as_utc_bounds():
    start, end = ReportQuery(date(2025, 11, 1), date(2025, 11, 30)).bounds()
    assert start.isoformat() == "2025-10-31T17:00:00+00:00"
    assert end.isoformat() == "2025-11-30T17:00:00+00:00"


def test_presets():
    assert presets(date(2026, 5, 17)) == [
        ("Tháng này", date(2026, 5, 1), date(2026, 5, 17)),
        ("Tháng trước", date(2026, 4, 1), date(2026, 4, 30)),
        ("Quý này", date(2026, 4, 1), date(2026, 5, 17)),
        ("Năm nay", date(2026, 1, 1), date(2026, 5, 17)),
    ]
