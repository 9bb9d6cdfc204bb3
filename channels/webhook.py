"""Webhook: the rendered publication as signed JSON to a partner's URL.

The body is signed with HMAC-SHA256 (``X-Publisher-Signature: sha256=<hex>``, over
``<timestamp>.<body>`` with ``X-Publisher-Timestamp``) and carries the publication's
idempotency key in ``Idempotency-Key``. The key never changes between attempts, so a
receiver that remembers keys can take a resend as a no-op: that is what makes an
unknown outcome (a timeout after sending) safe to resolve by sending again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.exceptions import NewConnectionError

from channels.base import (
    Adapter,
    DeliveryResult,
    Permanent,
    Preview,
    RateLimited,
    RenderedPost,
    SettingsInvalid,
    Transient,
    Unknown,
    clean_excerpt,
)
from channels.outbound import AddressRefused, check_url, outbound_session

USER_AGENT = "campaign-publisher-webhook/1"
# Enough of the receiver's answer to read its JSON ({"id": …, "url": …}); the rest is
# never read, so a receiver cannot fill the worker's memory.
ANSWER_BYTES = 64 * 1024


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(post: RenderedPost) -> dict[str, Any]:
    return {
        "publication_id": post.publication_id,
        "idempotency_key": post.idempotency_key,
        "title": post.title,
        "text": post.text,
        "html": post.html,
        "summary": post.summary,
        "link": post.link,
        "language": post.language,
        "priority": post.priority,
        "tags": list(post.tags),
        "media": [
            {"url": m.url, "mime": m.mime, "width": m.width, "height": m.height} for m in post.media
        ],
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "expires_at": post.expires_at.isoformat() if post.expires_at else None,
    }


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (refused, no such host): nothing was sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _read_answer(response: requests.Response) -> str:
    """At most ANSWER_BYTES of the body, decoded; a body cut short is kept as it came."""
    try:
        raw = response.raw.read(ANSWER_BYTES, decode_content=True) or b""
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
        raw = b""  # the status is what counts; the body only explains it
    return raw.decode(response.encoding or "utf-8", errors="replace")


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(1.0, float(value))
    except ValueError:
        return default


class WebhookAdapter(Adapter):
    kind = "webhook"
    label = "Webhook (JSON có chữ ký)"
    short_label = "Đối tác"
    settings_schema = {
        # "outbound": a URL the service calls, held to the outbound address policy
        # (no loopback or private addresses unless OUTBOUND_ALLOW_PRIVATE) when saved.
        "url": {
            "label": "Địa chỉ nhận (URL)",
            "help": "Địa chỉ https:// của đối tác nhận bản tin (POST).",
            "type": "string",
            "required": True,
            "outbound": True,
            "description": "https:// address to POST to",
        },
        "secret": {
            "label": "Khoá ký HMAC",
            "help": "Khoá dùng chung với đối tác để ký và kiểm tra chữ ký HMAC-SHA256.",
            "type": "string",
            "required": True,
            "secret": True,
            "description": "HMAC-SHA256 signing key",
        },
    }
    idempotent = True

    @classmethod
    def preview(cls, post: RenderedPost) -> Preview:
        """What the partner receives: the title, the plain text and the link, signed."""
        return Preview(
            heading=post.title,
            body=post.text,
            style="article",
            link=post.link,
            facts=(("Gửi đi", "JSON có chữ ký HMAC-SHA256, kèm khoá chống trùng"),),
        )

    @classmethod
    def http_session(cls, options: dict[str, Any] | None = None) -> requests.Session:
        # Kept per channel by the caller: deliveries to one receiver reuse the connection.
        # The kept session carries the same connect-time address guard as a fresh one.
        allow_private = bool((options or {}).get("allow_private", False))
        return outbound_session(allow_private=allow_private)

    @classmethod
    def validate_settings(cls, settings: Any) -> dict[str, Any]:
        cleaned = super().validate_settings(settings)
        parts = urlsplit(cleaned.get("url", ""))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsInvalid({"url": "must be an http(s) URL"})
        if len(cleaned.get("secret", "")) < 16:
            raise SettingsInvalid({"secret": "must be at least 16 characters"})
        return cleaned

    def publish(self, post: RenderedPost) -> DeliveryResult:
        body = json.dumps(payload(post), ensure_ascii=False, sort_keys=True).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": post.idempotency_key,
            "X-Publisher-Timestamp": timestamp,
            "X-Publisher-Signature": sign(self.config.settings["secret"], timestamp, body),
        }
        timeout = float(self.config.options.get("timeout", 30))
        # Checked again at every call, not only when saved: a name may resolve elsewhere
        # by now. The guarded session also refuses a connection that lands on a private
        # address (DNS rebinding) before the body is sent.
        allow_private = bool(self.config.options.get("allow_private", False))
        http = self.session or outbound_session(allow_private=allow_private)
        try:
            return self._send(http, post, body, headers, timeout, allow_private)
        finally:
            if self.session is None:
                http.close()

    def _send(
        self,
        http: Any,
        post: RenderedPost,
        body: bytes,
        headers: dict[str, str],
        timeout: float,
        allow_private: bool,
    ) -> DeliveryResult:
        url = self.config.settings["url"]
        try:
            check_url(url, allow_private=allow_private)
            response = http.post(
                url,
                data=body,
                headers=headers,
                timeout=(min(5.0, timeout), timeout),
                allow_redirects=False,
                stream=True,
            )
        except AddressRefused as exc:
            if exc.reason == "unresolvable":
                raise Transient(f"could not resolve the receiver: {exc.detail}") from None
            # Nothing was sent. Only a person can fix the address (or the setting).
            if exc.reason == "private":
                raise Permanent(
                    "Địa chỉ webhook trỏ tới mạng nội bộ nên bị chặn / receiver address "
                    f"refused (OUTBOUND_ALLOW_PRIVATE is off): {exc.detail}"
                ) from None
            raise Permanent(
                f"Địa chỉ webhook không hợp lệ / receiver URL refused: {exc.detail}"
            ) from None
        except (requests.ConnectTimeout, requests.exceptions.InvalidURL) as exc:
            # Nothing was sent: safe to try again.
            raise Transient(f"could not connect: {exc}") from None
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise Transient(f"could not connect: {exc}") from None
            raise Unknown(f"connection lost after sending: {exc}") from None
        except requests.Timeout as exc:
            raise Unknown(f"no answer in {timeout:g} s: {exc}") from None
        with response:
            status = response.status_code
            answer = _read_answer(response)
        excerpt = clean_excerpt(answer)
        if 200 <= status < 300:
            try:
                data = json.loads(answer) if answer.strip().startswith("{") else {}
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
            return DeliveryResult(
                external_id=str(data.get("id") or post.idempotency_key)[:200],
                external_url=data.get("url") if isinstance(data.get("url"), str) else None,
                excerpt=excerpt,
            )
        if status == 429:
            raise RateLimited(
                "receiver asks to slow down (429)",
                retry_after=_retry_after(response, 60.0),
                excerpt=excerpt,
                code="429",
            )
        if status in (408, 425) or status >= 500:
            raise Transient(f"receiver answered HTTP {status}", excerpt=excerpt, code=str(status))
        raise Permanent(
            f"receiver refused the delivery: HTTP {status} {excerpt}".rstrip(),
            excerpt=excerpt,
            code=str(status),
        )
