"""Importing articles from other sites' RSS and Atom feeds: fetching (``fetch``) and
parsing (``parse``), both free of Flask and the database; ``service`` creates the drafts.

Jobs are enqueued by dotted path (``publisher.feedimport.import_feed``) and receive ids only.
"""

from __future__ import annotations


def import_feed(source_id: int) -> str:
    """RQ job: import one feed source now (see :mod:`publisher.feedimport.service`)."""
    from publisher.feedimport.jobs import run_import

    return run_import(source_id)
