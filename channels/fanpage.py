"""The Facebook Page adapter: posts through the Graph API over plain HTTP.

Errors from Graph become the typed errors of :mod:`channels.base`:

==========================================  ===========================================
Graph answer                                raised
==========================================  ===========================================
1, 2, HTTP 5xx, non-JSON, network failure   ``Transient`` on GET/DELETE; ``Unknown`` on
after the request left                      POST (the post may exist: reconcile first)
connect timeout, connection refused         ``Transient`` (nothing was sent)
4, 17 (app / user limits)                   ``RateLimited``, 10 minutes by default
32, 613, 80000–80014 (page / BUC limits)    ``RateLimited``, 1 hour by default
368 (blocked for policy)                    ``RateLimited``, 6 hours
102, 190 (any subcode)                      ``ChannelBroken``: re-authorise the Page
10, 200–299 (permission missing)            ``ChannelBroken`` (see below)
100 about ``appsecret_proof``               ``ChannelBroken``: the app secret is wrong
100 (33), 104, 324/1366046, 506, others     ``Permanent``
==========================================  ===========================================

Permission errors (10, 200–299) are raised as ``ChannelBroken`` rather than
``Permanent``: a missing permission belongs to the Page's token, not to one post, so
every later post on the channel would fail the same way. Holding the channel until an
admin grants the permission again keeps the posts instead of failing them one by one.

``RateLimited.retry_after`` is Graph's ``estimated_time_to_regain_access`` when the
``X-Business-Use-Case-Usage`` header gives one, else the longer of the default above
and what the usage headers imply (:func:`throttle_seconds`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import unicodedata
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from channels.base import (
    Adapter,
    ChannelBroken,
    ChannelConfig,
    ChannelError,
    DeliveryResult,
    HealthReport,
    MediaFile,
    NotSupported,
    Permanent,
    RateLimited,
    RenderedPost,
    SettingsInvalid,
    Transient,
    Unknown,
    fingerprint,
)

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v25.0"
# App and user limits are rolling one-hour windows that recover gradually; Page and
# business-use-case limits recover slower, and a policy block lasts hours.
APP_LIMIT_RETRY = 600.0
PAGE_LIMIT_RETRY = 3600.0
POLICY_BLOCK_RETRY = 6 * 3600.0
# Usage above SOFT_THROTTLE_FROM percent slows us linearly up to SOFT_THROTTLE_MAX seconds;
# at 100 % Graph refuses calls, so rest for the announced time or FULL_THROTTLE.
SOFT_THROTTLE_FROM = 80.0
SOFT_THROTTLE_MAX = 300.0
FULL_THROTTLE = 3600.0
# Graph stamps the post when it stored it; our clock and its may differ by minutes.
LOOKUP_MARGIN_SECONDS = 300
LOOKUP_MAX_PAGES = 10
EXPIRY_WARNING_DAYS = 7
REQUIRED_SCOPES = ("pages_manage_posts", "pages_read_engagement")
MAX_MESSAGE_CHARS = 63206
MAX_PHOTO_BYTES = 4 * 1024 * 1024
PHOTO_MIMES = frozenset({"image/jpeg", "image/png"})
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_OBJECT_ID = re.compile(r"[0-9]+(_[0-9]+)?")
_PAGE_ID = re.compile(r"[0-9]+")
_TOKEN_IN_TEXT = re.compile(r"(access_token|input_token)=[^&\s\"']+")
_TOKEN_REASONS = {
    458: "người dùng đã gỡ ứng dụng khỏi tài khoản",
    459: "tài khoản quản trị đang bị Facebook tạm khoá (checkpoint)",
    460: "mật khẩu tài khoản quản trị đã thay đổi",
    463: "mã truy cập đã hết hạn",
    464: "tài khoản quản trị chưa được xác minh",
    467: "mã truy cập đã bị vô hiệu (tài khoản đã đăng xuất)",
    492: "tài khoản cấp mã không còn vai trò quản trị trên Trang",
}


def compose_message(post: RenderedPost) -> str:
    """The text sent to Facebook: title, a blank line, the text, and the link when posting media.

    Deterministic, so :meth:`FanpageAdapter.lookup` can find the post again by its fingerprint.
    """
    parts = [post.title.strip(), post.text.replace("\r\n", "\n").strip()]
    if post.media and post.link:
        # A photo post has no link preview, so the link travels in the caption.
        parts.append(post.link.strip())
    # Decomposed Vietnamese diacritics render badly on some phones; send the composed form.
    return unicodedata.normalize("NFC", "\n\n".join(p for p in parts if p))


def _usage_numbers(node: Any) -> Iterator[float]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key != "estimated_time_to_regain_access":
                yield from _usage_numbers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _usage_numbers(item)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield float(node)


def _header_json(headers: Mapping[str, str], name: str) -> Any:
    for key, value in headers.items():
        if key.lower() == name:
            try:
                return json.loads(value)
            except ValueError:
                return None
    return None


def usage_percent(headers: Mapping[str, str]) -> float:
    """The highest percentage in X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage."""
    names = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
    return max((n for h in names for n in _usage_numbers(_header_json(headers, h))), default=0.0)


def regain_seconds(headers: Mapping[str, str]) -> float:
    """Graph's ``estimated_time_to_regain_access`` (minutes) in seconds; 0 when absent."""
    minutes = 0.0

    def walk(node: Any) -> None:
        nonlocal minutes
        if isinstance(node, Mapping):
            value = node.get("estimated_time_to_regain_access")
            if isinstance(value, int | float) and not isinstance(value, bool):
                minutes = max(minutes, float(value))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(_header_json(headers, "x-business-use-case-usage"))
    return minutes * 60


def throttle_seconds(headers: Mapping[str, str]) -> float:
    """How long the channel should rest after an answer with these usage headers."""
    percent = usage_percent(headers)
    soft = 0.0
    if percent > SOFT_THROTTLE_FROM:
        share = min(1.0, (percent - SOFT_THROTTLE_FROM) / (100.0 - SOFT_THROTTLE_FROM))
        soft = round(SOFT_THROTTLE_MAX * share, 1)
    regain = regain_seconds(headers)
    if regain > 0:
        return max(regain, soft)
    if percent >= 100:
        return FULL_THROTTLE
    return soft


def _redact(text: str) -> str:
    return _TOKEN_IN_TEXT.sub(r"\1=***", text)


def _ambiguous(method: str, what: str, **kwargs: Any) -> ChannelError:
    """Transient when repeating is harmless; Unknown for a POST that may have taken effect."""
    if method == "POST":
        return Unknown(
            f"Không rõ Facebook đã đăng bài hay chưa ({what}); cần đối chiếu trước khi đăng lại.",
            **kwargs,
        )
    return Transient(f"Facebook tạm thời không trả lời được ({what}); sẽ thử lại.", **kwargs)


def classify_error(
    status: int, payload: Any, headers: Mapping[str, str], *, method: str, excerpt: str = ""
) -> ChannelError:
    """The typed error for a Graph error answer (see the module's table)."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(error, Mapping):
        if status >= 500 or status < 400:
            return _ambiguous(method, f"HTTP {status}", excerpt=excerpt, code=str(status))
        return Permanent(f"Facebook từ chối yêu cầu (HTTP {status}).", excerpt=excerpt)
    code = error.get("code") if isinstance(error.get("code"), int) else -1
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    code_text = f"{code}/{subcode}" if subcode else str(code)
    graph_text = str(error.get("message") or "")
    if error.get("error_user_msg"):
        graph_text += f" — {error.get('error_user_title') or ''} {error['error_user_msg']}".rstrip()
    kwargs: dict[str, Any] = {"excerpt": excerpt, "code": code_text}

    def text(reason: str) -> str:
        return f"{reason} [Facebook {code_text}: {graph_text}]"

    if code in (4, 17, 32, 613) or 80000 <= code <= 80014:
        default = APP_LIMIT_RETRY if code in (4, 17) else PAGE_LIMIT_RETRY
        regain = regain_seconds(headers)
        wait = regain if regain > 0 else max(default, throttle_seconds(headers))
        minutes = max(1, round(wait / 60))
        reason = f"Facebook giới hạn số lần gọi; tạm dừng khoảng {minutes} phút rồi thử lại."
        return RateLimited(text(reason), retry_after=wait, **kwargs)
    if code == 368:
        reason = (
            "Trang đang bị Facebook tạm chặn đăng bài vì cho là vi phạm chính sách; "
            f"tạm dừng kênh khoảng {round(POLICY_BLOCK_RETRY / 3600)} giờ."
        )
        return RateLimited(text(reason), retry_after=POLICY_BLOCK_RETRY, **kwargs)
    if code in (102, 190):
        why = _TOKEN_REASONS.get(subcode or 0, "mã truy cập không hợp lệ")
        return ChannelBroken(
            text(f"Mã truy cập của Trang không dùng được: {why}; cần cấp lại quyền."), **kwargs
        )
    if code == 10 or 200 <= code <= 299:
        reason = "Ứng dụng thiếu quyền đăng hoặc đọc bài trên Trang; cần cấp lại quyền."
        return ChannelBroken(text(reason), **kwargs)
    if code == 100 and "appsecret_proof" in graph_text:
        reason = (
            "Khoá bí mật ứng dụng (app secret) không khớp với mã truy cập; cần sửa cấu hình kênh."
        )
        return ChannelBroken(text(reason), **kwargs)
    if code == 100 and subcode == 33:
        return Permanent(
            text("Bài viết hoặc Trang không tồn tại hoặc không truy cập được."), **kwargs
        )
    if code == 506:
        return Permanent(text("Facebook từ chối vì trùng nội dung với bài vừa đăng."), **kwargs)
    if code == 104:
        return Permanent(text("Yêu cầu thiếu mã truy cập."), **kwargs)
    if code == 324 or subcode == 1366046:
        return Permanent(text("Ảnh không hợp lệ: cần JPEG hoặc PNG dưới 4 MB."), **kwargs)
    if code in (1, 2) or error.get("is_transient") is True or status >= 500:
        return _ambiguous(method, f"lỗi {code_text}: {graph_text}", **kwargs)
    return Permanent(text("Facebook từ chối yêu cầu."), **kwargs)


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached Graph (refused, connect timeout, DNS)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


@dataclass(frozen=True)
class _Answer:
    payload: dict[str, Any]
    throttle: float
    excerpt: str


class FanpageAdapter(Adapter):
    """Posts, looks up, withdraws and checks on one Facebook Page."""

    kind: ClassVar[str] = "fanpage"
    label: ClassVar[str] = "Trang Facebook"
    idempotent: ClassVar[bool] = False
    can_withdraw: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {
        "page_id": {
            "type": "string",
            "required": True,
            "secret": False,
            "description": "ID của Trang Facebook",
        },
        "access_token": {
            "type": "string",
            "required": True,
            "secret": True,
            "description": "Mã truy cập Trang (page access token) có quyền pages_manage_posts",
        },
        "app_secret": {
            "type": "string",
            "required": False,
            "secret": True,
            "description": "Khoá bí mật ứng dụng, để gửi appsecret_proof",
        },
    }

    def __init__(self, config: ChannelConfig, session: requests.Session | None = None) -> None:
        super().__init__(config, session)
        settings, options = config.settings, config.options
        self.page_id = str(settings.get("page_id") or "").strip()
        self._token = str(settings.get("access_token") or "").strip()
        secret = str(settings.get("app_secret") or "").strip()
        self._proof = (
            hmac.new(secret.encode(), self._token.encode(), hashlib.sha256).hexdigest()
            if secret
            else None
        )
        self.graph_url = str(options.get("graph_url") or DEFAULT_GRAPH_URL).rstrip("/")
        version = str(options.get("graph_version") or DEFAULT_GRAPH_VERSION).strip("/")
        self.graph_version = version if version.startswith("v") else f"v{version}"
        self.timeout = float(options.get("timeout", 30))
        self.connect_timeout = float(options.get("connect_timeout", 5))
        self._finalizer: weakref.finalize | None = None
        if session is None:
            self.session = requests.Session()
            # Close our own connections even when the caller forgets close().
            self._finalizer = weakref.finalize(self, self.session.close)

    @classmethod
    def validate_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Check the settings; the Page ID must be Graph's numeric id, not the Page's name."""
        cleaned = super().validate_settings(settings)
        if not _PAGE_ID.fullmatch(cleaned["page_id"]):
            raise SettingsInvalid({"page_id": "must be the numeric Page ID"})
        return cleaned

    def close(self) -> None:
        """Close the HTTP session if this adapter created it."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> FanpageAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- delivery -----------------------------------------------------------------------

    def publish(self, post: RenderedPost) -> DeliveryResult:
        """Post text, a link, one poster or several posters to the Page."""
        message = compose_message(post)
        _check_post(post, message)
        if not post.media:
            data = {"message": message, "fields": "id,permalink_url"}
            if post.link:
                data["link"] = post.link
            answer = self._call("POST", f"{self.page_id}/feed", data=data)
            post_id = _id_of(answer, "id")
            url = answer.payload.get("permalink_url") or _fallback_permalink(post_id)
            return DeliveryResult(post_id, url, answer.excerpt, answer.throttle)
        if len(post.media) == 1:
            answer = self._call(
                "POST",
                f"{self.page_id}/photos",
                data={"message": message},
                files={"source": _upload(post.media[0])},
            )
            post_id = _id_of(answer, "post_id", "id")
            url, throttle = self._permalink(post_id)
            return DeliveryResult(post_id, url, answer.excerpt, max(answer.throttle, throttle))
        return self._publish_album(post.media, message)

    def _publish_album(self, media: tuple[MediaFile, ...], message: str) -> DeliveryResult:
        photo_ids: list[str] = []
        throttle = 0.0
        try:
            for item in media:
                try:
                    answer = self._call(
                        "POST",
                        f"{self.page_id}/photos",
                        data={"published": "false"},
                        files={"source": _upload(item)},
                    )
                    photo_ids.append(_id_of(answer, "id"))
                except Unknown as exc:
                    # An unpublished photo is invisible, so uploading it again cannot duplicate
                    # anything the public sees: plain retry is safe.
                    raise Transient(exc.message, excerpt=exc.excerpt, code=exc.code) from exc
                throttle = max(throttle, answer.throttle)
            attached = json.dumps([{"media_fbid": pid} for pid in photo_ids])
            answer = self._call(
                "POST",
                f"{self.page_id}/feed",
                data={"message": message, "attached_media": attached, "fields": "id,permalink_url"},
            )
        except (Transient, Permanent) as exc:
            # The feed post surely does not exist, so its orphan photos can go.
            self._discard_photos(photo_ids, exc)
            raise
        post_id = _id_of(answer, "id")
        url = answer.payload.get("permalink_url") or _fallback_permalink(post_id)
        return DeliveryResult(post_id, url, answer.excerpt, max(throttle, answer.throttle))

    def _discard_photos(self, photo_ids: list[str], cause: ChannelError) -> None:
        for photo_id in photo_ids:
            try:
                self._call("DELETE", photo_id)
            except ChannelError as exc:
                # Best effort: an unpublished photo left behind is invisible and harmless.
                log.warning(
                    "could not delete unpublished photo %s after %s: %s", photo_id, cause, exc
                )

    def _permalink(self, post_id: str) -> tuple[str, float]:
        """The post's permalink; a built one if asking fails (the post exists either way)."""
        try:
            answer = self._call("GET", post_id, params={"fields": "permalink_url"})
        except ChannelError as exc:
            log.info("permalink of %s unavailable, using a built one: %s", post_id, exc)
            return _fallback_permalink(post_id), 0.0
        return answer.payload.get("permalink_url") or _fallback_permalink(post_id), answer.throttle

    def lookup(self, post: RenderedPost, since: datetime) -> DeliveryResult | None:
        """Find the Page's post made from ``post`` since ``since`` by message fingerprint."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        message = compose_message(post)
        if not message:
            raise NotSupported("a post without text cannot be recognised among the Page's posts")
        target = fingerprint(message)
        url = f"{self.page_id}/published_posts"
        params = {
            "fields": "id,message,created_time,permalink_url",
            "since": str(int(since.timestamp()) - LOOKUP_MARGIN_SECONDS),
            "limit": "100",
        }
        throttle = 0.0
        for _ in range(LOOKUP_MAX_PAGES):
            answer = self._call("GET", url, params=params)
            throttle = max(throttle, answer.throttle)
            data = answer.payload.get("data")
            if not isinstance(data, list):
                raise Transient(
                    "Facebook trả danh sách bài viết không đúng định dạng.", excerpt=answer.excerpt
                )
            for item in data:
                if (
                    isinstance(item, Mapping)
                    and item.get("id")
                    and fingerprint(str(item.get("message") or "")) == target
                ):
                    post_id = str(item["id"])
                    permalink = item.get("permalink_url") or _fallback_permalink(post_id)
                    excerpt = self._scrub(json.dumps(item, ensure_ascii=False))
                    return DeliveryResult(post_id, permalink, excerpt, throttle)
            paging = answer.payload.get("paging")
            next_url = paging.get("next") if isinstance(paging, Mapping) else None
            if not next_url:
                return None
            url, params = self._follow(str(next_url))
        # Saying "absent" here could cause a duplicate post; let the caller ask again later.
        raise Transient(f"Chưa dò hết các bài đã đăng sau {LOOKUP_MAX_PAGES} trang kết quả.")

    def _follow(self, next_url: str) -> tuple[str, dict[str, str]]:
        """Split Graph's ``paging.next`` into URL and parameters, refusing other hosts."""
        parts, ours = urlsplit(next_url), urlsplit(self.graph_url)
        if (parts.scheme, parts.netloc) != (ours.scheme, ours.netloc):
            raise Transient("Liên kết phân trang của Facebook trỏ sang máy chủ khác.")
        params = {
            k: v for k, v in parse_qsl(parts.query) if k not in ("access_token", "appsecret_proof")
        }
        return f"{parts.scheme}://{parts.netloc}{parts.path}", params

    def withdraw(self, external_id: str) -> None:
        """Delete the post; a post already gone counts as withdrawn."""
        if not _OBJECT_ID.fullmatch(external_id or ""):
            raise Permanent(f"Mã bài viết Facebook không hợp lệ: {external_id!r}.")
        try:
            answer = self._call("DELETE", external_id)
        except Permanent as exc:
            if exc.code == "100/33":
                return
            raise
        if answer.payload.get("success") is not True:
            raise Permanent("Facebook không xoá được bài viết.", excerpt=answer.excerpt)

    # ---- health -------------------------------------------------------------------------

    def check(self) -> HealthReport:
        """Inspect the token with ``debug_token``; Transient/RateLimited when Graph cannot tell."""
        try:
            answer = self._call(
                "GET",
                "debug_token",
                params={"input_token": self._token, "access_token": self._token},
                bearer=False,
            )
        except (ChannelBroken, Permanent) as exc:
            return HealthReport("needs_attention", exc.message, details={"error": exc.code})
        data = answer.payload.get("data")
        if not isinstance(data, Mapping):
            raise Transient(
                "Facebook trả kết quả kiểm tra mã truy cập không đúng định dạng.",
                excerpt=answer.excerpt,
            )
        return _health_from(data, self.page_id, datetime.now(UTC))

    # ---- HTTP ---------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        bearer: bool = True,
    ) -> _Answer:
        if not self.page_id or not self._token:
            raise ChannelBroken("Kênh Trang Facebook thiếu page_id hoặc access_token.")
        url = path if "://" in path else f"{self.graph_url}/{self.graph_version}/{path}"
        query = dict(params or {})
        if self._proof:
            query["appsecret_proof"] = self._proof
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self.session.request(
                method,
                url,
                params=query,
                data=data,
                files=files,
                headers=headers,
                timeout=(self.connect_timeout, self.timeout),
                allow_redirects=False,
            )
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            raise ChannelBroken(f"Địa chỉ Graph API không hợp lệ: {self.graph_url}") from exc
        except requests.RequestException as exc:
            detail = self._scrub(f"{type(exc).__name__}: {exc}")
            if _nothing_sent(exc):
                raise Transient(
                    f"Không kết nối được tới Facebook; sẽ thử lại. ({detail})", excerpt=detail
                ) from exc
            raise _ambiguous(
                method, f"mất kết nối hoặc quá thời gian chờ: {detail}", excerpt=detail
            ) from exc
        excerpt = self._scrub(response.text[:2000])
        throttle = throttle_seconds(response.headers)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise _ambiguous(
                method,
                f"HTTP {response.status_code}, không phải JSON",
                excerpt=excerpt,
                code=str(response.status_code),
            )
        if "error" in payload or not 200 <= response.status_code < 300:
            raise classify_error(
                response.status_code, payload, response.headers, method=method, excerpt=excerpt
            )
        return _Answer(payload, throttle, excerpt)

    def _scrub(self, text: str) -> str:
        """Text safe to store and show: no token, whatever form Graph echoed it in."""
        text = _redact(text)
        return text.replace(self._token, "***") if self._token else text


def _check_post(post: RenderedPost, message: str) -> None:
    """Refuse, before any call, what Facebook would refuse anyway."""
    if not message and not post.link and not post.media:
        raise Permanent("Bài đăng không có nội dung.")
    if len(message) > MAX_MESSAGE_CHARS:
        raise Permanent(
            f"Bài đăng dài {len(message)} ký tự, vượt giới hạn {MAX_MESSAGE_CHARS} của Facebook."
        )
    for item in post.media:
        if item.mime not in PHOTO_MIMES:
            raise Permanent(f"Ảnh {item.filename} phải là JPEG hoặc PNG (đang là {item.mime}).")
        if not item.data or len(item.data) > MAX_PHOTO_BYTES:
            raise Permanent(f"Ảnh {item.filename} rỗng hoặc lớn hơn 4 MB.")


def _upload(item: MediaFile) -> tuple[str, bytes, str]:
    return (item.filename or "poster", item.data, item.mime)


def _id_of(answer: _Answer, *keys: str) -> str:
    for key in keys:
        value = answer.payload.get(key)
        if value:
            return str(value)
    # A 200 without an id: the post may or may not exist.
    raise Unknown(
        "Facebook trả lời thành công nhưng không kèm mã bài viết; cần đối chiếu.",
        excerpt=answer.excerpt,
    )


def _fallback_permalink(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


def _when(value: Any) -> datetime | None:
    """A Graph unix time as an aware UTC datetime; None for 0 (never) or junk."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _expiry_reason(what: str, moment: datetime, now: datetime) -> str | None:
    left = moment - now
    local = moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    if left.total_seconds() <= 0:
        return f"{what} đã hết hạn lúc {local}; cần cấp lại quyền."
    if left.days < EXPIRY_WARNING_DAYS:
        span = f"{left.days} ngày" if left.days >= 1 else "chưa đầy 1 ngày"
        return f"{what} sẽ hết hạn sau {span} (lúc {local}); cần cấp lại quyền trước hạn."
    return None


def _health_from(data: Mapping[str, Any], page_id: str, now: datetime) -> HealthReport:
    """Judge a ``debug_token`` answer for the Page we post to."""
    scopes = [str(s) for s in data.get("scopes") or []]
    expires = _when(data.get("expires_at"))
    data_expires = _when(data.get("data_access_expires_at"))
    soonest = min((m for m in (expires, data_expires) if m is not None), default=None)
    error = data.get("error") if isinstance(data.get("error"), Mapping) else {}
    details = {
        "is_valid": bool(data.get("is_valid")),
        "type": data.get("type"),
        "profile_id": data.get("profile_id"),
        "app_id": data.get("app_id"),
        "scopes": scopes,
        "expires_at": expires.isoformat() if expires else None,
        "data_access_expires_at": data_expires.isoformat() if data_expires else None,
        "error": error.get("message"),
    }
    reasons: list[str] = []
    if not data.get("is_valid"):
        why = f" ({error['message']})" if error.get("message") else ""
        reasons.append(f"Mã truy cập không hợp lệ hoặc đã bị thu hồi{why}; cần cấp lại quyền.")
    else:
        kind = data.get("type")
        if kind and kind != "PAGE":
            reasons.append(f"Đây không phải mã truy cập của Trang (loại {kind}).")
        profile = str(data.get("profile_id") or "")
        if profile != page_id:
            reasons.append(
                f"Mã truy cập thuộc Trang {profile or 'không rõ'}, không phải Trang {page_id} "
                "đã cấu hình."
            )
        missing = [s for s in REQUIRED_SCOPES if s not in scopes]
        if missing:
            reasons.append(f"Mã truy cập thiếu quyền {', '.join(missing)}; cần cấp lại quyền.")
        for what, moment in (("Mã truy cập", expires), ("Quyền truy cập dữ liệu", data_expires)):
            reason = _expiry_reason(what, moment, now) if moment else None
            if reason:
                reasons.append(reason)
    if reasons:
        return HealthReport("needs_attention", " ".join(reasons), soonest, details)
    return HealthReport("ok", "", soonest, details)
