"""Application assembly: settings, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, request, session

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
    _register_blueprints(app)
    app.before_request(_load_principal)
    from publisher.cli import register_cli

    register_cli(app)
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
    from publisher.loudspeaker.views import loudspeaker

    app.register_blueprint(loudspeaker)
    from publisher.feeds.views import feeds

    app.register_blueprint(feeds)
    from publisher.reports.views import reports

    app.register_blueprint(reports)
    from publisher.planning.calendar import calendar

    app.register_blueprint(calendar)
    from publisher.ui import init_ui

    init_ui(app)


def _load_principal() -> None:
    """Bearer token for machines, the server-side session for people."""
    from publisher.auth.services import token_in_force
    from publisher.auth.sessions import session_user
    from publisher.errors import ApiError
    from publisher.security import SAFE_METHODS, SESSION_ID_KEY

    g.user = None
    g.token = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise ApiError(
                401,
                "Authorization must be 'Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="publisher"'},
            )
        token = token_in_force(db.session, raw.strip())
        if token is None:
            raise ApiError(
                401,
                "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi "
                "/ invalid, expired or revoked token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if db.session.dirty:  # last use, written at most once a minute
            db.session.commit()
        if token.read_only and request.method not in SAFE_METHODS:
            raise ApiError(
                403,
                "Mã truy cập này chỉ được đọc / this token is read-only",
            )
        g.user = token.user
        g.token = token
        return
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        # No cookie, no session to read: public feeds and scripts stay cacheable (no Vary).
        return
    raw_id = session.get(SESSION_ID_KEY)
    if not isinstance(raw_id, str) or not raw_id:
        return
    user = session_user(db.session, raw_id)
    if user is None:
        # Ended (logout, new password, rotation) or expired: forget it in this browser too.
        session.pop(SESSION_ID_KEY, None)
        return
    if db.session.dirty:
        db.session.commit()
    g.user = user
    if request.path.startswith("/api/"):
        # A browser session may call the API too, but a write must carry the
        # session's CSRF token (X-CSRF-Token): the cookie alone proves nothing.
        from publisher.security import check_csrf

        check_csrf()
