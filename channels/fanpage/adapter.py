"""The Facebook Page adapter: posts, looks up, withdraws and checks over plain HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import requests

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
    Preview,
    RenderedPost,
    SettingsInvalid,
    Transient,
    Unknown,
    fingerprint,
)
from channels.fanpage.errors import _ambiguous, _redact, classify_error
from channels.fanpage.health import _health_from
from channels.fanpage.media import photo_for_graph
from channels.fanpage.message import MAX_MESSAGE_CHARS, _check_post, _upload, compose_message
from channels.fanpage.usage import throttle_seconds
from channels.transport import send

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v25.0"
# Graph stamps the post when it stored it; our clock and its may differ by minutes.
LOOKUP_MARGIN_SECONDS = 300
LOOKUP_MAX_PAGES = 10
ENGAGEMENT_FIELDS = "reactions.summary(total_count),comments.summary(total_count),shares"

_OBJECT_ID = re.compile(r"[0-9]+(_[0-9]+)?")
_PAGE_ID = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class _Answer:
    payload: dict[str, Any]
    throttle: float
    excerpt: str


class FanpageAdapter(Adapter):
    """Posts, looks up, withdraws and checks on one Facebook Page."""

    kind: ClassVar[str] = "fanpage"
    label: ClassVar[str] = "Trang Facebook"
    short_label: ClassVar[str] = "Fanpage"
    service_settings: ClassVar[dict[str, tuple[str, str]]] = {
        "graph_url": ("FACEBOOK_GRAPH_URL", DEFAULT_GRAPH_URL),
        "graph_version": ("FACEBOOK_GRAPH_VERSION", DEFAULT_GRAPH_VERSION),
    }
    idempotent: ClassVar[bool] = False
    can_withdraw: ClassVar[bool] = True
    withdraw_is_remote: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_check: ClassVar[bool] = True
    poster_needs_image: ClassVar[bool] = True
    wants_share_image: ClassVar[bool] = True
    default_quiet_hours: ClassVar[tuple[time, time] | None] = (time(22, 0), time(6, 0))
    settings_schema: ClassVar[dict[str, dict[str, Any]]] = {
        "page_id": {
            "label": "ID Trang Facebook",
            "help": "Số định danh của Trang, xem trong phần Giới thiệu của Trang.",
            "type": "string",
            "required": True,
            "secret": False,
            "description": "ID của Trang Facebook",
        },
        "access_token": {
            "label": "Mã truy cập Trang (page access token)",
            "help": "Mã truy cập Trang có quyền pages_manage_posts.",
            "type": "string",
            "required": True,
            "secret": True,
            "description": "Mã truy cập Trang (page access token) có quyền pages_manage_posts",
        },
        "app_secret": {
            "label": "Khoá bí mật ứng dụng (app secret)",
            "help": "Không bắt buộc; khi có, mỗi lời gọi kèm appsecret_proof.",
            "type": "string",
            "required": False,
            "secret": True,
            "description": "Khoá bí mật ứng dụng, để gửi appsecret_proof",
        },
    }

    @classmethod
    def prepare_media(cls, item: MediaFile) -> MediaFile:
        """JPEG or PNG under 4 MB (posters may be WebP or larger): see :func:`photo_for_graph`."""
        return photo_for_graph(item)

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

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview:
        """The Page post as Facebook shows it: the message, then the poster or the link card."""
        message = compose_message(post)
        image = post.media[0].url if post.media else None
        warnings = ()
        if len(message) > MAX_MESSAGE_CHARS:
            warnings = (
                f"Vượt giới hạn của Facebook ({MAX_MESSAGE_CHARS:,} ký tự).".replace(",", "."),
            )
        return Preview(
            heading=post.title,
            body=message,
            style="social",
            image_url=image,
            link=None if image else post.link,
            facts=(("Độ dài", f"{len(message)} ký tự"),),
            warnings=warnings,
        )

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

    def engagement(self, external_id: str) -> Mapping[str, int] | None:
        """Reactions, comments and shares of a Page post, as Graph counts them now."""
        if not _OBJECT_ID.fullmatch(external_id or ""):
            raise Permanent(f"Mã bài viết Facebook không hợp lệ: {external_id!r}.")
        answer = self._call("GET", external_id, params={"fields": ENGAGEMENT_FIELDS})
        return _engagement_of(answer.payload)

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
        response = send(
            self.session,
            method,
            url,
            api_name="Graph API",
            base_url=self.graph_url,
            service="Facebook",
            scrub=self._scrub,
            ambiguous=lambda what, **kwargs: _ambiguous(method, what, **kwargs),
            keep_detail=True,
            params=query,
            data=data,
            files=files,
            headers=headers,
            timeout=(self.connect_timeout, self.timeout),
            allow_redirects=False,
        )
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


def _engagement_of(payload: Mapping[str, Any]) -> dict[str, int]:
    """Graph's summaries as counts; ``shares`` is left out of the answer while there are none."""

    def count(part: Any, *path: str) -> int:
        for key in path:
            part = part.get(key) if isinstance(part, Mapping) else None
        return part if isinstance(part, int) and not isinstance(part, bool) else 0

    return {
        "reactions": count(payload, "reactions", "summary", "total_count"),
        "comments": count(payload, "comments", "summary", "total_count"),
        "shares": count(payload, "shares", "count"),
    }


def _fallback_permalink(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"
