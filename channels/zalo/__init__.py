"""The Zalo Official Account adapter: articles through the OpenAPI, with token rotation.

Split by concern: :mod:`.adapter` (the calls), :mod:`.article` (what is sent, cut to Zalo's
limits), :mod:`.errors` (classification) and :mod:`.tokens` (OAuth v4 refresh under the
channel's credential store). Import from here.

Zalo answers HTTP 200 with a negative ``error``. They become the typed errors of
:mod:`channels.base`:

=====================================================  ===================================
Zalo answer                                            raised
=====================================================  ===================================
-216, -220, -124 (token unusable)                      refresh once through the store and
                                                       repeat the call; then ``ChannelBroken``
-219 -223 -209 -212 -221 -224 -204 -205 -242           ``ChannelBroken`` (configuration)
-32 (per-minute limit)                                 ``RateLimited`` 60 s
-211 (out of quota)                                    ``RateLimited`` 1 h, attempt kept
-214 (article being processed)                         verify polls again; ``Unknown`` on
                                                       create
-201 -210 -248, any other negative code                ``Permanent`` with Zalo's message
-234 (night broadcast)                                 broadcast not sent, recorded
HTTP 5xx, non-JSON, reset, read timeout                ``Unknown`` on create and broadcast,
                                                       ``Transient`` on reads and removal
connection refused, connect timeout                    ``Transient`` (nothing was sent)
refresh refused, or its answer lost twice              ``ChannelBroken``: re-authorise
=====================================================  ===================================
"""

from channels.zalo.adapter import (
    DEFAULT_OAUTH_URL,
    DEFAULT_OPENAPI_URL,
    REFRESH_AHEAD,
    ZaloAdapter,
)
from channels.zalo.article import (
    MAX_AUTHOR,
    MAX_DESCRIPTION,
    MAX_IMAGE_BYTES,
    MAX_TITLE,
    compose,
    cut,
)
from channels.zalo.errors import MINUTE_LIMIT_RETRY, QUOTA_RETRY, REAUTHORISE, classify
from channels.zalo.tokens import EXPIRES_SETTING

__all__ = [
    "DEFAULT_OAUTH_URL",
    "DEFAULT_OPENAPI_URL",
    "EXPIRES_SETTING",
    "MAX_AUTHOR",
    "MAX_DESCRIPTION",
    "MAX_IMAGE_BYTES",
    "MAX_TITLE",
    "MINUTE_LIMIT_RETRY",
    "QUOTA_RETRY",
    "REAUTHORISE",
    "REFRESH_AHEAD",
    "ZaloAdapter",
    "classify",
    "compose",
    "cut",
]
