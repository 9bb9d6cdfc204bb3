"""Importing this module registers every API endpoint on the blueprint."""

from publisher.api import schemas  # noqa: F401  (request and answer schemas first)

from publisher.api import broadcasts, campaigns, content, delivery, openapi  # noqa: F401
from publisher.api import feed_sources  # noqa: F401
from publisher.api import planning  # noqa: F401
