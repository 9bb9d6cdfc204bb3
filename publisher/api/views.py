"""Importing this module registers every API endpoint on the blueprint."""

from publisher.api import (  # noqa: F401
    broadcasts,
    campaigns,
    channel_kinds,
    content,
    delivery,
    feed_sources,
    openapi,
    planning,
    recordings,
    schemas,
    tokens,
)
from publisher.audit import api as audit_api  # noqa: F401
from publisher.consents import api as consents_api  # noqa: F401
from publisher.donors import api as donors_api  # noqa: F401
from publisher.organisations import api as organisations_api  # noqa: F401
