"""Importing a feed source into draft articles, and keeping the source's fetch state.

The network fetch happens outside any database transaction (an editor-typed URL may
take its full timeout to answer, and SQLite would hold its write lock meanwhile).
Every source is imported in transactions of its own, so one broken source records
its error and the others go on.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_library.models import ContentItem
from content_library.sanitize import plain_text, plain_to_html
from content_library.services import create_content
from publisher.feedimport.fetch import FeedFetchError, fetch_feed
from publisher.feedimport.models import FeedSource
from publisher.feedimport.parse import FeedParseError, ImportedEntry, ParsedFeed, parse_feed

log = logging.getLogger(__name__)

# A first import of a feed with a long history should not flood the review queue.
MAX_ENTRIES_PER_IMPORT = 100
UNEXPECTED_ERROR_VI = "Lỗi hệ thống khi nhập nguồn tin; quản trị viên đã được ghi nhận lỗi"
_IN_CHUNK = 500
_TITLE_MAX, _GUID_MAX, _URL_MAX, _NAME_MAX = 300, 500, 1000, 300


@dataclass(frozen=True)
class ImportReport:
    """What one import of one source did; ``error`` is the Vietnamese message, if any."""

    created: int = 0
    skipped: int = 0
    not_modified: bool = False
    error: str | None = None
    source_id: int | None = None
    status: str = "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "status": self.status,
            "created": self.created,
            "skipped": self.skipped,
            "not_modified": self.not_modified,
            "error": self.error,
        }


def import_source(
    session: Session,
    source: FeedSource,
    *,
    allow_private: bool,
    now: datetime,
    fetch_options: dict[str, Any] | None = None,
) -> ImportReport:
    """Fetch ``source`` (conditional GET), create drafts for new entries, record the outcome.

    Commits: once before the fetch (no transaction stays open across the network call)
    and once at the end. Fetch and parse failures are recorded on the source and
    returned in the report; anything else propagates.
    """
    url, etag, last_modified = source.url, source.etag, source.last_modified
    session.commit()
    try:
        # fetch_feed makes its own public_only_session() unless private addresses are allowed.
        result = fetch_feed(
            url,
            etag=etag,
            last_modified=last_modified,
            allow_private=allow_private,
            **(fetch_options or {}),
        )
        parsed = (
            None
            if result.status == "not_modified"
            else parse_feed(result.body, content_type=result.content_type, base_url=result.url)
        )
    except (FeedFetchError, FeedParseError) as exc:
        log.warning("feed import failed for source %s: %s", source.id, exc.detail_en)
        # The validators are not updated: the next fetch must get the body again.
        _record(session, source, now, status="error", error=exc.message_vi)
        session.commit()
        return ImportReport(error=exc.message_vi, source_id=source.id, status="error")
    if parsed is None:
        source.etag = result.etag
        source.last_modified = result.last_modified
        _record(session, source, now, status="not_modified", error=None)
        session.commit()
        return ImportReport(not_modified=True, source_id=source.id, status="not_modified")
    created, skipped = _create_drafts(session, source, parsed)
    source.etag = result.etag
    source.last_modified = result.last_modified
    if not source.name and parsed.title:
        source.name = parsed.title[:_NAME_MAX]
    _record(session, source, now, status="ok", error=None, created=created)
    session.commit()
    log.info("feed source %s: %d created, %d skipped", source.id, created, skipped)
    return ImportReport(created=created, skipped=skipped, source_id=source.id, status="ok")


def _record(
    session: Session,
    source: FeedSource,
    now: datetime,
    *,
    status: str,
    error: str | None,
    created: int = 0,
) -> None:
    source.last_status = status
    source.last_error = error
    source.last_fetched_at = now
    source.next_fetch_at = now + timedelta(minutes=source.interval_minutes or 60)
    session.flush()
    if created:
        # In SQL, so an import running beside this one cannot lose our count.
        session.execute(
            update(FeedSource)
            .where(FeedSource.id == source.id)
            .values(imported_count=FeedSource.imported_count + created)
        )
        session.refresh(source, ["imported_count"])


def _stored_guid(guid: str) -> str:
    if len(guid) <= _GUID_MAX:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode()).hexdigest()


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _known(
    session: Session, source_id: int, guids: list[str], urls: list[str]
) -> tuple[set[str], set[str]]:
    """Guids this source already imported, and article URLs any item already carries."""
    known_guids: set[str] = set()
    known_urls: set[str] = set()
    for chunk in _chunks(guids):
        known_guids.update(
            session.scalars(
                select(ContentItem.source_guid).where(
                    ContentItem.feed_source_id == source_id, ContentItem.source_guid.in_(chunk)
                )
            )
        )
    for chunk in _chunks(urls):
        known_urls.update(
            session.scalars(select(ContentItem.source_url).where(ContentItem.source_url.in_(chunk)))
        )
    return known_guids, known_urls


def _source_name(source: FeedSource, parsed: ParsedFeed) -> str:
    name = (source.name or "").strip() or parsed.title.strip()
    return (name or urlsplit(source.url).hostname or source.url)[:_NAME_MAX]


def source_line(name: str, link: str | None) -> str:
    """``<p>Nguồn: <a href="…">name</a></p>``, escaped."""
    label = html.escape(name, quote=False)
    if not link:
        return f"<p>Nguồn: {label}</p>"
    return f'<p>Nguồn: <a href="{html.escape(link, quote=True)}">{label}</a></p>'


def draft_body(entry: ImportedEntry, name: str, link: str | None) -> str:
    """The entry's sanitised content (or its summary) and the line naming the source."""
    body = entry.content_html.strip() or plain_to_html(entry.summary)
    return body + source_line(name, link)


def _create_drafts(session: Session, source: FeedSource, parsed: ParsedFeed) -> tuple[int, int]:
    entries = parsed.entries[:MAX_ENTRIES_PER_IMPORT]
    skipped = len(parsed.entries) - len(entries)
    guids = [_stored_guid(e.guid) for e in entries]
    urls = [e.link for e in entries if e.link and len(e.link) <= _URL_MAX]
    known_guids, known_urls = _known(session, source.id, guids, urls)
    name = _source_name(source, parsed)
    created = 0
    # Feeds list the newest first; creating the oldest first keeps ids in time order.
    for entry, guid in reversed(list(zip(entries, guids, strict=True))):
        link = entry.link if entry.link and len(entry.link) <= _URL_MAX else None
        if guid in known_guids or (link and link in known_urls):
            skipped += 1
            continue
        if not (entry.title or entry.summary or entry.content_html):
            skipped += 1
            continue
        known_guids.add(guid)
        if link:
            known_urls.add(link)
        if _create_one(session, source, entry, guid=guid, link=link, name=name, feed=parsed):
            created += 1
        else:
            skipped += 1
    return created, skipped


def _create_one(
    session: Session,
    source: FeedSource,
    entry: ImportedEntry,
    *,
    guid: str,
    link: str | None,
    name: str,
    feed: ParsedFeed,
) -> bool:
    # Titles are plain text (RSS readers may render them as HTML): markup goes.
    title = plain_text(entry.title or "") or plain_text(entry.summary or "") or plain_text(name)
    title = title or "Bài nhập từ nguồn tin"
    if len(title) > _TITLE_MAX:
        title = title[: _TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    try:
        # A savepoint per entry: an import of the same source running at the same time
        # may insert this guid first; the unique constraint then skips just this entry.
        with session.begin_nested():
            item = create_content(
                session,
                kind="article",
                title=title,
                body=draft_body(entry, name, link or feed.link or source.url),
                summary=entry.summary,
                campaign_id=source.campaign_id,
                tags=[str(t) for t in source.tags or []],
                author_id=None,
            )
            item.feed_source_id = source.id
            item.source_guid = guid
            item.source_url = link
            item.source_name = name
            session.flush()
    except IntegrityError:
        log.info("entry %r of source %s was imported concurrently", guid, source.id)
        return False
    return True


def _due(now: datetime) -> Any:
    return or_(FeedSource.next_fetch_at.is_(None), FeedSource.next_fetch_at <= now)


def due_source_ids(session: Session, now: datetime) -> list[tuple[int, datetime | None]]:
    """Enabled sources whose next fetch is due, with the time it was due."""
    rows = session.execute(
        select(FeedSource.id, FeedSource.next_fetch_at)
        .where(FeedSource.enabled.is_(True), _due(now))
        .order_by(FeedSource.next_fetch_at, FeedSource.id)
    ).all()
    return [(source_id, due) for source_id, due in rows]


def import_one(
    session: Session,
    source_id: int,
    *,
    allow_private: bool,
    now: datetime,
    fetch_options: dict[str, Any] | None = None,
) -> ImportReport | None:
    """Import one source by id; an unexpected failure is recorded on it, then re-raised."""
    source = session.get(FeedSource, source_id)
    if source is None:
        session.rollback()
        return None
    try:
        return import_source(
            session, source, allow_private=allow_private, now=now, fetch_options=fetch_options
        )
    except Exception:
        session.rollback()
        fresh = session.get(FeedSource, source_id)
        if fresh is not None:
            _record(session, fresh, now, status="error", error=UNEXPECTED_ERROR_VI)
            session.commit()
        raise


def import_many(
    session: Session,
    source_ids: Iterable[int],
    *,
    allow_private: bool,
    now: datetime,
    fetch_options: dict[str, Any] | None = None,
) -> list[ImportReport]:
    """Import each source in its own transactions; a broken one does not stop the rest."""
    reports = []
    for source_id in source_ids:
        try:
            report = import_one(
                session,
                source_id,
                allow_private=allow_private,
                now=now,
                fetch_options=fetch_options,
            )
        except Exception:  # recorded on the source by import_one; go on with the next
            log.exception("feed source %s failed unexpectedly", source_id)
            report = ImportReport(error=UNEXPECTED_ERROR_VI, source_id=source_id, status="error")
        if report is not None:
            reports.append(report)
    return reports


def import_due(
    session: Session,
    *,
    allow_private: bool,
    now: datetime,
    fetch_options: dict[str, Any] | None = None,
) -> list[ImportReport]:
    """Import every enabled source whose ``next_fetch_at`` has come."""
    ids = [source_id for source_id, _due_at in due_source_ids(session, now)]
    session.rollback()
    return import_many(
        session, ids, allow_private=allow_private, now=now, fetch_options=fetch_options
    )


def import_enabled(
    session: Session,
    *,
    allow_private: bool,
    now: datetime,
    fetch_options: dict[str, Any] | None = None,
) -> list[ImportReport]:
    """Import every enabled source now, due or not."""
    ids = list(
        session.scalars(
            select(FeedSource.id).where(FeedSource.enabled.is_(True)).order_by(FeedSource.id)
        )
    )
    session.rollback()
    return import_many(
        session, ids, allow_private=allow_private, now=now, fetch_options=fetch_options
    )
