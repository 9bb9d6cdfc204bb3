"""`publisher guidance remind`: the units not yet done with guidance due soon."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from publisher.db import db


@click.group("guidance", help="Guidance from the department to the units.")
def guidance_group() -> None:
    pass


@guidance_group.command("remind")
@click.option(
    "--days",
    type=click.IntRange(min=0, max=60),
    default=3,
    show_default=True,
    help="Remind units of guidance due within this many days.",
)
@with_appcontext
def remind(days: int) -> None:
    """Print one reminder per unit not yet done (each unit is reminded once per guidance)."""
    from publisher.organisations.guidance import due_reminders
    from publisher.organisations.models import Organisation

    found = due_reminders(db.session, days=days)
    db.session.commit()
    for guidance, org_id in found:
        org = db.session.get(Organisation, org_id)
        click.echo(
            f"Nhắc {org.name if org else org_id}: “{guidance.title}” hạn {guidance.due_on:%d/%m/%Y}"
        )
    click.echo(f"{len(found)} reminder(s)", err=True)
