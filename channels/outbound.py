"""Which addresses the service may call: the one policy for every URL a user configures.

Feed sources and webhooks are URLs typed in by people, so every request to one is a
server-side request forgery (SSRF) surface: pointed at ``http://127.0.0.1:…/internal``
or a cloud metadata address, the service would fetch what only it can reach and show
the answer to the person who typed the URL. Unless private addresses are allowed (the
``OUTBOUND_ALLOW_PRIVATE`` setting, for tests and closed networks), such URLs are:

- refused when saved (:func:`private_destination`, for a clear message at once), and
- refused again when called, since a name may resolve elsewhere later: the name is
  checked before the request (:func:`check_url`) and the address each socket actually
  connected to is checked before anything is sent (:func:`public_only_session`), which
  also defeats DNS rebinding. Through a proxy the peer is the proxy; the name check
  still applies.

Pure code (requests and urllib3 only), so adapters in ``channels/`` use it directly and
``publisher`` uses the same copy for feed import.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.utils
import urllib3
import urllib3.connection
from requests.sessions import merge_setting

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# What a person saving such a URL reads (Vietnamese first, as everywhere in the UI).
PRIVATE_REFUSED = (
    "Địa chỉ nội bộ (máy này, mạng riêng) bị chặn để bảo mật "
    "/ loopback and private addresses are refused (OUTBOUND_ALLOW_PRIVATE is off)"
)


class AddressRefused(Exception):
    """A URL the policy does not allow; ``reason`` says which rule, ``detail`` is for logs.

    Not an ``OSError``, so urllib3 and requests let it through a connect unchanged.
    ``reason`` is one of ``invalid``, ``scheme``, ``unresolvable``, ``private``.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def is_blocked_address(ip: IPAddress) -> bool:
    """True for addresses the service must not call (anything not public)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_blocked_address(embedded):
            return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(host: str, port: int | None) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def private_destination(host: str) -> bool:
    """True if ``host`` is, or resolves to, a non-public address (the check when saving).

    A name that does not resolve today (a typo, or DNS down) is not refused here: the
    call checks again and records a readable error.
    """
    literal = _literal(host)
    if literal is not None:
        return is_blocked_address(literal)
    try:
        return any(is_blocked_address(ip) for ip in _resolve(host, None))
    except (OSError, UnicodeError):
        return False


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL we must not call: not http(s), unresolvable, or a non-public host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("invalid", f"bad URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("scheme", f"scheme {parts.scheme!r} refused: {url}")
    host = parts.hostname
    if not host:
        raise AddressRefused("invalid", f"no host in {url!r}")
    if allow_private:
        return
    try:
        addresses = _resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        raise AddressRefused("unresolvable", f"cannot resolve {host!r}: {exc}") from exc
    blocked = [ip for ip in addresses if is_blocked_address(ip)]
    if blocked:
        raise AddressRefused("private", f"{host} resolves to non-public address {blocked[0]}")


def _refuse_private_peer(sock: socket.socket, host: str) -> None:
    try:
        peer = ipaddress.ip_address(sock.getpeername()[0])
    except (OSError, ValueError):
        return  # not an IP socket; the name check already ran
    if is_blocked_address(peer):
        sock.close()
        raise AddressRefused("private", f"{host} connected to non-public {peer}")


class _PublicOnlyHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_private_peer(self.sock, self.host)


class _PublicOnlyHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        # The TLS handshake has happened, the request has not been sent.
        super().connect()
        _refuse_private_peer(self.sock, self.host)


class _PublicOnlyHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _PublicOnlyHTTPConnection


class _PublicOnlyHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PublicOnlyHTTPSConnection


class _PublicOnlyAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicOnlyHTTPPool,
            "https": _PublicOnlyHTTPSPool,
        }


# What requests reads from the environment for an http(s) request: the proxies (lower
# case first; HTTP_PROXY is ignored under CGI, when REQUEST_METHOD is set), the hosts
# that bypass them, and a CA bundle.
_ENVIRONMENT = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)
_ENV_SETTINGS: dict[tuple[Any, ...], dict[str, str]] = {}
_ENV_SETTINGS_LOCK = threading.Lock()
_ENV_SETTINGS_MAX = 1024


class Session(requests.Session):
    """A requests session that reads the environment's proxy settings cheaply.

    For every request, requests works out the proxies by walking the whole environment
    (``urllib.request.getproxies``, twice with the bypass check): on a worker that is a
    good part of a delivery's CPU. Here the answer is kept per destination and per value
    of the variables it depends on (``_ENVIRONMENT``), which are read on every request:
    a proxy set, changed or bypassed in the environment applies to the next request.
    """

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        environ = os.environ
        seen = tuple(environ.get(name) for name in _ENVIRONMENT)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy, seen)
        env_proxies = _ENV_SETTINGS.get(key)
        if env_proxies is None:
            env_proxies = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
            with _ENV_SETTINGS_LOCK:
                if len(_ENV_SETTINGS) >= _ENV_SETTINGS_MAX:
                    _ENV_SETTINGS.clear()
                _ENV_SETTINGS[key] = env_proxies
        if proxies is not None:
            for name, value in env_proxies.items():
                proxies.setdefault(name, value)
        if verify is True or verify is None:
            verify = seen[-2] or seen[-1] or verify
        # Then as requests does: the session's own settings under the request's.
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


def public_only_session() -> requests.Session:
    """A session whose direct connections refuse non-public peer addresses."""
    session = Session()
    adapter = _PublicOnlyAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def outbound_session(*, allow_private: bool) -> requests.Session:
    """The session to call a configured URL with: guarded unless private addresses are allowed."""
    return Session() if allow_private else public_only_session()
