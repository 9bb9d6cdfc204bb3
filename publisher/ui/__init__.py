"""The editors' and approvers' web interface: server-rendered Vietnamese pages.

Every view is a thin shell over the domain functions (content workflow, publications,
channels, planning); the pages work without JavaScript, and ``static/ui.js`` only adds
conveniences (image preview, confirmations). Nothing is loaded from another site.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, g, get_flashed_messages
from werkzeug.exceptions import HTTPException

from publisher.security import apply_security_headers, csrf_token
from publisher.ui.blueprint import current_user, may, static_url, ui
from publisher.ui.errors import render_error, render_unexpected
from publisher.ui.formatting import FILTERS, LABELS, status_label, status_tone

SESSION_HOURS = 12


def template_globals() -> dict[str, Any]:
    """Helpers every UI template (and the macros they import) can call."""
    return {
        "csrf_token": csrf_token,
        "current_user": current_user,
        "may": may,
        "static_url": static_url,
        "status_label": status_label,
        "status_tone": status_tone,
        "flashed": lambda: get_flashed_messages(with_categories=True),
        "nav_counts": _nav_counts,
        **LABELS,
    }


def _nav_counts() -> SimpleNamespace:
    """Numbers the navigation shows (items waiting for approval), once per request."""
    if "ui_nav_counts" not in g:
        from sqlalchemy import func, select

        from content_library.models import ContentItem
        from publisher.db import db
        from publisher.organisations.web import scoped

        waiting = db.session.scalar(
            scoped(
                select(func.count())
                .select_from(ContentItem)
                .where(ContentItem.status == "in_review"),
                ContentItem,
            )
        )
        g.ui_nav_counts = SimpleNamespace(in_review=int(waiting or 0))
    return g.ui_nav_counts


# Registered once, at import, before any app registers the blueprint.
@ui.errorhandler(HTTPException)
def _ui_http_error(error: HTTPException) -> Response:
    return render_error(error)


@ui.errorhandler(Exception)
def _ui_unexpected(error: Exception) -> Response:
    return render_unexpected(error)


def init_ui(app: Flask) -> None:
    """Register the UI blueprint, its error pages, security headers and template helpers."""
    from publisher.audit.views import init_pages as init_audit_pages
    from publisher.consents.views import init_pages as init_consent_pages
    from publisher.donors import web as _donor_import_page  # noqa: F401  (adds its routes)
    from publisher.donors.views import init_pages as init_donor_pages
    from publisher.organisations.views import init_pages  # adds the guidance pages to ``ui``
    from publisher.ui import (  # noqa: F401  (each module adds its routes to the blueprint)
        views_admin,
        views_approvals,
        views_auth,
        views_calendar,
        views_campaigns,
        views_channels,
        views_content,
        views_dashboard,
        views_drive_changes,
        views_feeds,
        views_plan,
        views_publications,
        views_reading,
        views_reports,
    )

    init_pages(app)
    init_donor_pages(app)
    init_audit_pages(app)
    init_consent_pages(app)
    app.register_blueprint(ui)
    # A working day, then sign in again; the cookie is already HttpOnly, SameSite=Lax and
    # Secure whenever PUBLIC_BASE_URL is https (see publisher.app).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=SESSION_HOURS)
    app.extensions["html_error"] = render_error
    app.after_request(apply_security_headers)
    app.jinja_env.filters.update(FILTERS)
    # Globals, not a context processor: macros imported without context see them too.
    app.jinja_env.globals.update(template_globals())


__all__ = ["init_ui", "render_error"]
