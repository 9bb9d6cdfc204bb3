"""Importing this module registers every API endpoint on the blueprint."""

from publisher.api import (  # noqa: F401
    broadcasts,
    campaigns,
    content,
    delivery,
    feed_sources,
    openapi,
    planning,
    schemas,
    tokens,
)
from publisher.organisations import api as organisations_api  # noqa: F401
