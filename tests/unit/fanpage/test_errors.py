"""Graph errors and network failures become the right typed errors."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from channels.base import (
    ChannelBroken,
    Permanent,
    RateLimited,
    Transient,
    Unknown,
)
from channels.fanpage import classify_error
from channels.transport import nothing_sent
from tests.fakes import GraphEmulator
from tests.unit.fanpage.conftest import PAGE_ID, make_post, poster

PUBLISH_CASES = [
    # code, subcode, http status, expected class on POST
    (1, None, 500, Unknown),
    (2, None, 503, Unknown),
    (4, None, 400, RateLimited),
    (17, None, 400, RateLimited),
    (32, None, 400, RateLimited),
    (613, None, 400, RateLimited),
    (80001, None, 400, RateLimited),
    (368, 1390008, 400, RateLimited),
    (10, None, 403, ChannelBroken),
    (200, None, 403, ChannelBroken),
    (299, None, 403, ChannelBroken),
    (100, None, 400, Permanent),
    (100, 33, 400, Permanent),
    (506, None, 400, Permanent),
    (104, None, 400, Permanent),
    (324, 1366046, 400, Permanent),
    (190, 463, 400, ChannelBroken),
    (102, None, 400, ChannelBroken),
    (999, None, 500, Unknown),
]


@pytest.mark.parametrize(("code", "subcode", "status", "expected"), PUBLISH_CASES)
def test_publish_errors_follow_the_table(adapter, graph, code, subcode, status, expected):
    graph.inject_error(code, subcode, http_status=status, method="POST")

    with pytest.raises(expected) as caught:
        adapter.publish(make_post())

    assert type(caught.value) is expected
    assert caught.value.code == (f"{code}/{subcode}" if subcode else str(code))
    assert f'"code": {code}' in caught.value.excerpt


@pytest.mark.parametrize(("code", "status"), [(1, 500), (2, 503), (999, 502)])
def test_server_errors_on_reads_and_deletes_are_transient(adapter, graph, code, status):
    graph.inject_error(code, http_status=status, sticky=True)

    with pytest.raises(Transient) as on_get:
        adapter.lookup(make_post(), since=_now())
    with pytest.raises(Transient):
        adapter.withdraw(f"{PAGE_ID}_1")
    assert type(on_get.value) is Transient


def test_the_editor_sees_graphs_words_and_the_code(adapter, graph):
    graph.inject_error(
        190,
        463,
        message="Error validating access token: Session has expired on Sunday.",
        user_msg="Phiên đăng nhập đã hết hạn.",
    )

    with pytest.raises(ChannelBroken) as caught:
        adapter.publish(make_post())

    text = str(caught.value)
    assert "cần cấp lại quyền" in text
    assert "Session has expired on Sunday" in text
    assert "Phiên đăng nhập đã hết hạn." in text
    assert caught.value.code == "190/463"


@pytest.mark.parametrize("subcode", [458, 459, 460, 463, 464, 467, 492])
def test_every_unusable_token_breaks_the_channel(adapter, graph, token, subcode):
    graph.invalidate_token(token, subcode)

    with pytest.raises(ChannelBroken, match="cần cấp lại quyền") as caught:
        adapter.publish(make_post())
    assert caught.value.code == f"190/{subcode}"
    assert graph.posts(PAGE_ID) == []


def test_an_unknown_token_breaks_the_channel(make_adapter):
    adapter = make_adapter(settings={"access_token": "EAA-not-issued"})

    with pytest.raises(ChannelBroken):
        adapter.publish(make_post())


def test_a_lost_permission_breaks_the_channel(adapter, graph, token):
    graph.set_scopes(token, ["pages_show_list", "pages_read_engagement"])

    with pytest.raises(ChannelBroken, match="thiếu quyền") as caught:
        adapter.publish(make_post())
    assert caught.value.code == "200"


def test_a_policy_block_pauses_for_hours(adapter, graph):
    graph.inject_error(368, 1390008)

    with pytest.raises(RateLimited, match="vi phạm chính sách") as caught:
        adapter.publish(make_post())
    assert caught.value.retry_after == 6 * 3600


@pytest.mark.parametrize(("code", "wait"), [(4, 600), (17, 600), (32, 3600), (613, 3600)])
def test_rate_limits_without_an_estimate_use_the_defaults(adapter, graph, code, wait):
    graph.inject_error(code)

    with pytest.raises(RateLimited) as caught:
        adapter.publish(make_post())
    assert caught.value.retry_after == wait


def test_rate_limit_waits_as_long_as_graph_estimates(adapter, graph):
    graph.set_usage(buc=100, regain_minutes=17)

    with pytest.raises(RateLimited) as caught:
        adapter.publish(make_post())

    assert caught.value.code == "80001"
    assert caught.value.retry_after == 17 * 60
    assert graph.posts(PAGE_ID) == []


def test_an_injected_regain_header_is_honoured(adapter, graph):
    header = {
        PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 42}]
    }
    graph.inject_error(80001, extra_headers={"X-Business-Use-Case-Usage": json.dumps(header)})

    with pytest.raises(RateLimited) as caught:
        adapter.publish(make_post())
    assert caught.value.retry_after == 42 * 60


def test_a_duplicate_message_is_permanent():
    with GraphEmulator(reject_duplicates=True) as graph:
        token = graph.add_page(PAGE_ID)
        graph.add_post(PAGE_ID, "Chủ nhật Đỏ")
        from channels.base import ChannelConfig
        from channels.fanpage import FanpageAdapter

        config = ChannelConfig(
            1, "f", "f", {"page_id": PAGE_ID, "access_token": token}, {"graph_url": graph.base_url}
        )
        with FanpageAdapter(config) as adapter, pytest.raises(Permanent, match="trùng"):
            adapter.publish(make_post(title="Chủ nhật Đỏ", text=""))


def test_a_bad_image_is_permanent(adapter, graph):
    with pytest.raises(Permanent, match="Ảnh không hợp lệ") as caught:
        adapter.publish(make_post(media=(poster(data=b"GIF89a not a png"),)))
    assert caught.value.code == "324/1366046"


@pytest.mark.parametrize(("method", "expected"), [("POST", Unknown), ("GET", Transient)])
def test_a_non_json_answer_is_unknown_on_post_and_transient_on_get(
    adapter, graph, method, expected
):
    graph.inject_raw(502, "<html><body>Bad Gateway</body></html>", method=method)

    with pytest.raises(expected) as caught:
        if method == "POST":
            adapter.publish(make_post())
        else:
            adapter.lookup(make_post(), since=_now())
    assert type(caught.value) is expected
    assert "Bad Gateway" in caught.value.excerpt


def test_a_500_after_the_post_was_stored_is_unknown(adapter, graph):
    graph.inject_error(1, method="POST", after_store=True)

    with pytest.raises(Unknown):
        adapter.publish(make_post())
    assert len(graph.posts(PAGE_ID)) == 1


def test_a_read_timeout_on_post_is_unknown(graph, make_adapter):
    graph.delay(1.5, method="POST")

    with pytest.raises(Unknown, match="đối chiếu"):
        make_adapter(timeout=0.5).publish(make_post())


def test_a_read_timeout_on_get_is_transient(graph, make_adapter):
    graph.delay(1.5, method="GET")

    with pytest.raises(Transient) as caught:
        make_adapter(timeout=0.5).lookup(make_post(), since=_now())
    assert type(caught.value) is Transient


def test_a_dropped_connection_after_sending_is_unknown(adapter, graph):
    graph.drop_after_store()

    with pytest.raises(Unknown):
        adapter.publish(make_post())
    assert len(graph.posts(PAGE_ID)) == 1
    assert graph.requests_log[0].dropped


def test_a_refused_connection_is_transient_even_for_a_post(make_adapter):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = make_adapter(graph_url=f"http://127.0.0.1:{port}")

    with pytest.raises(Transient) as caught:
        adapter.publish(make_post())
    assert type(caught.value) is Transient


def test_a_malformed_graph_url_breaks_the_channel(make_adapter):
    with pytest.raises(ChannelBroken, match="Graph API"):
        make_adapter(graph_url="graph.facebook.com").publish(make_post())


def test_network_messages_never_carry_the_token(make_adapter, token):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = make_adapter(graph_url=f"http://127.0.0.1:{port}")

    with pytest.raises(Transient) as caught:
        adapter.check()
    assert token not in str(caught.value)
    assert token not in caught.value.excerpt


def test_what_counts_as_not_sent():
    refused = NewConnectionError(None, "Connection refused")
    assert nothing_sent(requests.ConnectTimeout("slow connect"))
    assert nothing_sent(requests.ConnectionError(MaxRetryError(None, "/", refused)))
    assert not nothing_sent(requests.ConnectionError(ProtocolError("Connection aborted.")))
    assert not nothing_sent(requests.ReadTimeout("slow answer"))


def test_classify_error_without_graphs_shape():
    assert isinstance(classify_error(404, {"x": 1}, {}, method="POST"), Permanent)
    assert isinstance(classify_error(503, {"x": 1}, {}, method="POST"), Unknown)
    assert isinstance(classify_error(503, {"x": 1}, {}, method="DELETE"), Transient)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
