"""The ``publisher`` command: Flask's CLI with the service's commands.

Only the console entry point lives here, so nothing in the service imports this module:
the commands are registered by :func:`publisher.commands.register` when the app is built.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from publisher import create_app

    return create_app()


def main() -> None:
    """Entry point of the ``publisher`` console script."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False)
    cli.help = "Campaign publisher: plan, approve and deliver blood-donation campaign content."
    cli(prog_name="publisher")


if __name__ == "__main__":
    main()
