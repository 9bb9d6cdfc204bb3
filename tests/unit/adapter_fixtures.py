"""What the adapter conformance test needs of each channel kind: one entry per kind.

Each entry says how to stand up the kind's world (its emulator or loopback server, or
nothing for a kind that calls nobody), which settings are valid and which are refused with
which errors, and the cases: something done to a fresh adapter, and the exact outcome, a
result or an error of one class with its message (a regular expression the whole message
must match) and, for ``RateLimited``, its ``retry_after``.

A new kind adds one entry to ``FIXTURES`` (tests/unit/adapter_fixture_table.py); the
conformance test fails for a registered kind without one, and for an error class the
kind's code raises that no case produces.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.base import (
    Adapter,
    ChannelBroken,
    ChannelConfig,
    ChannelError,
    DeliveryResult,
    HealthReport,
    NotSupported,
    Permanent,
    RateLimited,
    RenderedPost,
    Transient,
    Unknown,
)
from channels.registry import adapter_class
from tests.fakes.graph_api import GraphEmulator
from tests.fakes.receiver import Receiver


@dataclass
class World:
    """A kind's surroundings for one case: its server (if any) and how to build adapters."""

    kind: str
    settings: dict[str, Any]
    options: dict[str, Any]
    server: Any = None
    # Where rotated credentials are saved (a CredentialStore), for kinds whose tokens rotate.
    store: Any = None
    made: list[Adapter] = field(default_factory=list)

    def adapter(self, settings: Mapping[str, Any] | None = None, **options: Any) -> Adapter:
        config = ChannelConfig(
            channel_id=1,
            slug=f"{self.kind}-1",
            name=f"Kênh {self.kind}",
            settings={**self.settings, **(settings or {})},
            options={**self.options, **options},
            store=self.store,
        )
        made = adapter_class(self.kind)(config)
        self.made.append(made)
        return made

    def close(self) -> None:
        for made in self.made:
            close = getattr(made, "close", None)
            if close is not None:
                close()


@dataclass(frozen=True)
class Case:
    """One thing done to a fresh adapter (``run``) and what must come of it.

    ``error`` None means success: ``then(world, result)`` checks the result. Otherwise the
    error must be of exactly that class, its message must match ``message`` in full, and
    ``then(world, error)`` checks the rest (``retry_after`` is checked for every RateLimited).
    """

    name: str
    run: Callable[[World], Any]
    error: type[ChannelError] | None = None
    message: str = ""
    retry_after: float | None = None
    then: Callable[[World, Any], None] | None = None


@dataclass(frozen=True)
class KindFixture:
    """A kind's world, valid settings, refused settings and cases."""

    world: Callable[[], contextlib.AbstractContextManager[World]]
    valid: Mapping[str, Any]
    # Settings refused, with the exact ``SettingsInvalid.errors`` expected.
    refused: tuple[tuple[Mapping[str, Any], Mapping[str, str]], ...]
    cases: tuple[Case, ...]


def post(publication_id: int = 7, **changes: Any) -> RenderedPost:
    """A post as the pipeline renders it, in Vietnamese."""
    values: dict[str, Any] = {
        "publication_id": publication_id,
        "idempotency_key": f"pub-{publication_id}-abc",
        "title": "Hiến máu tình nguyện",
        "text": "Ngày 20/12/2024 lúc 7h30 tại Hội trường UBND phường Tân Phong.",
        "html": "<p>Ngày 20/12/2024 lúc 7h30</p>",
        "summary": "Ngày hội hiến máu",
        "link": f"http://publisher.test/articles/{publication_id}-hien-mau",
        "scheduled_at": datetime.now(UTC),
        "expires_at": datetime.now(UTC) + timedelta(days=1),
        "extra": {"guid": f"tag:publisher.test,2025:content-{publication_id}"},
    }
    values.update(changes)
    return RenderedPost(**values)


def since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- webhook: a loopback receiver ------------------------------------------------------

WEBHOOK_SECRET = "receiver-secret-0123456789"


@contextlib.contextmanager
def webhook_world() -> Iterator[World]:
    with Receiver(secret=WEBHOOK_SECRET) as receiver:
        world = World(
            "webhook",
            {"url": receiver.url, "secret": WEBHOOK_SECRET},
            {"timeout": 2, "allow_private": True},
            receiver,
        )
        try:
            yield world
        finally:
            world.close()


def _webhook_delivered(world: World, result: DeliveryResult) -> None:
    [request] = world.server.requests
    assert request["signed"], "the receiver could not verify the signature"
    assert request["key"] == "pub-7-abc"
    assert request["body"]["title"] == "Hiến máu tình nguyện"
    assert result.external_id == "recv-pub-7-abc"


def _answered(status: int, body: str, headers: Mapping[str, str] | None = None):
    def run(world: World) -> Any:
        world.server.fail_next((status, body, dict(headers or {})))
        return world.adapter().publish(post())

    return run


def _nothing_received(world: World, error: ChannelError) -> None:
    assert world.server.requests == []


WEBHOOK = KindFixture(
    world=webhook_world,
    valid={"url": "https://doitac.example.vn/hook", "secret": WEBHOOK_SECRET},
    refused=(
        (
            {"url": "ftp://doitac.example.vn/hook", "secret": WEBHOOK_SECRET},
            {"url": "must be an http(s) URL"},
        ),
        (
            {"url": "https://doitac.example.vn/hook", "secret": "short"},
            {"secret": "must be at least 16 characters"},
        ),
    ),
    cases=(
        Case("delivered", lambda w: w.adapter().publish(post()), then=_webhook_delivered),
        Case(
            "receiver busy",
            _answered(503, "busy"),
            Transient,
            r"receiver answered HTTP 503",
        ),
        Case(
            "receiver not listening",
            lambda w: w.adapter({"url": f"http://127.0.0.1:{closed_port()}/hook"}).publish(post()),
            Transient,
            r"could not connect: .*",
            then=_nothing_received,
        ),
        Case(
            "receiver asks to slow down, saying for how long",
            _answered(429, "slow down", {"Retry-After": "120"}),
            RateLimited,
            r"receiver asks to slow down \(429\)",
            retry_after=120.0,
        ),
        Case(
            "receiver asks to slow down, not saying for how long",
            _answered(429, "slow down"),
            RateLimited,
            r"receiver asks to slow down \(429\)",
            retry_after=60.0,
        ),
        Case(
            "receiver refuses the delivery",
            _answered(400, '{"error": "unknown campaign"}'),
            Permanent,
            r'receiver refused the delivery: HTTP 400 \{"error": "unknown campaign"\}',
        ),
        Case(
            "receiver on a private address while those are refused",
            lambda w: w.adapter(allow_private=False).publish(post()),
            Permanent,
            r"Địa chỉ webhook trỏ tới mạng nội bộ nên bị chặn / receiver address refused "
            r"\(OUTBOUND_ALLOW_PRIVATE is off\): 127\.0\.0\.1 resolves to non-public "
            r"address 127\.0\.0\.1",
            then=_nothing_received,
        ),
        Case(
            "receiver keeps the answer past the timeout",
            lambda w: (w.server.slow(3.0), w.adapter(timeout=1).publish(post())),
            Unknown,
            r"no answer in 1 s: .*",
        ),
    ),
)


# ---- fanpage: the Graph API emulator ---------------------------------------------------

PAGE_ID = "1001"


@contextlib.contextmanager
def fanpage_world() -> Iterator[World]:
    with GraphEmulator() as graph:
        token = graph.add_page(PAGE_ID)
        world = World(
            "fanpage",
            {"page_id": PAGE_ID, "access_token": token},
            {"graph_url": graph.base_url, "timeout": 2, "connect_timeout": 1},
            graph,
        )
        try:
            yield world
        finally:
            world.close()


def _posted_once(world: World, result: DeliveryResult) -> None:
    [stored] = world.server.posts(PAGE_ID)
    assert result.external_id == stored["id"]
    assert stored["message"].startswith("Hiến máu tình nguyện\n\n")
    found = world.adapter().lookup(post(), since())
    assert found is not None and found.external_id == result.external_id


def _post_then_withdraw(world: World) -> str:
    result = world.adapter().publish(post())
    world.adapter().withdraw(result.external_id)
    return result.external_id


def _withdrawn(world: World, external_id: str) -> None:
    assert [p["id"] for p in world.server.posts(PAGE_ID)] == []
    world.adapter().withdraw(external_id)  # already gone counts as withdrawn


def _healthy(world: World, report: HealthReport) -> None:
    assert isinstance(report, HealthReport)
    assert report.status == "ok", report


def _graph_error(code: int, subcode: int | None = None, *, method: str = "POST", act=None):
    def run(world: World) -> Any:
        world.server.inject_error(code, subcode, method=method)
        adapter = world.adapter()
        return act(adapter) if act else adapter.publish(post())

    return run


def _invalidated(world: World) -> Any:
    world.server.invalidate_token(world.settings["access_token"], 460)
    return world.adapter().publish(post())


def _dropped_after_store(world: World) -> Any:
    world.server.drop_after_store()
    return world.adapter().publish(post())


def _post_exists(world: World, error: ChannelError) -> None:
    # The outcome was unknown, and indeed the post exists: lookup reconciles it.
    [stored] = world.server.posts(PAGE_ID)
    found = world.adapter().lookup(post(), since())
    assert found is not None and found.external_id == stored["id"]


def _nothing_posted(world: World, error: ChannelError) -> None:
    assert world.server.posts(PAGE_ID) == []


FANPAGE = KindFixture(
    world=fanpage_world,
    valid={"page_id": PAGE_ID, "access_token": "EAAPAGE1001TOKEN"},
    refused=(
        (
            {"page_id": "trang-hien-mau", "access_token": "EAAX"},
            {"page_id": "must be the numeric Page ID"},
        ),
    ),
    cases=(
        Case("posted", lambda w: w.adapter().publish(post()), then=_posted_once),
        Case("withdrawn", _post_then_withdraw, then=_withdrawn),
        Case("token healthy", lambda w: w.adapter().check(), then=_healthy),
        Case(
            "graph not listening",
            lambda w: w.adapter(graph_url=f"http://127.0.0.1:{closed_port()}").publish(post()),
            Transient,
            r"Không kết nối được tới Facebook; sẽ thử lại\. \(ConnectionError: .*\)",
        ),
        Case(
            "graph busy while looking up",
            _graph_error(2, method="GET", act=lambda a: a.lookup(post(), since())),
            Transient,
            r"Facebook tạm thời không trả lời được \(lỗi 2: An unexpected error has occurred\. "
            r"Please retry your request later\.\); sẽ thử lại\.",
        ),
        Case(
            "application request limit",
            _graph_error(4),
            RateLimited,
            r"Facebook giới hạn số lần gọi; tạm dừng khoảng 10 phút rồi thử lại\. "
            r"\[Facebook 4: \(#4\) Application request limit reached\]",
            retry_after=600.0,
            then=_nothing_posted,
        ),
        Case(
            "blocked for policy",
            _graph_error(368),
            RateLimited,
            r"Trang đang bị Facebook tạm chặn đăng bài vì cho là vi phạm chính sách; tạm dừng "
            r"kênh khoảng 6 giờ\. \[Facebook 368: The action attempted has been deemed abusive "
            r"or is otherwise disallowed\]",
            retry_after=6 * 3600.0,
        ),
        Case(
            "duplicate message",
            _graph_error(506),
            Permanent,
            r"Facebook từ chối vì trùng nội dung với bài vừa đăng\. "
            r"\[Facebook 506: \(#506\) Duplicate status message\]",
        ),
        Case(
            "withdraw of a malformed post id",
            lambda w: w.adapter().withdraw("not-a-post"),
            Permanent,
            r"Mã bài viết Facebook không hợp lệ: 'not-a-post'\.",
        ),
        Case(
            "token invalidated by a password change",
            _invalidated,
            ChannelBroken,
            r"Mã truy cập của Trang không dùng được: mật khẩu tài khoản quản trị đã thay đổi; "
            r"cần cấp lại quyền\. \[Facebook 190/460: Error validating access token: .*\]",
            then=_nothing_posted,
        ),
        Case(
            "permission missing",
            _graph_error(200),
            ChannelBroken,
            r"Ứng dụng thiếu quyền đăng hoặc đọc bài trên Trang; cần cấp lại quyền\. "
            r"\[Facebook 200: \(#200\) Permissions error\]",
        ),
        Case(
            "connection dropped after the post was stored",
            _dropped_after_store,
            Unknown,
            r"Không rõ Facebook đã đăng bài hay chưa \(mất kết nối hoặc quá thời gian chờ: .*\); "
            r"cần đối chiếu trước khi đăng lại\.",
            then=_post_exists,
        ),
        Case(
            "lookup of a post without text",
            lambda w: w.adapter().lookup(post(title="", text=""), since()),
            NotSupported,
            r"a post without text cannot be recognised among the Page's posts",
        ),
    ),
)


# ---- rss and loudspeaker: nothing remote is called --------------------------------------


@contextlib.contextmanager
def local_world(kind: str, settings: Mapping[str, Any]) -> Iterator[World]:
    world = World(kind, dict(settings), {"public_base_url": "http://publisher.test"})
    try:
        yield world
    finally:
        world.close()


def _same_outcome_everywhere(external_id: str) -> Callable[[World, DeliveryResult], None]:
    """publish, lookup and withdraw agree: releasing is local and always took effect."""

    def then(world: World, result: DeliveryResult) -> None:
        assert result.external_id == external_id
        again = world.adapter().lookup(post(), since())
        assert again == result
        assert world.adapter().withdraw(external_id) is None

    return then


RSS_VALID = {"title": "Tin hiến máu tỉnh Lai Châu"}
RSS = KindFixture(
    world=lambda: local_world("rss", RSS_VALID),
    valid=RSS_VALID,
    refused=(
        ({"title": "   "}, {"title": "is required"}),
        ({**RSS_VALID, "items_limit": 0}, {"items_limit": "must be between 1 and 500"}),
        ({**RSS_VALID, "items_limit": 501}, {"items_limit": "must be between 1 and 500"}),
        ({**RSS_VALID, "items_limit": "50"}, {"items_limit": "must be a integer"}),
    ),
    cases=(
        Case(
            "released into the feed",
            lambda w: w.adapter().publish(post()),
            then=_same_outcome_everywhere("tag:publisher.test,2025:content-7"),
        ),
    ),
)

LOUDSPEAKER_VALID = {"commune_codes": ["03408"]}
LOUDSPEAKER = KindFixture(
    world=lambda: local_world("loudspeaker", LOUDSPEAKER_VALID),
    valid=LOUDSPEAKER_VALID,
    refused=(
        ({"commune_codes": []}, {"commune_codes": "must list at least one commune code"}),
        (
            {"commune_codes": ["3408"]},
            {"commune_codes": "each commune code must be a string of 5 digits"},
        ),
        (
            {**LOUDSPEAKER_VALID, "slots": {"noon": "12:00"}},
            {"slots": "unknown session 'noon' (use morning, evening)"},
        ),
        (
            {**LOUDSPEAKER_VALID, "slots": {"morning": "6h"}},
            {"slots": "each session time must be HH:MM (24-hour)"},
        ),
    ),
    cases=(
        Case(
            "released into bulletins",
            lambda w: w.adapter().publish(post()),
            then=_same_outcome_everywhere("loudspeaker-7"),
        ),
        Case(
            "nothing to read",
            lambda w: w.adapter().publish(post(text="  ")),
            Permanent,
            r"Nội dung đọc trống \(the reading text is empty\)",
        ),
        Case(
            "unknown priority",
            lambda w: w.adapter().publish(post(priority="urgent")),
            Permanent,
            re.escape("unknown priority 'urgent'"),
        ),
    ),
)


# The kinds defined here; tests/unit/adapter_fixture_table.py adds the ones defined in
# modules of their own.
BASE_FIXTURES: dict[str, KindFixture] = {
    "webhook": WEBHOOK,
    "fanpage": FANPAGE,
    "rss": RSS,
    "loudspeaker": LOUDSPEAKER,
}
