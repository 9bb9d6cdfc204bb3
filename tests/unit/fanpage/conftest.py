"""Fixtures for the Facebook Page adapter: a live Graph emulator per test and adapters on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from channels.base import MediaFile, RenderedPost
from channels.fanpage import FanpageAdapter
from tests.fakes import GraphEmulator
from tests.unit.adapter_factory import adapters_on

PAGE_ID = "1001"
# Only the signature matters to Graph's upload check; the rest is arbitrary payload.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + bytes(200)


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        yield emulator


@pytest.fixture
def token(graph: GraphEmulator) -> str:
    return graph.add_page(PAGE_ID, "Hội Chữ thập đỏ tỉnh Lai Châu")


@pytest.fixture
def make_adapter(graph: GraphEmulator, token: str) -> Iterator[Callable[..., FanpageAdapter]]:
    """Build adapters pointed at the emulator; each is closed after the test."""
    yield from adapters_on(
        FanpageAdapter,
        slug="fanpage-laichau",
        name="Trang Hội Chữ thập đỏ",
        base_settings={"page_id": PAGE_ID, "access_token": token},
        base_options={"graph_url": graph.base_url, "timeout": 2, "connect_timeout": 1},
    )


@pytest.fixture
def adapter(make_adapter: Callable[..., FanpageAdapter]) -> FanpageAdapter:
    return make_adapter()


def make_post(
    title: str = "Chủ nhật Đỏ 2025",
    text: str = "Mời bạn tham gia hiến máu tình nguyện tại Nhà văn hóa tỉnh Lai Châu.",
    *,
    link: str | None = None,
    media: tuple[MediaFile, ...] = (),
    publication_id: int = 7,
) -> RenderedPost:
    return RenderedPost(
        publication_id=publication_id,
        idempotency_key=f"pub-{publication_id}",
        title=title,
        text=text,
        link=link,
        media=media,
    )


def poster(name: str = "poster.png", data: bytes = PNG, mime: str = "image/png") -> MediaFile:
    return MediaFile(filename=name, mime=mime, data=data)
