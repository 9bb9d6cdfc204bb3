"""``GET /api/v1/reports/results``: the results report's figures as JSON."""

from __future__ import annotations

from typing import Any

from flask import request

from publisher.api.framework import current_user, endpoint, schema
from publisher.db import db
from publisher.organisations.guidance import COVERAGE_STATUSES
from publisher.reports.figures import results
from publisher.reports.request import QUERY_SCHEMA, read_query

_SECTION = {"type": "object"}
schema(
    "ResultsReport",
    {
        "type": "object",
        "required": [
            "period",
            "campaign",
            "organisation",
            "summary",
            "publications",
            "feeds",
            "broadcasts",
            "drives",
            "failures",
            "engagement",
            "guidance",
        ],
        "properties": {
            "period": {
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                },
            },
            "campaign": {"type": ["object", "null"]},
            "organisation": {
                "type": ["object", "null"],
                "description": "The unit whose figures these are (its channels' rows); "
                "null for every unit. A unit's people always get their own.",
                "required": ["id", "slug", "name", "kind"],
                "properties": {
                    "id": {"type": "integer"},
                    "slug": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                },
            },
            "summary": {"type": "array", "items": {"type": "object"}},
            "publications": _SECTION,
            "feeds": _SECTION,
            "broadcasts": _SECTION,
            "drives": _SECTION,
            "failures": _SECTION,
            "engagement": _SECTION,
            "guidance": {
                "type": "object",
                "description": "Guidance due in the period: each target unit's coverage",
                "required": ["total", "units", "totals", "items"],
                "properties": {
                    "total": {"type": "integer"},
                    "units": {"type": "integer"},
                    "totals": {
                        "type": "object",
                        "properties": {status: {"type": "integer"} for status in COVERAGE_STATUSES},
                    },
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "guidance_id": {"type": "integer"},
                                "title": {"type": "string"},
                                "due_on": {"type": "string", "format": "date"},
                                "organisation_id": {"type": "integer"},
                                "organisation": {"type": "string"},
                                "status": {"type": "string", "enum": list(COVERAGE_STATUSES)},
                                "publications": {"type": "integer"},
                                "evidence": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        },
    },
)


@endpoint(
    "GET",
    "/reports/results",
    summary="Results report: what was published, aired and read in a period (JSON)",
    permission="publications:read",
    response="ResultsReport",
    query=QUERY_SCHEMA,
)
def results_report() -> dict[str, Any]:
    """The same figures as ``/reports/results.docx`` and ``.xlsx``, figure for figure."""
    query = read_query(db.session, request.args, current_user())
    report = results(db.session, query)
    db.session.rollback()
    return report
