"""Withdrawing posts and checking the Page token with debug_token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.base import ChannelBroken, Permanent, RateLimited
from tests.unit.fanpage.conftest import PAGE_ID, make_post, poster


def test_withdraw_deletes_the_post(adapter, graph):
    result = adapter.publish(make_post())

    adapter.withdraw(result.external_id)

    assert graph.posts(PAGE_ID) == []
    assert graph.requests_log[-1].method == "DELETE"


def test_withdraw_deletes_a_poster_post_and_its_photo(adapter, graph):
    result = adapter.publish(make_post(media=(poster(),)))

    adapter.withdraw(result.external_id)

    assert graph.posts(PAGE_ID) == [] and graph.photos(PAGE_ID) == []


def test_withdrawing_a_missing_post_counts_as_done(adapter, graph):
    adapter.withdraw(f"{PAGE_ID}_424242")

    assert graph.requests_log[-1].status == 400


def test_withdraw_refuses_an_id_that_is_not_graphs(adapter, graph):
    with pytest.raises(Permanent):
        adapter.withdraw("../me/feed")
    assert graph.requests_log == []


def test_withdraw_without_permission_breaks_the_channel(adapter, graph, token):
    result = adapter.publish(make_post())
    graph.set_scopes(token, ["pages_read_engagement"])

    with pytest.raises(ChannelBroken):
        adapter.withdraw(result.external_id)
    assert len(graph.posts(PAGE_ID)) == 1


def test_check_of_a_good_token_is_ok(adapter, graph):
    report = adapter.check()

    assert report.status == "ok" and report.reason == ""
    assert report.details["profile_id"] == PAGE_ID
    assert "pages_manage_posts" in report.details["scopes"]
    # A page token never expires, but its data access does, some 90 days ahead.
    assert report.expires_at is not None and report.expires_at.tzinfo is UTC
    assert timedelta(days=89) < report.expires_at - datetime.now(UTC) < timedelta(days=91)
    (call,) = graph.requests_log
    assert call.params["input_token"] == call.params["access_token"]


def test_check_of_an_invalid_token_needs_attention(adapter, graph, token):
    graph.invalidate_token(token, 460)

    report = adapter.check()

    assert report.status == "needs_attention"
    assert "không hợp lệ" in report.reason and "cần cấp lại quyền" in report.reason
    assert report.details["is_valid"] is False
    assert graph.requests_log[-1].status == 200


def test_check_warns_days_before_the_token_expires(adapter, graph, token):
    graph.set_token_expiry(token, expires_at=datetime.now(UTC) + timedelta(days=3, hours=2))

    report = adapter.check()

    assert report.status == "expiring"
    assert "Mã truy cập sẽ hết hạn sau 3 ngày" in report.reason
    assert report.expires_at - datetime.now(UTC) < timedelta(days=4)


def test_check_warns_before_data_access_expires(adapter, graph, token):
    graph.set_token_expiry(token, data_access_expires_at=datetime.now(UTC) + timedelta(hours=5))

    report = adapter.check()

    assert report.status == "expiring"
    assert "Quyền truy cập dữ liệu sẽ hết hạn sau chưa đầy 1 ngày" in report.reason


def test_check_ignores_expiry_further_than_a_week(adapter, graph, token):
    later = datetime.now(UTC) + timedelta(days=20)
    graph.set_token_expiry(token, expires_at=later)

    report = adapter.check()

    assert report.status == "ok"
    assert abs(report.expires_at - later) < timedelta(seconds=1)


def test_check_of_another_pages_token_needs_attention(graph, make_adapter):
    graph.add_page("3003")
    graph.add_token("EAA-other", "3003")
    adapter = make_adapter(settings={"access_token": "EAA-other"})

    report = adapter.check()

    assert report.status == "needs_attention"
    assert "thuộc Trang 3003, không phải Trang 1001" in report.reason


@pytest.mark.parametrize("missing", ["pages_manage_posts", "pages_read_engagement"])
def test_check_names_a_missing_permission(adapter, graph, token, missing):
    graph.set_scopes(
        token, [s for s in ("pages_manage_posts", "pages_read_engagement") if s != missing]
    )

    report = adapter.check()

    assert report.status == "needs_attention"
    assert f"thiếu quyền {missing}" in report.reason


def test_check_of_a_user_token_needs_attention(graph, make_adapter):
    graph.add_token("EAA-user", PAGE_ID, kind="USER", profile_id="55")
    report = make_adapter(settings={"access_token": "EAA-user"}).check()

    assert report.status == "needs_attention"
    assert "loại USER" in report.reason


def test_check_with_a_broken_app_secret_needs_attention(graph, make_adapter):
    token = graph.add_page("2002", app_secret="đúng", token="EAA2002")
    adapter = make_adapter(settings={"page_id": "2002", "access_token": token, "app_secret": "sai"})

    report = adapter.check()

    assert report.status == "needs_attention" and "app secret" in report.reason


def test_check_raises_when_graph_cannot_tell(adapter, graph):
    graph.inject_error(4)

    with pytest.raises(RateLimited):
        adapter.check()
