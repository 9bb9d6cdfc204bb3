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
from urllib3.exceptions import NewConnectionError

from channels.base import (
    Adapter,
    DeliveryResult,
    Permanent,
    RateLimited,
    RenderedPost,
    SettingsInvalid,
    Transient,
    Unknown,
)

USER_AGENT = "campaign-publisher-webhook/1"


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


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(1.0, float(value))
    except ValueError:
        return default


class WebhookAdapter(Adapter):
    kind = "webhook"
    label = "Webhook (JSON có chữ ký)"
    settings_schema = {
        "url": {"type": "string", "required": True, "description": "https:// address to POST to"},
        "secret": {
            "type": "string",
            "required": True,
            "secret": True,
            "description": "HMAC-SHA256 signing key",
        },
    }
    idempotent = True

    @classmethod
    def http_session(cls) -> requests.Session:
        # Kept per channel by the caller: deliveries to one receiver reuse the connection.
        return requests.Session()

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
        http = self.session or requests
        try:
            response = http.post(
                self.config.settings["url"],
                data=body,
                headers=headers,
                timeout=(min(5.0, timeout), timeout),
                allow_redirects=False,
            )
        except (requests.ConnectTimeout, requests.exceptions.InvalidURL) as exc:
            # Nothing was sent: safe to try again.
            raise Transient(f"could not connect: {exc}") from None
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise Transient(f"could not connect: {exc}") from None
            raise Unknown(f"connection lost after sending: {exc}") from None
        except requests.Timeout as exc:
            raise Unknown(f"no answer in {timeout:g} s: {exc}") from None
        excerpt = response.text[:500]
        with response:
            status = response.status_code
        if 200 <= status < 300:
            try:
                data = json.loads(excerpt) if excerpt.strip().startswith("{") else {}
            except ValueError:
                data = {}
            return DeliveryResult(
                external_id=str(data.get("id") or post.idempotency_key),
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
            f"receiver refused the delivery: HTTP {status} {excerpt[:200]}",
            excerpt=excerpt,
            code=str(status),
        )

    def lookup(self, post: RenderedPost, since: Any) -> DeliveryResult | None:
        # Resending with the same Idempotency-Key is how a webhook resolves an unknown outcome.
        return None
