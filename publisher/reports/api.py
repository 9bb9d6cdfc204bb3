"""``GET /api/v1/reports/results``: the results report's figures as JSON."""

from __future__ import annotations

from typing import Any

from flask import request

from publisher.api.framework import current_user, endpoint, schema
from publisher.db import db
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
            "organisation": {"type": ["object", "null"]},
            "summary": {"type": "array", "items": {"type": "object"}},
            "publications": _SECTION,
            "feeds": _SECTION,
            "broadcasts": _SECTION,
            "drives": _SECTION,
            "failures": _SECTION,
            "engagement": _SECTION,
            "guidance": {"type": ["object", "null"]},
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
