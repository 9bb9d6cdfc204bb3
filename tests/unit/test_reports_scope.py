"""Who sees which unit's figures, and how the report's query string is read."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from publisher.errors import ApiError, ValidationFailed
from publisher.reports.request import presets, read_query
from publisher.reports.scope import ReportQuery, unit_of

DEPARTMENT = SimpleNamespace(kind="department")
COMMUNE = SimpleNamespace(kind="commune")
ARGS = {"from": "2025-11-01", "to": "2025-11-30"}


def person(organisation=None, organisation_id=None):
    return SimpleNamespace(organisation=organisation, organisation_id=organisation_id)


def test_the_department_and_people_without_a_unit_see_every_unit():
    assert unit_of(person()) is None
    assert unit_of(person(DEPARTMENT, 1)) is None
    assert unit_of(SimpleNamespace()) is None  # before organisations exist


def test_a_unit_gets_its_own_figures_and_another_unit_answers_404():
    unit = person(COMMUNE, 7)
    assert read_query(None, ARGS, unit).organisation_id == 7
    assert read_query(None, ARGS | {"organisation_id": "7"}, unit).organisation_id == 7
    with pytest.raises(ApiError) as refused:
        read_query(None, ARGS | {"organisation_id": "8"}, unit)
    assert refused.value.status == 404
    assert read_query(None, ARGS | {"organisation_id": "8"}, person()).organisation_id == 8


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
