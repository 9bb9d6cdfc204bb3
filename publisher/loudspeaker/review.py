"""The reading checks at approval time: findings on a version's reading, and "keep as written".

Findings are warnings, not a gate: a reader can say what the checks cannot judge (a
name in capitals the table does not know, a repetition the author wants). They are
shown to the editor and the approver until someone keeps the reading as written; that
choice is recorded for the version and for the reading as it then was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.loudspeaker.lints import Finding
from content_library.db import utcnow
from content_library.models import ContentItem, ContentVersion
from content_library.sanitize import html_to_text
from publisher.loudspeaker.models import AudioRecording, ReadingKept
from publisher.loudspeaker.reading import reading_findings, spell_out_text


@dataclass(frozen=True)
class ReadingReview:
    """A version's reading, what the checks found in it, and whether it was kept as written."""

    reading: str
    findings: tuple[Finding, ...]
    kept: ReadingKept | None
    # A person's reading attached to this version: the approver listens before approving.
    recording: AudioRecording | None = None

    @property
    def open_findings(self) -> tuple[Finding, ...]:
        """The findings still to look at (none once the reading was kept as written)."""
        return () if self.kept is not None else self.findings

    def highlighted(self) -> Markup:
        """The reading as HTML with each finding in a ``<mark>`` carrying its message."""
        parts: list[str] = []
        position = 0
        for finding in self.findings:
            if finding.start < position:  # overlapping findings: the first one shows
                continue
            parts.append(str(escape(self.reading[position : finding.start])))
            parts.append(
                f'<mark class="reading-finding" title="{escape(finding.message)}" '
                f'data-code="{escape(finding.code)}">'
                f"{escape(self.reading[finding.start : finding.end])}</mark>"
            )
            position = finding.end
        parts.append(str(escape(self.reading[position:])))
        return Markup("".join(parts))  # noqa: S704 - every piece above is escaped


def version_reading(version: ContentVersion) -> tuple[str, str]:
    """(reading, source) as bulletins read the version: the editor's correction wins."""
    source = html_to_text(version.body_html)
    return version.reading_text or spell_out_text(source), source


def _hash(reading: str, source: str) -> str:
    return hashlib.sha256(f"{source}\x00{reading}".encode()).hexdigest()


def review_reading(session: Session, item: ContentItem, version: ContentVersion) -> ReadingReview:
    """The checks on ``version``'s reading; a template's placeholders are filled per drive,
    so its words are checked when filled (the demo bulletins' test), not here."""
    reading, source = version_reading(version)
    recording = session.scalar(
        select(AudioRecording).where(AudioRecording.version_id == version.id)
    )
    if item.is_template:
        return ReadingReview(reading=reading, findings=(), kept=None, recording=recording)
    findings = tuple(reading_findings(reading, source))
    kept = session.scalar(select(ReadingKept).where(ReadingKept.version_id == version.id))
    if kept is not None and kept.reading_hash != _hash(reading, source):
        kept = None  # the draft changed since: its reading has to be looked at again
    return ReadingReview(reading=reading, findings=findings, kept=kept, recording=recording)


def keep_as_written(
    session: Session, item: ContentItem, version: ContentVersion, user_id: int | None
) -> ReadingKept:
    """Record that the version's reading is meant as it is; the warnings are resolved."""
    reading, source = version_reading(version)
    count = len(reading_findings(reading, source))
    kept = session.scalar(select(ReadingKept).where(ReadingKept.version_id == version.id))
    if kept is None:
        kept = ReadingKept(version_id=version.id)
        session.add(kept)
    kept.reading_hash = _hash(reading, source)
    kept.findings = count
    kept.kept_by = user_id
    kept.kept_at = utcnow()
    session.flush()
    return kept
