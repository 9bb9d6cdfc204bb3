"""Planning's names for the date and time functions; they live in :mod:`publisher.times`."""

from __future__ import annotations

from publisher.times import (
    LOCAL_TZ,
    WEEKDAYS_VI,
    format_date_vi,
    format_datetime_vi,
    format_number_vi,
    format_time_range_vi,
    format_time_vi,
    local_date,
    local_to_utc,
    require_aware,
    to_local,
)

__all__ = [
    "LOCAL_TZ",
    "WEEKDAYS_VI",
    "format_date_vi",
    "format_datetime_vi",
    "format_number_vi",
    "format_time_range_vi",
    "format_time_vi",
    "local_date",
    "local_to_utc",
    "require_aware",
    "to_local",
]
