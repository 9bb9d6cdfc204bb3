"""Application assembly: settings, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from publisher.db import db
from publisher.errors import register_error_handlers
from publisher.settings import Settings


def build_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.load(overrides=config)
    app = Flask(
        "publisher",
        instance_path=settings.INSTANCE_PATH,
        instance_relative_config=False,
        static_folder=None,
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.SECRET_KEY,
        TESTING=settings.TESTING,
        MAX_CONTENT_LENGTH=settings.MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=settings.MAX_REQUEST_BYTES,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.PUBLIC_BASE_URL.startswith("https://"),
        PREFERRED_URL_SCHEME="https" if settings.PUBLIC_BASE_URL.startswith("https") else "http",
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    from publisher.logs import configure_logging

    configure_logging(app, settings)
    db.init_app(app, settings.DATABASE_URL)
    from jobqueue import connection

    connection.init_app(app, settings.REDIS_URL, settings.QUEUE_PREFIX)
    from publisher.delivery import wake

    wake.init_app(app)

    if settings.TRUSTED_PROXIES:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the client address is taken from the proxies; the scheme and host come from
        # PUBLIC_BASE_URL, so nothing else a client sends in X-Forwarded-* is believed.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.TRUSTED_PROXIES, x_proto=0, x_host=0, x_port=0
        )
    register_error_handlers(app)
    from publisher.routing import install_converters

    install_converters(app)
    from publisher.feedimport.jobs import feed_imports

    # The dispatcher runs the feed importer's duty on its tick (see publisher.delivery.dispatch).
    app.extensions.setdefault("dispatch_hooks", []).append(feed_imports)
    _register_blueprints(app)
    from publisher.auth.principal import load_principal

    app.before_request(load_principal)
    from publisher.commands import register

    register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    import publisher.api.views
    import publisher.reports.api  # noqa: F401  (the results report's endpoint)
    from publisher.api.framework import api
    from publisher.health import health
    from publisher.metrics import metrics
    from publisher.public import public

    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(metrics)
    app.register_blueprint(public)
    from publisher import extensions

    extensions.init_app(app)
    from publisher.reports.views import reports

    app.register_blueprint(reports)
    from publisher.planning.calendar import calendar

    app.register_blueprint(calendar)
    from publisher.ui import init_ui

    init_ui(app)
