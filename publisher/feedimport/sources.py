"""Which feed URLs may be saved as sources: checked when an editor types one in.

The importer checks again at every fetch (``fetch.check_url`` and a connection that
refuses private peers), since a name may resolve elsewhere later; this early check
is for the editor, who learns at once that an address cannot be used.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urldefrag, urlsplit

from content_library.sanitize import nfc
from publisher.feedimport.fetch import is_blocked_address

PRIVATE_REFUSED = (
    "Địa chỉ nội bộ (máy này, mạng riêng) bị chặn để bảo mật "
    "/ loopback and private addresses are refused (FEED_IMPORT_ALLOW_PRIVATE is off)"
)


class SourceUrlRefused(ValueError):
    """The URL cannot be a feed source; the message is for the editor."""


def _private_host(host: str) -> bool:
    """True if ``host`` is, or resolves to, an address the importer must not reach."""
    try:
        return is_blocked_address(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        # Unresolvable today (a typo, or DNS down): the importer checks again at every
        # fetch and records a readable error, so the source may be saved.
        return False
    return any(is_blocked_address(ipaddress.ip_address(info[4][0])) for info in infos)


def clean_source_url(raw: str, *, allow_private: bool) -> str:
    """The URL to store: trimmed, NFC, without fragment; :class:`SourceUrlRefused` otherwise."""
    url = urldefrag(nfc(raw).strip()).url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise SourceUrlRefused("Địa chỉ không hợp lệ / not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SourceUrlRefused("Chỉ nhận địa chỉ http:// hoặc https:// / must be an http(s) URL")
    if not allow_private and _private_host(parts.hostname):
        raise SourceUrlRefused(PRIVATE_REFUSED)
    return url
