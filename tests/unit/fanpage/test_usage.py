"""Usage headers slow the channel down before Graph refuses calls."""

from __future__ import annotations

import json

import pytest

from channels.fanpage import (
    FULL_THROTTLE,
    SOFT_THROTTLE_MAX,
    regain_seconds,
    throttle_seconds,
    usage_percent,
)
from tests.unit.fanpage.conftest import PAGE_ID, make_post


def _usage(call_count: float, *, name: str = "X-App-Usage") -> dict[str, str]:
    return {name: json.dumps({"call_count": call_count, "total_time": 5, "total_cputime": 3})}


def _buc(call_count: float, regain: int = 0) -> dict[str, str]:
    entry = {
        "type": "pages",
        "call_count": call_count,
        "total_cputime": 1,
        "total_time": 1,
        "estimated_time_to_regain_access": regain,
    }
    return {"X-Business-Use-Case-Usage": json.dumps({PAGE_ID: [entry]})}


def test_usage_percent_takes_the_highest_figure_of_every_header():
    headers = {**_usage(28), **_usage(61, name="x-page-usage"), **_buc(44, regain=90)}

    assert usage_percent(headers) == 61
    assert usage_percent({}) == 0
    assert usage_percent({"X-App-Usage": "not json"}) == 0
    # The regain estimate is minutes, not a percentage.
    assert usage_percent(_buc(10, regain=500)) == 10


@pytest.mark.parametrize(
    ("percent", "seconds"),
    [(0, 0), (80, 0), (85, SOFT_THROTTLE_MAX / 4), (90, SOFT_THROTTLE_MAX / 2), (99, 285)],
)
def test_throttle_grows_linearly_above_80_percent(percent, seconds):
    assert throttle_seconds(_usage(percent)) == pytest.approx(seconds)


def test_throttle_at_the_limit_uses_graphs_estimate_or_an_hour():
    assert throttle_seconds(_usage(100)) == FULL_THROTTLE
    assert throttle_seconds(_buc(100, regain=25)) == 25 * 60
    assert regain_seconds(_buc(100, regain=25)) == 1500
    assert regain_seconds({}) == 0


def test_a_busy_app_slows_the_channel_after_a_successful_post(adapter, graph):
    graph.set_usage(app=90)

    result = adapter.publish(make_post())

    assert result.external_id
    assert result.throttle_seconds == pytest.approx(SOFT_THROTTLE_MAX / 2)


def test_page_usage_counts_as_well(adapter, graph):
    graph.set_usage(page=95)

    assert adapter.publish(make_post()).throttle_seconds == pytest.approx(225)


def test_usage_that_grows_per_call_shows_in_lookup(adapter, graph):
    graph.set_usage(buc=84, growth_per_call=2)
    adapter.publish(make_post())  # 86 %

    found = adapter.lookup(make_post(), since=graph.posts(PAGE_ID)[0]["created_time"])

    assert found is not None
    assert found.throttle_seconds == pytest.approx(SOFT_THROTTLE_MAX * 8 / 20)


def test_usage_is_read_on_every_call_of_an_album(adapter, graph):
    from tests.unit.fanpage.conftest import poster

    graph.set_usage(app=81, growth_per_call=3)  # 84, 87, then the feed post at 90

    result = adapter.publish(make_post(media=(poster(), poster())))

    assert result.throttle_seconds == pytest.approx(SOFT_THROTTLE_MAX / 2)
