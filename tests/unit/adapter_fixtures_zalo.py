"""The Zalo OA kind's entry for the adapter conformance test (see adapter_fixtures.py).

Its world is the Zalo emulator (OpenAPI and OAuth v4 on one loopback server) with an app
authorised by the OA, and an in-memory credential store: Zalo's access tokens rotate through
``config.store``, and the store saves into the world's settings, so an adapter built after a
rotation starts from the stored pair, as the service would load it.

It builds on the definitions in adapter_fixtures.py; adapter_fixture_table.py lists it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from typing import Any

from channels.base import (
    ChannelBroken,
    ChannelError,
    DeliveryResult,
    HealthReport,
    Permanent,
    RateLimited,
    RenderedPost,
    Transient,
    Unknown,
)
from channels.zalo import EXPIRES_SETTING, REAUTHORISE
from tests.fakes.memory_store import MemoryStore
from tests.fakes.zalo_oa import ZaloEmulator
from tests.unit.adapter_fixtures import Case, KindFixture, World, closed_port, post, since

APP_ID = "3012345678901234567"
COVER = "http://publisher.test/campaigns/chu-nhat-do/image.png?v=1"


@contextlib.contextmanager
def zalo_world() -> Iterator[World]:
    with ZaloEmulator() as zalo:
        app_secret = secrets.token_urlsafe(12)
        access, refresh = zalo.add_app(APP_ID, app_secret)
        settings = {
            "app_id": APP_ID,
            "app_secret": app_secret,
            "access_token": access,
            "refresh_token": refresh,
        }
        world = World(
            "zalo",
            settings,
            {
                "openapi_url": zalo.base_url,
                "oauth_url": zalo.base_url,
                "timeout": 2,
                "connect_timeout": 1,
                "verify_wait": 2,
                "verify_poll": 0.02,
            },
            zalo,
            store=MemoryStore(settings),
        )
        try:
            yield world
        finally:
            world.close()


def article_post(**changes: Any) -> RenderedPost:
    """The common post with a share image: a Zalo article needs a cover."""
    extra = {**post().extra, "share_image_url": COVER, **changes.pop("extra", {})}
    return post(extra=extra, **changes)


def _publish(world: World) -> DeliveryResult:
    return world.adapter().publish(article_post())


def _published_once(world: World, result: DeliveryResult) -> None:
    [article] = world.server.articles()
    assert result.external_id == article["id"]
    assert result.external_url == article["link_view"]
    assert article["verified"] is True
    assert article["title"] == "Hiến máu tình nguyện"
    assert article["cover"]["photo_url"] == COVER
    assert world.server.broadcasts == []
    found = world.adapter().lookup(article_post(), since())
    assert found is not None and found.external_id == result.external_id


def _expired_then_publish(world: World) -> DeliveryResult:
    world.server.expire_access_tokens()
    return _publish(world)


def _renewed_through_the_store(world: World, result: DeliveryResult) -> None:
    assert [r["verdict"] for r in world.server.refreshes] == ["ok"]
    [commit] = world.store.commits
    assert world.settings["access_token"] == commit["access_token"]
    create = world.server.calls("/article/create")[-1]
    assert create.headers["access_token"] == commit["access_token"]
    assert len(world.server.articles()) == 1


def _publish_then_withdraw(world: World) -> str:
    result = _publish(world)
    world.adapter().withdraw(result.external_id)
    return result.external_id


def _withdrawn(world: World, external_id: str) -> None:
    assert world.server.articles() == []
    [removed] = world.server.articles(include_removed=True)
    assert removed["id"] == external_id and removed["removed"] is True
    world.adapter().withdraw(external_id)  # already gone counts as withdrawn


def _healthy(world: World, report: HealthReport) -> None:
    assert isinstance(report, HealthReport)
    assert report.status == "ok", report
    # No expiry was known, so the check renewed the pair ahead of time, through the store.
    [commit] = world.store.commits
    assert report.expires_at is not None
    assert world.settings[EXPIRES_SETTING] == commit[EXPIRES_SETTING]


def _zalo_error(code: int, message: str, *, path: str = "/article/create", act=None):
    def run(world: World) -> Any:
        world.server.inject_error(code, message, path_contains=path)
        adapter = world.adapter()
        return act(adapter) if act else adapter.publish(article_post())

    return run


def _listing_unavailable(world: World) -> Any:
    world.server.inject_raw(503, path_contains="/article/getslice")
    return world.adapter().lookup(article_post(), since())


def _app_removed(world: World) -> Any:
    world.server.revoke(APP_ID)
    return _publish(world)


def _dropped_after_store(world: World) -> Any:
    world.server.drop_after_store(path_contains="/article/create")
    return _publish(world)


def _article_exists(world: World, error: ChannelError) -> None:
    # The outcome was unknown, and indeed the article exists: lookup reconciles it.
    [stored] = world.server.articles()
    found = world.adapter().lookup(article_post(), since())
    assert found is not None and found.external_id == stored["id"]


def _nothing_created(world: World, error: ChannelError) -> None:
    assert world.server.articles(include_removed=True) == []


def _nothing_sent(world: World, error: ChannelError) -> None:
    assert world.server.requests_log == []


def _nothing_stored(world: World, error: ChannelError) -> None:
    assert world.server.articles(include_removed=True) == []
    assert world.store.commits == []
    assert world.settings["refresh_token"] not in error.message


VALID = {
    "app_id": APP_ID,
    "app_secret": "zalo-app-secret",
    "access_token": "zalo-access-token",
    "refresh_token": "zalo-refresh-token",
    "broadcast": True,
}

ZALO = KindFixture(
    world=zalo_world,
    valid=VALID,
    refused=(
        ({**VALID, "broadcast": "yes"}, {"broadcast": "must be a boolean"}),
        ({**VALID, "author": "Hội Chữ thập đỏ " * 20}, {"author": "is too long"}),
        (
            {"app_id": APP_ID},
            dict.fromkeys(("app_secret", "access_token", "refresh_token"), "is required"),
        ),
    ),
    cases=(
        Case("published", _publish, then=_published_once),
        Case(
            "expired access token renewed through the store",
            _expired_then_publish,
            then=_renewed_through_the_store,
        ),
        Case("withdrawn", _publish_then_withdraw, then=_withdrawn),
        Case("token healthy", lambda w: w.adapter().check(), then=_healthy),
        Case(
            "openapi not listening",
            lambda w: w.adapter(openapi_url=f"http://127.0.0.1:{closed_port()}").publish(
                article_post()
            ),
            Transient,
            r"Không kết nối được tới Zalo; sẽ thử lại\. \(ConnectionError: .*\)",
        ),
        Case(
            "gateway error while looking up",
            _listing_unavailable,
            Transient,
            r"Zalo tạm thời không trả lời được \(HTTP 503\); sẽ thử lại\.",
        ),
        Case(
            "per-minute limit",
            _zalo_error(-32, "Application request limit reached"),
            RateLimited,
            r"Zalo giới hạn số lần gọi mỗi phút; tạm nghỉ 1 phút rồi thử lại\. "
            r"\[Zalo -32: Application request limit reached\]",
            retry_after=60.0,
            then=_nothing_created,
        ),
        Case(
            "out of quota",
            _zalo_error(-211, "Out of quota"),
            RateLimited,
            r"OA đã hết hạn mức gọi API; tạm nghỉ 1 giờ rồi thử lại, giữ nguyên lượt gửi\. "
            r"\[Zalo -211: Out of quota\]",
            retry_after=3600.0,
            then=_nothing_created,
        ),
        Case(
            "content against the platform's standards",
            _zalo_error(-248, "Content violates the platform's standards"),
            Permanent,
            r"Zalo từ chối bài viết: nội dung vi phạm tiêu chuẩn của nền tảng\. "
            r"\[Zalo -248: Content violates the platform's standards\]",
            then=_nothing_created,
        ),
        Case(
            "no cover image",
            lambda w: w.adapter().publish(post()),
            Permanent,
            r"Bài viết Zalo cần ảnh bìa \(áp phích hoặc ảnh chiến dịch\) mà bài này không có\.",
            then=_nothing_sent,
        ),
        Case(
            "withdraw without an article id",
            lambda w: w.adapter().withdraw(""),
            Permanent,
            r"Thiếu mã bài viết Zalo\.",
            then=_nothing_sent,
        ),
        Case(
            "app removed by the OA admin: the refresh is refused",
            _app_removed,
            ChannelBroken,
            r"Zalo từ chối làm mới mã truy cập \(Refresh token is not valid \(unknown app\)\)\. "
            + re.escape(REAUTHORISE),
            then=_nothing_stored,
        ),
        Case(
            "OA has not granted the API",
            _zalo_error(-223, "Official Account has not granted permission"),
            ChannelBroken,
            r"Kênh Zalo cần cấu hình lại: OA chưa cấp quyền cho ứng dụng dùng API này\. "
            r"\[Zalo -223: Official Account has not granted permission\]",
            then=_nothing_created,
        ),
        Case(
            "connection dropped after the article was stored",
            _dropped_after_store,
            Unknown,
            r"Không rõ Zalo đã nhận yêu cầu hay chưa \(mất kết nối hoặc quá thời gian chờ: "
            r"ConnectionError: .*\); cần đối chiếu trước khi gửi lại\.",
            then=_article_exists,
        ),
    ),
)
