"""The official results report: figures for a period, a campaign and a unit, as JSON, as a
DOCX in the administrative layout and as an XLSX; and the engagement reads behind it.

Jobs are enqueued by dotted path (``publisher.reports.read_engagement``) and receive ids only.
"""

from __future__ import annotations


def read_engagement(channel_id: int) -> str:
    """RQ job: read the engagement of a channel's recent posts (see :mod:`.engagement`)."""
    from publisher.reports.engagement import read_engagement as run

    return run(channel_id)
