"""URL parts the service accepts: ids that fit the database, text without control characters.

Every ``<int:…>`` in a route and every ``<…>`` string part goes through these converters,
so a path that cannot name a row answers 404 from routing, before any query runs. Why
here and not in each view: PostgreSQL refuses an integer above 2**31 - 1 for an
``integer`` column and a NUL byte in any text, and both surface as a DataError (a 500)
from whichever view forgot to check; SQLite accepts both and hides the bug in tests.
"""

from __future__ import annotations

from datetime import date

from flask import Flask
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

# The largest value of PostgreSQL's ``integer``: every primary key of ours.
MAX_ROW_ID = 2**31 - 1
# Days the service can plan for; outside them date arithmetic (a day before, a day after)
# leaves Python's range near year 1 and 9999, and nobody schedules a drive there.
FIRST_YEAR, LAST_YEAR = 1900, 2200


class RowIdConverter(IntegerConverter):
    """``<int:…>``: a positive id that fits an ``integer`` column; anything else does not match."""

    def __init__(
        self,
        map: Map,  # werkzeug passes its Map positionally
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ROW_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class PrintableConverter(UnicodeConverter):
    """The default string part: one path segment without control characters (NUL above all)."""

    def __init__(
        self,
        map: Map,  # werkzeug passes its Map positionally
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        # The parent's pattern with the control characters taken out of the class.
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


def install_converters(app: Flask) -> None:
    """Use the bounded converters for every route; call before blueprints are registered.

    The API keeps werkzeug's own integer (``<api_id:…>``): its endpoint wrapper answers an
    out-of-range id with a documented 404 problem, where a converter that does not match
    would let routing answer 405 for methods another rule has.
    """
    app.url_map.converters["api_id"] = IntegerConverter
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["default"] = PrintableConverter
    app.url_map.converters["string"] = PrintableConverter


def row_id(raw: str | None) -> int | None:
    """A query-string id if it can name a row, else None (the filter is ignored)."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ROW_ID else None


def plannable_day(day: date) -> bool:
    """True for days the service can reason about (see FIRST_YEAR and LAST_YEAR)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR
