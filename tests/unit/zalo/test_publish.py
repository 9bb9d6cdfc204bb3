"""Publishing articles on the Zalo emulator: fields, limits, verify, broadcast, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.base import (
    ChannelBroken,
    MediaFile,
    Permanent,
    RateLimited,
    Transient,
    Unknown,
)
from channels.zalo import MAX_DESCRIPTION, MAX_TITLE, ZaloAdapter, classify, cut
from tests.unit.zalo.conftest import make_post

POSTER = MediaFile(
    "ap-phich.png",
    "image/png",
    b"\x89PNG\r\n\x1a\n" + bytes(100),
    url="http://publisher.test/media/abc123/ap-phich.png",
)


def test_article_goes_out_with_every_field_and_its_id(adapter, zalo):
    result = adapter.publish(make_post(media=(POSTER,)))
    [article] = zalo.articles()
    assert result.external_id == article["id"]
    assert result.external_url == article["link_view"]
    assert article["verified"] is True
    assert article["title"] == "Chủ nhật Đỏ 2025: hiến máu tình nguyện"
    assert article["author"] == "Hội Chữ thập đỏ tỉnh Lai Châu"
    assert article["description"] == "Ngày hội hiến máu tại Lai Châu"
    assert article["status"] == "show"
    assert article["cover"]["photo_url"] == POSTER.url
    kinds = [p["type"] for p in article["body"]]
    assert kinds == ["text", "text", "image", "text"]
    assert article["body"][0]["content"] == "Mời bạn đến Nhà văn hóa tỉnh Lai Châu."
    # Creation is asynchronous: the first verify answered -214, the second gave the id.
    assert len(zalo.calls("/article/verify")) == 2
    assert zalo.broadcasts == []


def test_token_travels_in_the_access_token_header_only(adapter, zalo, store):
    adapter.publish(make_post())
    for call in zalo.calls("/v2.0/"):
        assert call.headers["access_token"] == store.settings["access_token"]
        assert "access_token" not in call.params
        assert "Authorization" not in call.headers and "authorization" not in call.headers


def test_without_a_poster_the_campaign_image_is_the_cover(adapter, zalo):
    adapter.publish(make_post())
    assert zalo.articles()[0]["cover"]["photo_url"].endswith("/campaigns/chu-nhat-do/image.png?v=1")


def test_no_cover_at_all_is_refused_before_any_call(adapter, zalo):
    with pytest.raises(Permanent, match="ảnh bìa"):
        adapter.publish(make_post(share=None))
    assert zalo.requests_log == []


def test_long_fields_are_cut_at_words_with_an_ellipsis(make_adapter, zalo):
    adapter = make_adapter(
        settings={"author": "Ban chỉ đạo vận động hiến máu tình nguyện tỉnh Lai Châu năm 2025"}
    )
    title = "Hiến máu cứu người " * 20
    summary = "Một giọt máu cho đi, một cuộc đời ở lại. " * 20
    adapter.publish(make_post(title=title, summary=summary))
    [article] = zalo.articles()
    for name, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION), ("author", 50)):
        assert len(article[name]) <= limit
        assert article[name].endswith("…")
        assert not article[name][:-1].endswith(" ")
    assert article["title"][:-1] == cut(title, MAX_TITLE)[:-1]
    assert title.startswith(article["title"][:-1])


def test_cut_keeps_short_text_and_breaks_at_a_space():
    assert cut("Ngắn gọn", 10) == "Ngắn gọn"
    assert cut("một hai ba bốn năm", 12) == "một hai ba…"
    assert len(cut("x" * 400, 150)) == 150


def test_preview_warns_about_what_will_be_cut():
    preview = ZaloAdapter.preview(make_post(title="Tiêu đề rất dài " * 20))
    assert preview.style == "article"
    assert len(preview.heading) <= MAX_TITLE
    assert any("Tiêu đề" in w and "150" in w for w in preview.warnings)
    assert preview.image_url.endswith("image.png?v=1")
    assert not ZaloAdapter.preview(make_post()).warnings
    assert any("ảnh bìa" in w for w in ZaloAdapter.preview(make_post(share=None)).warnings)


def test_a_large_poster_is_given_by_its_thumbnail():
    big = MediaFile("a.png", "image/png", bytes(2 * 1024 * 1024), url="http://x.test/media/k/a.png")
    assert ZaloAdapter.prepare_media(big).url == "http://x.test/media/k/thumbnail/a.png"
    assert ZaloAdapter.prepare_media(POSTER) is POSTER


@pytest.mark.parametrize(
    ("code", "error", "retry_after"),
    [
        (-32, RateLimited, 60),
        (-211, RateLimited, 3600),
        (-216, ChannelBroken, None),
        (-220, ChannelBroken, None),
        (-124, ChannelBroken, None),
        (-219, ChannelBroken, None),
        (-223, ChannelBroken, None),
        (-209, ChannelBroken, None),
        (-212, ChannelBroken, None),
        (-221, ChannelBroken, None),
        (-224, ChannelBroken, None),
        (-204, ChannelBroken, None),
        (-205, ChannelBroken, None),
        (-242, ChannelBroken, None),
        (-214, Transient, None),
        (-201, Permanent, None),
        (-210, Permanent, None),
        (-248, Permanent, None),
        (-234, Permanent, None),
        (-999, Permanent, None),
    ],
)
def test_every_documented_code_has_a_class(code, error, retry_after):
    exc = classify(code, "message from Zalo")
    assert type(exc) is error
    assert "message from Zalo" in exc.message
    if retry_after is not None:
        assert exc.retry_after == retry_after


@pytest.mark.parametrize(
    ("code", "error"),
    [(-32, RateLimited), (-211, RateLimited), (-224, ChannelBroken), (-210, Permanent)],
)
def test_refusals_of_create_leave_no_article(adapter, zalo, code, error):
    zalo.inject_error(code, "refused", path_contains="/article/create")
    with pytest.raises(error):
        adapter.publish(make_post())
    assert zalo.articles() == []


def test_field_over_the_limit_is_refused_by_the_emulator(adapter, zalo, store):
    import requests

    answer = requests.post(
        zalo.base_url + "/v2.0/article/create",
        json={
            "type": "normal",
            "title": "x" * 151,
            "author": "a",
            "description": "d",
            "cover": {"cover_type": "photo", "photo_url": "http://x/y.png", "status": "show"},
            "body": [{"type": "text", "content": "c"}],
            "status": "show",
        },
        headers={"access_token": store.settings["access_token"]},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["error"] == -210


def test_gateway_error_on_create_is_an_unknown_outcome(adapter, zalo):
    zalo.inject_raw(502, path_contains="/article/create", after_store=True)
    with pytest.raises(Unknown):
        adapter.publish(make_post())
    assert len(zalo.articles()) == 1  # it did go through: reconcile must find it


def test_dropped_create_is_unknown_and_lookup_finds_the_article(adapter, zalo):
    zalo.drop_after_store(path_contains="/article/create")
    since = datetime.now(UTC)
    with pytest.raises(Unknown):
        adapter.publish(make_post())
    found = adapter.lookup(make_post(), since)
    [article] = zalo.articles()
    assert found is not None and found.external_id == article["id"]
    assert adapter.lookup(make_post(text="Những lời khác hẳn."), since) is None


def test_verify_that_never_finishes_is_unknown(make_adapter, zalo):
    zalo.state.processing_polls = 1000
    adapter = make_adapter(verify_wait=0.2)
    with pytest.raises(Unknown, match="chưa xác nhận"):
        adapter.publish(make_post())
    found = adapter.lookup(make_post(), datetime.now(UTC) - timedelta(minutes=1))
    assert found is not None and found.external_id == zalo.articles()[0]["id"]


def test_lookup_pages_through_the_newest_articles(adapter, zalo):
    since = datetime.now(UTC)
    adapter.publish(make_post())
    for n in range(24):
        adapter.publish(
            make_post(title=f"Bài khác {n}", text=f"Nội dung {n}", publication_id=100 + n)
        )
    found = adapter.lookup(make_post(), since)
    assert found is not None and found.external_id == zalo.articles()[0]["id"]
    assert all(int(c.params["limit"]) <= 10 for c in zalo.calls("/getslice"))


def test_lookup_ignores_articles_older_than_the_attempt(adapter, zalo):
    adapter.publish(make_post())
    assert adapter.lookup(make_post(), datetime.now(UTC) + timedelta(hours=1)) is None


def test_read_errors_are_transient(adapter, zalo):
    zalo.inject_raw(503, path_contains="/getslice")
    with pytest.raises(Transient):
        adapter.lookup(make_post(), datetime.now(UTC))


def test_broadcast_follows_the_article_once(make_adapter, zalo):
    adapter = make_adapter(settings={"broadcast": True})
    result = adapter.publish(make_post())
    [article] = zalo.articles()
    [sent] = zalo.broadcasts
    assert sent["article_ids"] == [article["id"]]
    assert "đã gửi" in result.excerpt


def test_failed_broadcast_keeps_the_article_and_says_so(make_adapter, zalo):
    adapter = make_adapter(settings={"broadcast": True})
    zalo.inject_error(-234, "cannot be sent at night", path_contains="/oa/message")
    result = adapter.publish(make_post())
    assert result.external_id == zalo.articles()[0]["id"]
    assert zalo.broadcasts == []
    assert "ban đêm" in result.excerpt


def test_lost_broadcast_answer_is_never_sent_again(make_adapter, zalo):
    adapter = make_adapter(settings={"broadcast": True})
    zalo.drop_after_store(path_contains="/oa/message")
    result = adapter.publish(make_post())
    assert len(zalo.broadcasts) == 1
    assert len(zalo.calls("/oa/message")) == 1
    assert "không rõ" in result.excerpt
    assert len(zalo.articles()) == 1


def test_withdraw_removes_and_tolerates_a_gone_article(adapter, zalo):
    result = adapter.publish(make_post())
    adapter.withdraw(result.external_id)
    assert zalo.articles() == []
    assert zalo.articles(include_removed=True)[0]["removed"] is True
    adapter.withdraw(result.external_id)  # already gone: done


def test_withdraw_of_an_unreachable_zalo_is_retried(adapter, zalo):
    result = adapter.publish(make_post())
    zalo.inject_raw(502, path_contains="/article/remove")
    with pytest.raises(Transient):
        adapter.withdraw(result.external_id)
    assert len(zalo.articles()) == 1


def test_sticky_faults_last_until_cleared(adapter, zalo):
    zalo.inject_error(-211, "Out of quota", path_contains="/article/create", sticky=True)
    for _ in range(3):
        with pytest.raises(RateLimited):
            adapter.publish(make_post())
    zalo.clear_faults()
    adapter.publish(make_post())
    assert len(zalo.articles()) == 1
    assert [c.answer["error"] for c in zalo.calls("/article/create")][:3] == [-211] * 3


def test_emulator_refuses_a_token_in_the_query(zalo, store):
    import requests

    answer = requests.get(
        zalo.base_url + "/v2.0/oa/getoa",
        params={"access_token": store.settings["access_token"]},
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["error"] == -216


def test_an_article_found_by_reconciling_is_not_broadcast(make_adapter, zalo):
    adapter = make_adapter(settings={"broadcast": True})
    zalo.drop_after_store(path_contains="/article/create")
    since = datetime.now(UTC)
    with pytest.raises(Unknown):
        adapter.publish(make_post())
    found = adapter.lookup(make_post(), since)
    assert found is not None and "gửi tay" in found.excerpt
    assert zalo.broadcasts == [] and zalo.calls("/oa/message") == []
