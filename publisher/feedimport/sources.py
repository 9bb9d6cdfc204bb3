"""Which feed URLs may be saved as sources: checked when an editor types one in.

The importer checks again at every fetch (``fetch.check_url`` and a connection that
refuses private peers), since a name may resolve elsewhere later; this early check
is for the editor, who learns at once that an address cannot be used.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from channels.outbound import PRIVATE_REFUSED, private_destination
from content_library.sanitize import nfc


class SourceUrlRefused(ValueError):
    """The URL cannot be a feed source; the message is for the editor."""


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
    if not allow_private and private_destination(parts.hostname):
        raise SourceUrlRefused(PRIVATE_REFUSED)
    return url
