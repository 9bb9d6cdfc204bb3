"""Importing this module registers every API endpoint on the blueprint."""

from publisher.api import campaigns, content, delivery, openapi  # noqa: F401
