"""The Facebook Page adapter: posts through the Graph API over plain HTTP.

The package is split by concern: :mod:`.adapter` (the HTTP calls), :mod:`.errors`
(classification), :mod:`.usage` (usage headers and throttling), :mod:`.health`
(``debug_token`` verdicts), :mod:`.message` (what is sent) and :mod:`.media` (posters
converted to what Graph takes). Import from here.

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

from channels.fanpage.adapter import (
    DEFAULT_GRAPH_URL,
    DEFAULT_GRAPH_VERSION,
    LOOKUP_MARGIN_SECONDS,
    LOOKUP_MAX_PAGES,
    FanpageAdapter,
)
from channels.fanpage.errors import (
    APP_LIMIT_RETRY,
    PAGE_LIMIT_RETRY,
    POLICY_BLOCK_RETRY,
    classify_error,
)
from channels.fanpage.health import EXPIRY_WARNING_DAYS, REQUIRED_SCOPES
from channels.fanpage.media import photo_for_graph
from channels.fanpage.message import (
    MAX_MESSAGE_CHARS,
    MAX_PHOTO_BYTES,
    PHOTO_MIMES,
    compose_message,
)
from channels.fanpage.usage import (
    FULL_THROTTLE,
    SOFT_THROTTLE_FROM,
    SOFT_THROTTLE_MAX,
    regain_seconds,
    throttle_seconds,
    usage_percent,
)

__all__ = [
    "APP_LIMIT_RETRY",
    "DEFAULT_GRAPH_URL",
    "DEFAULT_GRAPH_VERSION",
    "EXPIRY_WARNING_DAYS",
    "FULL_THROTTLE",
    "LOOKUP_MARGIN_SECONDS",
    "LOOKUP_MAX_PAGES",
    "MAX_MESSAGE_CHARS",
    "MAX_PHOTO_BYTES",
    "PAGE_LIMIT_RETRY",
    "PHOTO_MIMES",
    "POLICY_BLOCK_RETRY",
    "REQUIRED_SCOPES",
    "SOFT_THROTTLE_FROM",
    "SOFT_THROTTLE_MAX",
    "FanpageAdapter",
    "classify_error",
    "compose_message",
    "photo_for_graph",
    "regain_seconds",
    "throttle_seconds",
    "usage_percent",
]
