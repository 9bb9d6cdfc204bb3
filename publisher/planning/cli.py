"""``publisher drives import FILE.csv``: the plan's table of drives, from the press office."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from publisher.db import db


@click.group("drives", help="Donation drives.")
def drives_group() -> None:
    pass


@drives_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def drives_import(path: Path) -> None:
    """Create or update drives from FILE.csv (times local, matched by the ref column).

    Nothing is written when any row is wrong; every problem is listed with its line.
    Drives that move or are cancelled take their planned publications along.
    """
    from publisher.planning.drives_csv import import_drives_csv, read_rows
    from publisher.progress import progress

    rows, _ = read_rows(path)
    with progress("drives", max(len(rows), 1)) as bar:
        summary = import_drives_csv(db.session, path, progress=bar.update)
    if summary.errors:
        db.session.rollback()
        for error in summary.errors:
            click.echo(error, err=True)
        raise click.ClickException(summary.line())
    db.session.commit()
    click.echo(f"{path.name}: {summary.line()}")
