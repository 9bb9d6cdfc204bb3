"""Access-token rotation for a Zalo OA channel (OAuth v4, single-use refresh tokens).

The refresh runs inside ``config.store.rotate``: under a lock every worker respects, on the
settings read afresh from storage, and the new pair (with the access token's expiry) is
committed before anything uses it. Two workers never spend one refresh token: the second
finds the stored access token already changed and takes the new one instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from channels.base import ChannelBroken, Transient
from channels.transport import nothing_sent
from channels.zalo.errors import REAUTHORISE, redact

EXPIRES_SETTING = "access_token_expires_at"


def expiry_of(settings: Mapping[str, Any]) -> datetime | None:
    raw = settings.get(EXPIRES_SETTING)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def broken(reason: str, **kwargs: Any) -> ChannelBroken:
    return ChannelBroken(f"{reason} {REAUTHORISE}", **kwargs)


class TokenClient:
    """One call to ``/v4/oa/access_token``; the adapter runs it under the store's lock."""

    def __init__(self, session: requests.Session, oauth_url: str, timeouts: tuple[float, float]):
        self.session = session
        self.url = oauth_url.rstrip("/") + "/v4/oa/access_token"
        self.timeouts = timeouts

    def renew(self, current: Mapping[str, Any], spent_access_token: str | None) -> dict[str, Any]:
        """The settings that change; empty when another worker already rotated the pair."""
        stored = str(current.get("access_token") or "")
        if spent_access_token is not None and stored and stored != spent_access_token:
            return {}  # rotated meanwhile by another worker: use theirs, spend nothing
        refresh = str(current.get("refresh_token") or "").strip()
        app_id = str(current.get("app_id") or "").strip()
        secret = str(current.get("app_secret") or "").strip()
        if not (refresh and app_id and secret):
            raise broken("Kênh Zalo thiếu app_id, app_secret hoặc mã làm mới (refresh token).")
        try:
            answer = self._post(app_id, secret, refresh)
        except _Lost:
            # The answer was lost: Zalo may or may not have spent the refresh token. Asking
            # once more with it is harmless (a spent token is refused, nothing else happens).
            try:
                answer = self._post(app_id, secret, refresh)
            except _Lost as exc:
                raise broken(
                    "Không nhận được trả lời khi làm mới mã truy cập Zalo; mã làm mới có thể "
                    f"đã bị dùng ({exc})."
                ) from None
        token = answer.get("access_token")
        new_refresh = answer.get("refresh_token")
        if not token or not new_refresh:
            why = (
                answer.get("error_description") or answer.get("error_name") or answer.get("message")
            )
            said = redact(str(why or ""))
            for value in (refresh, secret):
                said = said.replace(value, "***")
            raise broken(
                "Zalo từ chối làm mới mã truy cập" + (f" ({said[:200]})." if said else ".")
            )
        try:
            seconds = float(answer.get("expires_in") or 0)
        except (TypeError, ValueError):
            seconds = 0.0
        changes: dict[str, Any] = {"access_token": str(token), "refresh_token": str(new_refresh)}
        changes[EXPIRES_SETTING] = (
            (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")
            if seconds > 0
            else ""
        )
        return changes

    def _post(self, app_id: str, secret: str, refresh: str) -> dict[str, Any]:
        try:
            response = self.session.post(
                self.url,
                data={"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh},
                headers={"secret_key": secret, "Accept": "application/json"},
                timeout=self.timeouts,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            if nothing_sent(exc):
                raise Transient("Không kết nối được máy chủ cấp mã của Zalo; sẽ thử lại.") from None
            raise _Lost(type(exc).__name__) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 500 or not isinstance(payload, dict):
            raise _Lost(f"HTTP {response.status_code}")
        return payload


class _Lost(Exception):
    """The refresh request left, but no usable answer came back."""
