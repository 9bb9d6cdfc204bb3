"""Stable identifiers for what the service publishes: RSS guids (RFC 4151 tag URIs) and
calendar UIDs, both under one authority derived from ``PUBLIC_BASE_URL``.

A tag URI is ``tag:authority,date:specific``; the authority is a DNS name (or an
e-mail address), never a port, and the date is the day the authority was owned,
not the day of minting. Both are fixed here, so the same row gets the same
identifier after any restart, on any web process, whatever the clock says. Feed
readers treat a new guid as a new item, so these must not change once published.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The year the service first minted tags; part of every guid, so it never changes.
TAG_DATE = "2025"
# Used when PUBLIC_BASE_URL has no DNS name (an IPv6 literal, say): reserved, never real.
FALLBACK_AUTHORITY = "publisher.invalid"

_DNS_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


def tag_authority(base_url: str) -> str:
    """The lower-case host name of ``base_url``, without port or user, as RFC 4151 wants it."""
    host = (urlsplit(base_url if "//" in base_url else f"//{base_url}").hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return FALLBACK_AUTHORITY
    return host if _DNS_NAME.match(host) else FALLBACK_AUTHORITY


def tag_uri(base_url: str, specific: str) -> str:
    """``tag:<authority>,<TAG_DATE>:<specific>``."""
    return f"tag:{tag_authority(base_url)},{TAG_DATE}:{specific}"
