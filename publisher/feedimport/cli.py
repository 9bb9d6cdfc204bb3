"""``publisher feeds import [--once]``: pull the feed sources from the command line."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from content_library.db import utcnow
from publisher.db import db
from publisher.feedimport.models import FeedSource
from publisher.feedimport.service import ImportReport, import_due, import_enabled

LOOP_SECONDS = 60.0


@click.group("feeds", help="Feed sources that articles are imported from.")
def feeds_group() -> None:
    pass


def _line(report: ImportReport, names: dict[int, str]) -> str:
    label = f"source {report.source_id} ({names.get(report.source_id or 0) or '?'})"
    if report.error:
        return f"{label}: error: {report.error}"
    if report.not_modified:
        return f"{label}: not modified"
    return f"{label}: {report.created} created, {report.skipped} already known or skipped"


def summary_line(reports: list[ImportReport]) -> str:
    created = sum(r.created for r in reports)
    skipped = sum(r.skipped for r in reports)
    unchanged = sum(1 for r in reports if r.not_modified)
    failed = sum(1 for r in reports if r.error)
    return (
        f"{len(reports)} sources: {created} drafts created, {skipped} skipped, "
        f"{unchanged} not modified, {failed} failed"
    )


def _echo(reports: list[ImportReport]) -> None:
    ids = [r.source_id for r in reports if r.source_id is not None]
    names = (
        dict(
            db.session.execute(select(FeedSource.id, FeedSource.name).where(FeedSource.id.in_(ids)))
            .tuples()
            .all()
        )
        if ids
        else {}
    )
    db.session.rollback()
    for report in reports:
        click.echo(_line(report, names))
    click.echo(summary_line(reports))


@feeds_group.command("import", help="Import due sources every minute; --once imports all now.")
@click.option("--once", is_flag=True, help="Import every enabled source once, then exit.")
@with_appcontext
def import_command(once: bool) -> None:
    allow_private = current_app.config["SETTINGS"].OUTBOUND_ALLOW_PRIVATE
    if once:
        _echo(import_enabled(db.session, allow_private=allow_private, now=utcnow()))
        return
    click.echo(f"importing due feed sources every {LOOP_SECONDS:g} s (Ctrl-C stops)")
    try:
        while True:
            started = time.monotonic()
            reports = import_due(db.session, allow_private=allow_private, now=utcnow())
            if reports:
                _echo(reports)
            db.session.remove()
            time.sleep(max(0.0, LOOP_SECONDS - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("stopped")
