"""Reconciling an unknown outcome by finding the post among the Page's posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.base import NotSupported, Transient, Unknown
from channels.fanpage import LOOKUP_MAX_PAGES, compose_message
from tests.unit.fanpage.conftest import PAGE_ID, make_post, poster


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_timeout_after_the_post_was_stored_is_unknown_and_lookup_finds_it(graph, make_adapter):
    adapter = make_adapter(timeout=0.5)
    post = make_post()
    started = _now()
    graph.delay(1.5, method="POST")

    with pytest.raises(Unknown):
        adapter.publish(post)
    found = adapter.lookup(post, since=started)

    (stored,) = graph.posts(PAGE_ID)
    assert found is not None
    assert (found.external_id, found.external_url) == (stored["id"], stored["permalink_url"])


def test_a_dropped_poster_upload_is_found_by_its_caption(adapter, graph):
    post = make_post(link="https://hienmau.vn/a", media=(poster(),))
    started = _now()
    graph.drop_after_store()

    with pytest.raises(Unknown):
        adapter.publish(post)
    found = adapter.lookup(post, since=started)

    assert found is not None
    assert found.external_id == graph.photos(PAGE_ID)[0]["post_id"]


def test_lookup_returns_none_when_the_post_is_absent(adapter, graph):
    graph.add_post(PAGE_ID, "Một bài khác hẳn")

    assert adapter.lookup(make_post(), since=_now() - timedelta(hours=1)) is None


def test_lookup_ignores_case_whitespace_and_unicode_form(adapter, graph):
    post = make_post(title="Hiến máu", text="Cứu người")
    decomposed = "HIE\u0302\u0301N MA\u0301U\n\n\n  Cứu   người "
    post_id = graph.add_post(PAGE_ID, decomposed)

    found = adapter.lookup(post, since=_now() - timedelta(minutes=1))

    assert found is not None and found.external_id == post_id


def test_lookup_follows_paging_to_older_posts(adapter, graph):
    base = _now() - timedelta(minutes=30)
    target = graph.add_post(PAGE_ID, compose_message(make_post()), created_time=base)
    for n in range(150):
        graph.add_post(PAGE_ID, f"Tin số {n}", created_time=base + timedelta(seconds=n + 1))

    found = adapter.lookup(make_post(), since=base)

    assert found is not None and found.external_id == target
    pages = [r for r in graph.requests_log if r.path.endswith("/published_posts")]
    assert len(pages) == 2
    assert pages[0].params["limit"] == "100"
    assert "after" in pages[1].params
    # The token from Graph's next link is not echoed back in the URL.
    assert "access_token" not in pages[1].params


def test_lookup_uses_since_with_a_margin_for_clock_skew(adapter, graph):
    since = _now()
    slightly_early = graph.add_post(
        PAGE_ID, compose_message(make_post()), created_time=since - timedelta(minutes=2)
    )

    found = adapter.lookup(make_post(), since=since)

    assert found is not None and found.external_id == slightly_early
    (call,) = graph.requests_log
    assert int(call.params["since"]) == int(since.timestamp()) - 300
    assert call.params["fields"] == "id,message,created_time,permalink_url"


def test_posts_older_than_the_window_are_not_matched(adapter, graph):
    since = _now()
    graph.add_post(PAGE_ID, compose_message(make_post()), created_time=since - timedelta(hours=2))

    assert adapter.lookup(make_post(), since=since) is None


def test_lookup_gives_up_after_a_bounded_number_of_pages(graph, adapter):
    base = _now() - timedelta(hours=1)
    for n in range(LOOKUP_MAX_PAGES * 100 + 5):
        graph.add_post(PAGE_ID, f"Tin {n}", created_time=base + timedelta(seconds=n))

    # "Absent" would invite a duplicate post; an inconclusive search must say so.
    with pytest.raises(Transient, match="Chưa dò hết"):
        adapter.lookup(make_post(), since=base)
    assert len(graph.requests_log) == LOOKUP_MAX_PAGES


def test_lookup_rejects_a_naive_since(adapter):
    with pytest.raises(ValueError, match="aware"):
        adapter.lookup(make_post(), since=datetime(2025, 6, 14))


def test_lookup_cannot_recognise_a_post_without_text(adapter):
    with pytest.raises(NotSupported):
        adapter.lookup(make_post(title="", text="", link="https://x.vn"), since=_now())
