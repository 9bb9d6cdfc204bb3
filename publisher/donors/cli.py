"""`publisher donors purge --older-than-years N`: the register's retention rule."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from publisher.db import db


@click.group("donors", help="The donor register (personal data).")
def donors_group() -> None:
    pass


@donors_group.command("purge")
@click.option(
    "--older-than-years",
    "years",
    type=click.IntRange(min=1, max=100),
    required=True,
    help="Delete donations made before the same day this many years ago.",
)
@click.option("--dry-run", is_flag=True, help="Count only; delete nothing.")
@with_appcontext
def purge_command(years: int, dry_run: bool) -> None:
    """Delete old donations and erase donors left with none (audited, ids only)."""
    from publisher.donors.retention import purge

    result = purge(db.session, years, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {result.donations} donation(s) before {result.cutoff:%Y-%m-%d}: "
        f"{result.donors_erased} donor(s) erased, {result.donors_kept} kept"
    )
