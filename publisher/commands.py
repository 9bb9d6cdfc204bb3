"""Service commands: seed, serve, worker, dispatch, imports and exports."""

from __future__ import annotations

import gc

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from publisher.db import db


def register(app: Flask) -> None:
    """Add every service command to the app's CLI."""
    from publisher.account_commands import db_group, secrets_group, tokens_group, users_group
    from publisher.transfer.commands import export_command, import_command

    for group in (db_group, users_group, tokens_group, secrets_group):
        app.cli.add_command(group)

    for command in (seed, serve, worker, dispatch, export_command, import_command):
        app.cli.add_command(command)
    from publisher.feedimport.cli import feeds_group

    app.cli.add_command(feeds_group)
    from publisher.planning.cli import drives_group

    app.cli.add_command(drives_group)
    from publisher.loudspeaker.cli import reading_group

    app.cli.add_command(reading_group)
    from publisher.organisations.cli import guidance_group

    app.cli.add_command(guidance_group)
    from publisher.donors.cli import donors_group

    app.cli.add_command(donors_group)


@click.command("seed", help="Load communes, the 2025 plan and playbooks; --demo adds demo data.")
@click.option("--demo", is_flag=True, help="Also add demo users, channels, content and schedule.")
@with_appcontext
def seed(demo: bool) -> None:
    from publisher.seed import seed_demo, seed_reference

    summary = seed_reference(db.session, echo=click.echo)
    if demo:
        summary.update(seed_demo(db.session, echo=click.echo))
    db.session.commit()
    click.echo("seeded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@click.command("serve", help="Run the web service (embedded mode also runs dispatcher and worker).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["SETTINGS"]
    from werkzeug.serving import run_simple

    if settings.embedded:
        from publisher.embedded import start_embedded

        start_embedded(app)
        click.echo(
            "embedded mode: no REDIS_URL, so the queue, dispatcher and worker run in this "
            f"process; database {settings.DATABASE_URL}"
        )
    else:
        click.echo("web only: run 'publisher worker' and 'publisher dispatch' beside it")
    click.echo(f"serving on http://{host}:{port}")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command("worker", help="Run an RQ worker for deliveries and maintenance jobs.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--fork/--no-fork",
    default=True,
    show_default=True,
    help="Run each job in a forked work horse (isolation) or in this process (speed).",
)
@with_appcontext
def worker(burst: bool, fork: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = app.extensions["jobqueue"]
    if queue.embedded:
        raise click.ClickException(
            "REDIS_URL is not set: in embedded mode 'publisher serve' runs the worker itself"
        )
    from jobqueue.worker import AppContextSimpleWorker, AppContextWorker

    engine = db.engine
    worker_class: type[AppContextWorker] | type[AppContextSimpleWorker] = AppContextWorker
    if not fork:
        worker_class = AppContextSimpleWorker
    _preload_jobs()
    from publisher.delivery.warmup import warm_statement_cache

    warm_statement_cache(app)
    engine.dispose()  # the parent keeps no connection for the horses to trip over
    if fork:
        from publisher.horses import install

        # The pool is empty now; one connection is opened before the first fork and
        # handed down from horse to horse (see publisher/horses.py).
        install(app, engine)
        # Every horse is a copy-on-write fork of this process. The cyclic garbage
        # collector writes to the header of every object it examines, so a collection in
        # a horse copies most of the parent's pages; frozen objects are never examined.
        # Measured in bench/pipeline.py: this halves a horse's time.
        gc.collect()
        gc.freeze()

    def _make_worker() -> AppContextWorker | AppContextSimpleWorker:
        rq_worker = worker_class(queue.queues(), connection=queue.redis)
        rq_worker.app = app
        return rq_worker

    from publisher.lifecycle import run_worker

    mode = "forking" if fork else "in-process"
    click.echo(f"{mode} worker listening on {', '.join(q.name for q in queue.queues())}")
    run_worker(_make_worker, burst=burst)


def _preload_jobs() -> None:
    """Import job code and adapters once in the parent: every work horse is a fork, and an
    import done inside a horse is lost with it, so lazy imports would cost every job."""
    import importlib

    from sqlalchemy.orm import configure_mappers

    from channels.registry import adapter_class, kinds

    for module in (
        "publisher.delivery.pipeline",
        "publisher.delivery.render",
        "publisher.loudspeaker.reading",
        "publisher.feedimport.service",
    ):
        importlib.import_module(module)
    for kind in kinds():
        adapter_class(kind)
    configure_mappers()


@click.command(
    "dispatch", help="Claim due publications and enqueue them (a loop; --once for one pass)."
)
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@with_appcontext
def dispatch(once: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    from publisher.delivery.dispatch import run_dispatcher
    from publisher.lifecycle import stop_on_signals

    if not once:
        click.echo(
            f"dispatcher ticking every {app.config['SETTINGS'].DISPATCH_TICK_SECONDS:g} s "
            "at most; woken sooner by due or newly scheduled publications"
        )
    # SIGTERM/SIGINT end the loop between passes (a pass in progress finishes first).
    run_dispatcher(app, once=once, stop=None if once else stop_on_signals())
