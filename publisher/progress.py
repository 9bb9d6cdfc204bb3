"""Progress reporting for long CLI commands."""

from __future__ import annotations

import sys

import click


def progress(label: str, total: int):
    """A progress bar on stderr when it is a terminal, quiet dots otherwise."""
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
