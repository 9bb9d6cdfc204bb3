"""HTTP transport failures shared by the adapters that call a remote API with requests.

Kind-neutral: the service's names and the kind's own "maybe it took effect" error come in as
arguments, so every message a user sees still names the service it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from channels.base import ChannelBroken, ChannelError, Transient

_BAD_ADDRESS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the service (refused, connect timeout, DNS)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    api_name: str,
    base_url: str,
    service: str,
    scrub: Callable[[str], str],
    ambiguous: Callable[..., ChannelError],
    keep_detail: bool = False,
    **request_args: Any,
) -> requests.Response:
    """``session.request`` with its failures typed.

    A malformed address is ChannelBroken ("Địa chỉ {api_name} không hợp lệ: {base_url}"); a
    request that never left is Transient; one lost on the way is whatever ``ambiguous(what,
    **kwargs)`` makes of it (Unknown where it may have taken effect). ``keep_detail`` attaches
    the scrubbed failure as the error's excerpt and keeps the original exception as its cause.
    """
    try:
        return session.request(method, url, **request_args)
    except _BAD_ADDRESS as exc:
        raise ChannelBroken(f"Địa chỉ {api_name} không hợp lệ: {base_url}") from exc
    except requests.RequestException as exc:
        detail = scrub(f"{type(exc).__name__}: {exc}")
        extra: dict[str, Any] = {"excerpt": detail} if keep_detail else {}
        cause = exc if keep_detail else None
        if nothing_sent(exc):
            message = f"Không kết nối được tới {service}; sẽ thử lại. ({detail})"
            raise Transient(message, **extra) from cause
        raise ambiguous(f"mất kết nối hoặc quá thời gian chờ: {detail}", **extra) from cause
