"""The ``publisher`` command: Flask's CLI with the service's commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from publisher.db import db

ROOT = Path(__file__).resolve().parent.parent


def _create_app() -> Flask:
    from publisher import create_app

    return create_app()


def main() -> None:
    """Entry point of the ``publisher`` console script."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False)
    cli.help = "Campaign publisher: plan, approve and deliver blood-donation campaign content."
    cli(prog_name="publisher")


def progress(label: str, total: int):
    """A progress bar on stderr when it is a terminal, quiet dots otherwise."""
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


def register_cli(app: Flask) -> None:
    from publisher.commands import register

    register(app)
    app.cli.add_command(db_group)
    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)


@click.group("db", help="Database schema.")
def db_group() -> None:
    pass


@db_group.command(
    "upgrade", help="Apply every migration (creates the schema on an empty database)."
)
@with_appcontext
def db_upgrade() -> None:
    from publisher.migrate import upgrade

    upgrade(current_app)
    click.echo("database is at the latest migration")


@click.group("users", help="People who sign in.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "approver", "editor", "operator"])
)
@click.option("--commune", "commune", default=None, help="Commune code (operators only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="", help="Full name shown in the UI.")
@with_appcontext
def users_create(
    name: str, role: str, commune: str | None, password_stdin: bool, display_name: str
) -> None:
    """Create a user; without --password-stdin you are asked for the password."""
    from publisher.auth.services import AuthError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            db.session,
            name,
            role,
            password=password,
            commune_code=commune,
            display_name=display_name,
        )
    except AuthError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role}) id={user.id}")


@click.group("tokens", help="API tokens for partners and scripts.")
def tokens_group() -> None:
    pass


@tokens_group.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "approver", "editor", "operator"])
)
@click.option("--commune", "commune", default=None, help="Commune code (operator tokens).")
@with_appcontext
def tokens_create(name: str, role: str, commune: str | None) -> None:
    """Create a token (with a service account named NAME); the token is printed once."""
    from sqlalchemy import select

    from publisher.auth.models import User
    from publisher.auth.services import AuthError, create_token, create_user

    user = db.session.scalar(select(User).where(User.username == name))
    try:
        if user is None:
            user = create_user(db.session, name, role, commune_code=commune)
        elif user.role != role:
            raise AuthError(f"{name} already exists with role {user.role}")
    except AuthError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    _token, raw = create_token(db.session, name, user)
    db.session.commit()
    click.echo(raw)
    click.echo(f"token for {name} ({role}); it is shown only this once", err=True)


if __name__ == "__main__":
    main()
