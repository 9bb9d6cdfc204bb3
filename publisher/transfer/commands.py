"""``publisher export DIR`` and ``publisher import DIR``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from publisher.db import db

NOT_EXPORTED_HELP = (
    "Users, API tokens, publications (and their attempts), broadcast confirmations and "
    "channel secrets are not exported: set the channels' secrets again after an import. "
    "Profiles (tấm gương), their people, photos and consents are personal data: never "
    "exported, and refused on import."
)


@click.command(
    "export",
    help="Write the content library (items, versions, posters), campaigns, drives, channels' "
    "non-secret settings and playbooks to DIR as JSON and image files. DIR must be new or "
    "empty. " + NOT_EXPORTED_HELP,
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(directory: Path) -> None:
    from publisher.transfer import TransferError, export_library

    try:
        counts = export_library(db.session, directory, echo=click.echo)
    except TransferError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.rollback()
    click.echo(f"exported to {directory}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@click.command(
    "import",
    help="Read an export made by 'publisher export' into this instance, in one transaction: "
    "rows are matched by slug, external reference, SHA-256 or export key, so importing twice "
    "changes nothing, and on any error nothing is written. Exports of a newer format are "
    "refused. Communes must be seeded first. " + NOT_EXPORTED_HELP,
)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change, then roll back.")
@with_appcontext
def import_command(directory: Path, dry_run: bool) -> None:
    from publisher.transfer import TransferError, import_library

    try:
        summary = import_library(db.session, directory, echo=click.echo)
    except TransferError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc}; nothing was imported") from None
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run, rolled back; {summary.line()}")
        return
    db.session.commit()
    click.echo(summary.line())
