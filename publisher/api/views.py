"""Importing this module registers every API endpoint on the blueprint."""

from publisher.api import campaigns, content, openapi  # noqa: F401
