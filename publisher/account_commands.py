"""Account and schema commands: ``db upgrade``, ``users create``, ``tokens create``,
``secrets rotate``."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from publisher.db import db


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
@click.option("--org", "org", default=None, help="Organisation slug (default: the department).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="", help="Full name shown in the UI.")
@with_appcontext
def users_create(
    name: str,
    role: str,
    commune: str | None,
    org: str | None,
    password_stdin: bool,
    display_name: str,
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
            organisation=org,
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
@click.option("--org", "org", default=None, help="Organisation slug (default: the department).")
@click.option("--read-only", is_flag=True, help="The token may only read: every write gets 403.")
@click.option(
    "--expires-days",
    type=click.IntRange(min=0, max=36500),
    default=None,
    help="Days until the token stops working (0: already expired). Default: no expiry.",
)
@with_appcontext
def tokens_create(
    name: str,
    role: str,
    commune: str | None,
    org: str | None,
    read_only: bool,
    expires_days: int | None,
) -> None:
    """Create a token (with a service account named NAME); the token is printed once."""
    from sqlalchemy import select

    from publisher.auth.models import User
    from publisher.auth.services import AuthError, create_token, create_user

    user = db.session.scalar(select(User).where(User.username == name))
    try:
        if user is None:
            user = create_user(
                db.session,
                name,
                role,
                commune_code=commune,
                service_account=True,
                organisation=org,
            )
        elif user.role != role:
            raise AuthError(f"{name} already exists with role {user.role}")
        _token, raw = create_token(
            db.session, name, user, read_only=read_only, expires_days=expires_days
        )
    except AuthError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(raw)
    scope = "read-only" if read_only else "read-write"
    lasts = "no expiry" if expires_days is None else f"expires in {expires_days} day(s)"
    click.echo(f"{scope} token for {name} ({role}, {lasts}); it is shown only this once", err=True)


@click.group("secrets", help="The SECRET_KEY that signs sessions and encrypts channel secrets.")
def secrets_group() -> None:
    pass


@secrets_group.command("rotate")
@with_appcontext
def secrets_rotate() -> None:
    """Re-encrypt every channel's secrets from the old key to SECRET_KEY and end all sessions.

    Run it with the NEW key in SECRET_KEY and the old one in OLD_SECRET_KEY (or on standard
    input). One transaction: if any channel's secrets do not open, nothing changes.
    """
    import os

    from publisher.auth.sessions import end_all_sessions
    from publisher.delivery.channels import rotate_channel_secrets
    from publisher.delivery.crypto import SecretsUnreadable

    new_key = current_app.config["SETTINGS"].SECRET_KEY
    old_key = os.environ.get("OLD_SECRET_KEY") or sys.stdin.readline().rstrip("\r\n")
    if not old_key:
        raise click.ClickException("give the old key in OLD_SECRET_KEY or on standard input")
    if old_key == new_key:
        raise click.ClickException(
            "the old key equals SECRET_KEY: put the NEW key in SECRET_KEY before rotating"
        )
    try:
        changed = rotate_channel_secrets(db.session, old_key, new_key)
    except SecretsUnreadable as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    ended = end_all_sessions(db.session)
    db.session.commit()
    click.echo(
        f"re-encrypted the secrets of {len(changed)} channel(s); ended {ended} session(s). "
        "Restart every web process, worker and dispatcher with the new SECRET_KEY."
    )
