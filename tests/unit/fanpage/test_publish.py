"""Publishing text, links and posters to the emulated Page over real HTTP."""

from __future__ import annotations

import json

import pytest

from channels.base import ChannelBroken, Permanent, SettingsInvalid, Transient, fingerprint
from channels.fanpage import FanpageAdapter, compose_message
from tests.fakes import appsecret_proof
from tests.unit.fanpage.conftest import JPEG, PAGE_ID, PNG, make_post, poster


def test_text_post_lands_on_the_page_with_its_permalink(adapter, graph):
    result = adapter.publish(make_post())

    (stored,) = graph.posts(PAGE_ID)
    assert result.external_id == stored["id"]
    assert result.external_url == stored["permalink_url"]
    assert stored["message"] == "Chủ nhật Đỏ 2025\n\nMời bạn tham gia hiến máu tình nguyện " + (
        "tại Nhà văn hóa tỉnh Lai Châu."
    )
    assert stored["link"] is None
    (call,) = graph.requests_log
    assert (call.method, call.path, call.body_kind) == ("POST", "/v25.0/1001/feed", "form")
    assert call.params["fields"] == "id,permalink_url"
    # The token travels in a header, never in the URL where logs would keep it.
    assert "access_token" not in call.params
    assert call.headers["Authorization"].startswith("Bearer ")
    assert result.throttle_seconds == 0


def test_link_post_sends_the_link_apart_from_the_message(adapter, graph):
    link = "https://hienmau.laichau.gov.vn/chu-nhat-do"
    adapter.publish(make_post(link=link))

    (stored,) = graph.posts(PAGE_ID)
    assert stored["link"] == link
    assert link not in stored["message"]


def test_one_poster_goes_up_as_a_photo_with_the_link_in_its_caption(adapter, graph):
    link = "https://hienmau.laichau.gov.vn/xuan-hong"
    result = adapter.publish(make_post(link=link, media=(poster(),)))

    (photo,) = graph.photos(PAGE_ID)
    assert photo["data"] == PNG
    assert (photo["filename"], photo["mime"], photo["published"]) == (
        "poster.png",
        "image/png",
        True,
    )
    assert photo["caption"].endswith("\n\n" + link)
    assert result.external_id == photo["post_id"]
    (stored,) = graph.posts(PAGE_ID)
    assert result.external_url == stored["permalink_url"]
    upload = graph.requests_log[0]
    assert upload.body_kind == "multipart"
    assert upload.files["source"].data == PNG


def test_several_posters_become_one_post_with_attached_media(adapter, graph):
    result = adapter.publish(
        make_post(media=(poster("a.png"), poster("b.jpg", JPEG, "image/jpeg")))
    )

    photos = graph.photos(PAGE_ID)
    assert [p["published"] for p in photos] == [False, False]
    (stored,) = graph.posts(PAGE_ID, include_unpublished=True)
    assert stored["id"] == result.external_id
    assert stored["attached_media"] == [p["id"] for p in photos]
    assert stored["message"] == compose_message(make_post())
    feed = graph.requests_log[-1]
    assert json.loads(feed.params["attached_media"]) == [{"media_fbid": p["id"]} for p in photos]
    assert [p["data"] for p in photos] == [PNG, JPEG]


def test_a_failed_album_removes_its_orphan_photos(adapter, graph):
    graph.inject_error(100, method="POST", path_contains="/feed", message="(#100) Bad message")

    with pytest.raises(Permanent):
        adapter.publish(make_post(media=(poster("a.png"), poster("b.png"))))

    assert graph.photos(PAGE_ID) == []
    assert graph.posts(PAGE_ID) == []


def test_an_unknown_photo_upload_is_safe_to_retry(adapter, graph):
    # Unpublished photos are invisible, so an unclear upload must not freeze the publication.
    graph.inject_error(2, method="POST", path_contains="/photos")

    with pytest.raises(Transient):
        adapter.publish(make_post(media=(poster("a.png"), poster("b.png"))))
    assert graph.posts(PAGE_ID) == []


def test_compose_message_is_deterministic_and_normalised():
    post = make_post(title="  Ngày toàn dân hiến máu 7/4 ", text="Dòng 1\r\nDòng 2\n")

    assert compose_message(post) == "Ngày toàn dân hiến máu 7/4\n\nDòng 1\nDòng 2"
    assert compose_message(make_post(link="https://x.vn")) == compose_message(make_post())
    media_post = make_post(link="https://x.vn", media=(poster(),))
    assert compose_message(media_post).endswith("\n\nhttps://x.vn")
    assert fingerprint(compose_message(post)) == fingerprint(compose_message(post))
    decomposed = make_post(title="Hie\u0302\u0301n ma\u0301u", text="")
    assert compose_message(decomposed) == "Hiến máu"


@pytest.mark.parametrize(
    ("post", "words"),
    [
        (make_post(title="", text=""), "không có nội dung"),
        (make_post(text="x" * 64000), "vượt giới hạn"),
        (make_post(media=(poster("p.webp", mime="image/webp"),)), "JPEG hoặc PNG"),
        (make_post(media=(poster(data=PNG * 20000),)), "4 MB"),
    ],
)
def test_posts_facebook_would_refuse_fail_before_any_call(adapter, graph, post, words):
    with pytest.raises(Permanent, match=words):
        adapter.publish(post)
    assert graph.requests_log == []


def test_appsecret_proof_is_sent_and_checked(graph, make_adapter):
    token = graph.add_page("2002", app_secret="bí-mật", token="EAA2002")
    adapter = make_adapter(
        settings={"page_id": "2002", "access_token": token, "app_secret": "bí-mật"}
    )

    adapter.publish(make_post())

    (call,) = graph.requests_log
    assert call.params["appsecret_proof"] == appsecret_proof("bí-mật", token)
    assert len(graph.posts("2002")) == 1


@pytest.mark.parametrize("secret", [None, "sai-khoá"])
def test_a_missing_or_wrong_app_secret_breaks_the_channel(graph, make_adapter, secret):
    token = graph.add_page("2002", app_secret="đúng", token="EAA2002")
    settings = {"page_id": "2002", "access_token": token}
    if secret:
        settings["app_secret"] = secret

    with pytest.raises(ChannelBroken, match="appsecret_proof"):
        make_adapter(settings=settings).publish(make_post())
    assert graph.posts("2002") == []


def test_missing_settings_break_the_channel_without_calling(graph, make_adapter):
    adapter = make_adapter(settings={"access_token": ""})

    with pytest.raises(ChannelBroken, match="access_token"):
        adapter.publish(make_post())
    assert graph.requests_log == []


def test_version_option_is_used(graph, make_adapter):
    make_adapter(graph_version="24.0").publish(make_post())

    assert graph.requests_log[0].version == "v24.0"


def test_settings_schema_marks_secrets():
    assert FanpageAdapter.secret_fields() == {"access_token", "app_secret"}
    assert FanpageAdapter.validate_settings({"page_id": " 1001 ", "access_token": "t"}) == {
        "page_id": "1001",
        "access_token": "t",
    }
    with pytest.raises(SettingsInvalid) as caught:
        FanpageAdapter.validate_settings({"page_id": "hoichuthapdo", "access_token": "t"})
    assert set(caught.value.errors) == {"page_id"}
    with pytest.raises(SettingsInvalid) as caught:
        FanpageAdapter.validate_settings({"page_id": "1001"})
    assert set(caught.value.errors) == {"access_token"}
    assert (FanpageAdapter.kind, FanpageAdapter.label) == ("fanpage", "Trang Facebook")
    assert FanpageAdapter.can_withdraw and FanpageAdapter.can_lookup
    assert not FanpageAdapter.idempotent
