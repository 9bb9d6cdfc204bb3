"""The Zalo Official Account adapter: articles, broadcast, lookup, removal, token rotation."""

from __future__ import annotations

import json
import logging
import time as clock
import weakref
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar

import requests

from channels.base import (
    Adapter,
    ChannelBroken,
    ChannelConfig,
    ChannelError,
    DeliveryResult,
    HealthReport,
    MediaFile,
    Permanent,
    Preview,
    RenderedPost,
    Transient,
    Unknown,
    clean_excerpt,
)
from channels.transport import send
from channels.zalo.article import (
    COVER_MIMES,
    LIMITS,
    MAX_AUTHOR,
    MAX_IMAGE_BYTES,
    Article,
    article_fingerprint,
    compose,
    cover_url,
    cut,
    cut_warning,
)
from channels.zalo.errors import (
    NIGHT_BROADCAST,
    PROCESSING,
    TOKEN_CODES,
    ambiguous,
    classify,
    redact,
)
from channels.zalo.tokens import EXPIRES_SETTING, TokenClient, broken, expiry_of

log = logging.getLogger(__name__)

DEFAULT_OPENAPI_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
# The periodic check renews the access token when less than this is left (it lives ~25 h
# and the check runs about daily), so the refresh-token chain never lapses unnoticed.
REFRESH_AHEAD = timedelta(hours=12)
# A delivery renews a token this close to its expiry before using it.
EXPIRY_MARGIN = timedelta(minutes=5)
LIST_PAGE = 10
LOOKUP_MAX_PAGES = 10
# Engagement is read for posts of the last 30 days: 100 articles cover a busy OA's month.
ENGAGEMENT_MAX_PAGES = 10
LOOKUP_MARGIN_SECONDS = 300


class ZaloAdapter(Adapter):
    """Publishes articles on one Zalo Official Account."""

    kind: ClassVar[str] = "zalo"
    label: ClassVar[str] = "Zalo Official Account"
    short_label: ClassVar[str] = "Zalo OA"
    service_settings: ClassVar[dict[str, tuple[str, str]]] = {
        "openapi_url": ("ZALO_OPENAPI_URL", DEFAULT_OPENAPI_URL),
        "oauth_url": ("ZALO_OAUTH_URL", DEFAULT_OAUTH_URL),
        "verify_wait": ("ZALO_VERIFY_WAIT_SECONDS", "60"),
        "verify_poll": ("ZALO_VERIFY_POLL_SECONDS", "2"),
    }
    idempotent: ClassVar[bool] = False
    can_withdraw: ClassVar[bool] = True
    withdraw_is_remote: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_check: ClassVar[bool] = True
    poster_needs_image: ClassVar[bool] = False
    wants_share_image: ClassVar[bool] = True
    default_quiet_hours: ClassVar[tuple[time, time] | None] = (time(22, 0), time(6, 0))
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {
        "app_id": {
            "type": "string",
            "required": True,
            "label": "App ID",
            "help": "Mã ứng dụng (App ID) trên developers.zalo.me",
            "max_length": 64,
        },
        "app_secret": {
            "type": "string",
            "required": True,
            "secret": True,
            "label": "Khoá bí mật ứng dụng",
            "help": "Khoá bí mật (secret key) của ứng dụng; chỉ ghi, không hiển thị lại",
        },
        "access_token": {
            "type": "string",
            "required": True,
            "secret": True,
            "label": "Mã truy cập OA",
            "help": "Access token của OA, nhận khi quản trị viên OA cấp quyền cho ứng dụng",
        },
        "refresh_token": {
            "type": "string",
            "required": True,
            "secret": True,
            "label": "Mã làm mới",
            "help": "Refresh token đi kèm mã truy cập; hệ thống tự làm mới và lưu mã mới",
        },
        "author": {
            "type": "string",
            "required": False,
            "label": "Tác giả",
            "help": "Tên tác giả hiện trên bài viết (tối đa 50 ký tự); mặc định là tên đơn vị",
            "max_length": 200,
        },
        "broadcast": {
            "type": "boolean",
            "required": False,
            "label": "Gửi tới người theo dõi",
            "help": "Sau khi đăng, gửi bài tới người quan tâm OA (tốn phí, không thu hồi được)",
        },
    }

    def __init__(self, config: ChannelConfig, session: requests.Session | None = None) -> None:
        super().__init__(config, session)
        self._settings: dict[str, Any] = dict(config.settings)
        options = config.options
        self.openapi_url = str(options.get("openapi_url") or DEFAULT_OPENAPI_URL).rstrip("/")
        self.oauth_url = str(options.get("oauth_url") or DEFAULT_OAUTH_URL).rstrip("/")
        self.timeout = float(options.get("timeout", 30))
        self.connect_timeout = float(options.get("connect_timeout", 5))
        self.verify_wait = float(options.get("verify_wait") or 60)
        self.verify_poll = float(options.get("verify_poll") or 2)
        self._finalizer: weakref.finalize | None = None
        if session is None:
            self.session = requests.Session()
            self._finalizer = weakref.finalize(self, self.session.close)
        self._tokens = TokenClient(self.session, self.oauth_url, self._timeouts)

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The schema's settings, plus the access token's expiry the service itself keeps
        (written on each renewal; not a field anyone fills in, so not in the schema)."""
        if not isinstance(settings, Mapping):
            return super().validate_settings(settings)
        kept = settings.get(EXPIRES_SETTING)
        cleaned = super().validate_settings(
            {k: v for k, v in settings.items() if k != EXPIRES_SETTING}
        )
        if isinstance(kept, str) and kept and expiry_of({EXPIRES_SETTING: kept}) is not None:
            cleaned[EXPIRES_SETTING] = kept
        return cleaned

    @property
    def _timeouts(self) -> tuple[float, float]:
        return (self.connect_timeout, self.timeout)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    # ---- shaping --------------------------------------------------------------------------

    @classmethod
    def prepare_media(cls, item: MediaFile) -> MediaFile:
        """Zalo fetches images by URL, at most 1 MB: a larger poster is given by its thumbnail."""
        if item.mime in COVER_MIMES and 0 < len(item.data) <= MAX_IMAGE_BYTES:
            return item
        if item.url and "/media/" in item.url and "/thumbnail/" not in item.url:
            head, _, name = item.url.rpartition("/")
            return replace(item, url=f"{head}/thumbnail/{name}")
        return item

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview:
        author = str(post.extra.get("author") or post.extra.get("organisation_name") or "")
        article = compose(post, author)
        warnings = [cut_warning(name, LIMITS[name]) for name in article.cuts]
        if not cover_url(post):
            warnings.append("Bài viết Zalo cần ảnh bìa: hãy gắn áp phích hoặc chọn chiến dịch.")
        body = "\n\n".join(
            str(p.get("content")) for p in article.paragraphs if p.get("type") == "text"
        )
        facts = [
            ("Tiêu đề", f"{len(article.title)}/{LIMITS['title']} ký tự"),
            ("Mô tả", f"{len(article.description)}/{LIMITS['description']} ký tự"),
        ]
        if article.author:
            facts.append(("Tác giả", article.author))
        return Preview(
            heading=article.title,
            body=f"{article.description}\n\n{body}".strip(),
            style="article",
            image_url=article.cover_url,
            link=post.link,
            facts=tuple(facts),
            warnings=tuple(warnings),
        )

    def _article(self, post: RenderedPost) -> Article:
        author = str(self._settings.get("author") or "").strip()
        if not author:
            author = str(post.extra.get("organisation_name") or "") or self.config.name
        return compose(post, cut(author, MAX_AUTHOR))

    # ---- delivery -------------------------------------------------------------------------

    def publish(self, post: RenderedPost) -> DeliveryResult:
        """Create the article, wait for its id, then broadcast it where the setting asks."""
        article = self._article(post)
        if not article.cover_url:
            raise Permanent(
                "Bài viết Zalo cần ảnh bìa (áp phích hoặc ảnh chiến dịch) mà bài này không có."
            )
        answer = self._call("POST", "/v2.0/article/create", json_body=article.body(), sure=False)
        token = (answer.get("data") or {}).get("token") if isinstance(answer, dict) else None
        if not token:
            raise Unknown(
                "Zalo nhận bài nhưng không trả mã xử lý (token); cần đối chiếu.",
                excerpt=self._scrub(json.dumps(answer, ensure_ascii=False)),
            )
        try:
            article_id = self._verify(str(token))
        except (Unknown, Permanent):
            raise
        except ChannelError as exc:
            # The article may exist already: whatever stopped the wait, the next attempt
            # must look for it before creating another.
            raise Unknown(
                f"Bài viết đã gửi sang Zalo nhưng chưa xác nhận được: {exc.message}",
                excerpt=exc.excerpt,
                code=exc.code,
            ) from exc
        detail = self._detail_or_none(article_id)
        url = _link_of(detail) if detail else None
        note = self._broadcast(article_id) if self._settings.get("broadcast") is True else ""
        return DeliveryResult(article_id, url, _excerpt(article_id, article.title, note))

    def _verify(self, token: str) -> str:
        """Poll verify until the article id exists; Unknown when the wait runs out."""
        deadline = clock.monotonic() + self.verify_wait
        last = ""
        while True:
            try:
                answer = self._call("POST", "/v2.0/article/verify", json_body={"token": token})
                data = answer.get("data") or {}
                article_id = data.get("id") or data.get("article_id")
                if article_id:
                    return str(article_id)
                last = "không có mã bài viết"
            except Transient as exc:  # -214 "being processed", or a hiccup on the read
                last = exc.message
            if clock.monotonic() + self.verify_poll > deadline:
                raise Unknown(
                    "Zalo chưa xác nhận bài viết trong thời gian chờ; sẽ đối chiếu danh sách "
                    f"bài trước khi đăng lại. ({last})"
                )
            clock.sleep(self.verify_poll)

    def _detail_or_none(self, article_id: str) -> Mapping[str, Any] | None:
        try:
            data = self._call("GET", "/v2.0/article/getdetail", params={"id": article_id}).get(
                "data"
            )
        except ChannelError as exc:
            log.info("detail of Zalo article %s unavailable: %s", article_id, exc)
            return None
        return data if isinstance(data, Mapping) else None

    def _broadcast(self, article_id: str) -> str:
        """Send the article to followers once; the outcome as a sentence, never raised."""
        body = {
            "recipient": {"target": {"gender": "0"}},
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [{"media_type": "article", "attachment_id": article_id}],
                    },
                }
            },
        }
        try:
            answer = self._call("POST", "/v2.0/oa/message", json_body=body, sure=False)
        except Unknown as exc:
            return (
                "Gửi tới người theo dõi: không rõ kết quả, kiểm tra trên Zalo trước khi gửi "
                f"lại ({exc.message})"
            )
        except ChannelError as exc:
            if exc.code == str(NIGHT_BROADCAST):
                return (
                    "Gửi tới người theo dõi: chưa gửi vì Zalo không gửi ban đêm; gửi tay sau 06:00"
                )
            return f"Gửi tới người theo dõi: chưa gửi ({exc.message})"
        message_id = (answer.get("data") or {}).get("message_id")
        return f"Gửi tới người theo dõi: đã gửi (message_id {message_id})"

    def engagement(self, external_id: str) -> Mapping[str, int] | None:
        """Views and shares of an article, as the OA's article list reports them.

        Zalo gives these figures only in the list (``getslice``: ``total_view``,
        ``total_share``), so the newest pages are searched for the id; None when the
        article is not among them (removed, or older than the pages searched).
        """
        if not str(external_id or "").strip():
            raise Permanent("Chưa có mã bài viết Zalo để đọc số liệu.")
        for page in range(ENGAGEMENT_MAX_PAGES):
            items = self._slice(page)
            for item in items:
                if isinstance(item, Mapping) and str(item.get("id")) == str(external_id):
                    return {
                        "views": _count(item.get("total_view")),
                        "shares": _count(item.get("total_share")),
                    }
            if len(items) < LIST_PAGE:
                return None
        return None

    def _slice(self, page: int) -> list[Any]:
        """One page of the OA's articles, newest first."""
        answer = self._call(
            "GET",
            "/v2.0/article/getslice",
            params={"offset": str(page * LIST_PAGE), "limit": str(LIST_PAGE), "type": "normal"},
        )
        data = answer.get("data") or {}
        items = data.get("medias") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise Transient("Zalo trả danh sách bài viết không đúng định dạng.")
        return items

    def lookup(self, post: RenderedPost, since: datetime) -> DeliveryResult | None:
        """Find the article an attempt of unknown outcome made: title, then fingerprint."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        article = self._article(post)
        target = article.fingerprint()
        floor = since.timestamp() - LOOKUP_MARGIN_SECONDS
        for page in range(LOOKUP_MAX_PAGES):
            items = self._slice(page)
            all_older = bool(items)
            for item in items:
                if not isinstance(item, Mapping) or not item.get("id"):
                    continue
                created = _seconds(item.get("create_date"))
                if created is None or created >= floor:
                    all_older = False
                elif created < floor:
                    continue
                if str(item.get("title") or "") != article.title:
                    continue
                detail = self._call(
                    "GET", "/v2.0/article/getdetail", params={"id": str(item["id"])}
                ).get("data")
                if not isinstance(detail, Mapping):
                    continue
                found = article_fingerprint(
                    str(detail.get("description") or ""), detail.get("body")
                )
                if found == target:
                    article_id = str(item["id"])
                    note = "Tìm thấy khi đối chiếu"
                    if self._settings.get("broadcast") is True:
                        # Sending now could reach followers twice (a worker may have died
                        # after sending): a person decides.
                        note += (
                            "; chưa tự gửi tới người theo dõi vì lần gửi trước không rõ kết "
                            "quả, gửi tay nếu cần"
                        )
                    url = _link_of(detail) or item.get("link_view")
                    return DeliveryResult(
                        article_id, url, _excerpt(article_id, article.title, note)
                    )
            if len(items) < LIST_PAGE or all_older:
                return None
        raise Transient(f"Chưa dò hết các bài viết của OA sau {LOOKUP_MAX_PAGES} trang.")

    def withdraw(self, external_id: str) -> None:
        """Remove the article; one already gone counts as removed."""
        if not external_id:
            raise Permanent("Thiếu mã bài viết Zalo.")
        try:
            self._call("POST", "/v2.0/article/remove", json_body={"id": external_id})
            return
        except Permanent as first:
            try:
                self._call("GET", "/v2.0/article/getdetail", params={"id": external_id})
            except Permanent:
                return  # the article no longer exists
            raise first from None

    # ---- health ---------------------------------------------------------------------------

    def check(self) -> HealthReport:
        """Renew the access token ahead of expiry (through the store), then ask for the OA."""
        expires = expiry_of(self._settings)
        if expires is None or expires - datetime.now(UTC) < REFRESH_AHEAD:
            # Skipped under the lock when another process has just renewed the pair.
            self._refresh(spent=str(self._settings.get("access_token") or ""))
        try:
            answer = self._call("GET", "/v2.0/oa/getoa")
        except (ChannelBroken, Permanent) as exc:
            return HealthReport("needs_attention", exc.message, details={"error": exc.code})
        data = answer.get("data") or {}
        details = {"oa_id": data.get("oa_id"), "name": data.get("name")}
        return HealthReport("ok", "", expires_at=expiry_of(self._settings), details=details)

    # ---- tokens and HTTP ------------------------------------------------------------------

    def _refresh(self, spent: str | None) -> None:
        store = self.config.store
        if store is None:
            raise broken("Không lưu được mã mới của kênh Zalo (thiếu kho lưu).")
        fresh = store.rotate(lambda current: self._tokens.renew(current, spent))
        self._settings = dict(fresh)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        sure: bool = True,
    ) -> dict[str, Any]:
        """One OpenAPI call; ``sure`` False marks calls whose lost answer leaves the outcome
        unknown (create, broadcast). An unusable token is renewed once and the call repeated."""
        expires = expiry_of(self._settings)
        if expires is not None and expires - datetime.now(UTC) < EXPIRY_MARGIN:
            self._refresh(spent=str(self._settings.get("access_token") or ""))
        for renewed in (False, True):
            token = str(self._settings.get("access_token") or "")
            if not token:
                raise broken("Kênh Zalo chưa có mã truy cập.")
            payload = self._send(method, path, token, params, json_body, sure)
            code = payload.get("error")
            if not isinstance(code, int) or code == 0:
                return payload
            if code in TOKEN_CODES and not renewed:
                self._refresh(spent=token)
                continue
            excerpt = self._scrub(json.dumps(payload, ensure_ascii=False))
            error = classify(code, self._scrub(str(payload.get("message") or "")), excerpt=excerpt)
            if code == PROCESSING and path.endswith("/create"):
                error = Unknown(error.message, excerpt=excerpt, code=error.code)
            raise error
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        path: str,
        token: str,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        sure: bool,
    ) -> dict[str, Any]:
        response = send(
            self.session,
            method,
            self.openapi_url + path,
            api_name="Zalo OpenAPI",
            base_url=self.openapi_url,
            service="Zalo",
            scrub=self._scrub,
            ambiguous=lambda what, **kwargs: ambiguous(not sure, what, **kwargs),
            params=dict(params or {}),
            json=dict(json_body) if json_body is not None else None,
            headers={"access_token": token, "Accept": "application/json"},
            timeout=self._timeouts,
            allow_redirects=False,
        )
        excerpt = self._scrub(response.text[:2000])
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or response.status_code >= 500:
            raise ambiguous(
                not sure,
                f"HTTP {response.status_code}",
                excerpt=excerpt,
                code=str(response.status_code),
            )
        if response.status_code >= 400 and not isinstance(payload.get("error"), int):
            raise Permanent(f"Zalo từ chối yêu cầu (HTTP {response.status_code}).", excerpt=excerpt)
        return payload

    def _scrub(self, text: str) -> str:
        text = redact(text)
        for name in ("access_token", "refresh_token", "app_secret"):
            value = str(self._settings.get(name) or "")
            if len(value) >= 6:
                text = text.replace(value, "***")
        return text


def _seconds(raw: Any) -> float | None:
    """Zalo's ``create_date`` as unix seconds (milliseconds or seconds); None if unreadable."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value / 1000 if value > 1e11 else value


def _link_of(detail: Mapping[str, Any] | None) -> str | None:
    if not detail:
        return None
    link = detail.get("link_view") or detail.get("link") or detail.get("url")
    return str(link) if link else None


def _excerpt(article_id: str, title: str, note: str) -> str:
    text = f"Bài viết Zalo {article_id}: {title}"
    return clean_excerpt(f"{text}. {note}" if note else text, limit=400)


__all__ = ["ZaloAdapter"]


def _count(value: Any) -> int:
    """A count from Zalo's answer; anything not a non-negative whole number reads as 0."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return max(0, number)
