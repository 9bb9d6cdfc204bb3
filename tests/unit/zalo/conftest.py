"""Fixtures for the Zalo OA adapter: a live emulator per test, adapters on it, a token store."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from channels.base import MediaFile, RenderedPost
from channels.zalo import ZaloAdapter
from tests.fakes.memory_store import MemoryStore
from tests.fakes.zalo_oa import ZaloEmulator
from tests.unit.adapter_factory import adapters_on

APP_ID = "3012345678901234567"


@pytest.fixture
def zalo() -> Iterator[ZaloEmulator]:
    with ZaloEmulator() as emulator:
        yield emulator


@pytest.fixture
def app_secret() -> str:
    return secrets.token_urlsafe(12)


@pytest.fixture
def store(zalo: ZaloEmulator, app_secret: str) -> MemoryStore:
    access, refresh = zalo.add_app(APP_ID, app_secret)
    return MemoryStore(
        {
            "app_id": APP_ID,
            "app_secret": app_secret,
            "access_token": access,
            "refresh_token": refresh,
        }
    )


@pytest.fixture
def make_adapter(zalo: ZaloEmulator, store: MemoryStore) -> Iterator[Callable[..., ZaloAdapter]]:
    yield from adapters_on(
        ZaloAdapter,
        slug="zalo-laichau",
        name="Hội Chữ thập đỏ tỉnh Lai Châu",
        base_settings=store.settings,
        base_options={
            "openapi_url": zalo.base_url,
            "oauth_url": zalo.base_url,
            "timeout": 2,
            "connect_timeout": 1,
            "verify_wait": 2,
            "verify_poll": 0.02,
        },
        store=store,
    )


@pytest.fixture
def adapter(make_adapter: Callable[..., ZaloAdapter]) -> ZaloAdapter:
    return make_adapter()


def make_post(
    title: str = "Chủ nhật Đỏ 2025: hiến máu tình nguyện",
    text: str = "Mời bạn đến Nhà văn hóa tỉnh Lai Châu.\n\nTừ 7 giờ 30, mang căn cước.",
    *,
    summary: str = "Ngày hội hiến máu tại Lai Châu",
    media: tuple[MediaFile, ...] = (),
    share: str | None = "http://publisher.test/campaigns/chu-nhat-do/image.png?v=1",
    publication_id: int = 7,
) -> RenderedPost:
    return RenderedPost(
        publication_id=publication_id,
        idempotency_key=f"pub-{publication_id}-abc",
        title=title,
        text=text,
        summary=summary,
        link=f"http://publisher.test/articles/{publication_id}-chu-nhat-do",
        media=media,
        extra={"share_image_url": share} if share else {},
    )
