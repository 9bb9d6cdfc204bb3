"""The UI blueprint, who may open what, and the CSRF check on every form it receives."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from publisher.auth.models import User
from publisher.auth.services import can
from publisher.security import check_csrf

M = TypeVar("M")

STATIC = Path(__file__).resolve().parent / "static"
PER_PAGE = 25
F = TypeVar("F", bound=Callable[..., Any])


class UiBlueprint(Blueprint):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        # Versioned URLs (?v=<digest>) never change content: let slow links cache them a week.
        if request.args.get("v"):
            return 7 * 24 * 3600
        return super().get_send_file_max_age(filename)


ui = UiBlueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/ui",
)


@ui.before_request
def _refuse_forged_forms() -> None:
    check_csrf()


@functools.lru_cache(maxsize=64)
def _digest(filename: str, mtime: float) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """The URL of a static file, versioned by its content so caches never serve a stale one."""
    path = STATIC / filename
    version = _digest(filename, path.stat().st_mtime) if path.is_file() else "0"
    return url_for("ui.static", filename=filename, v=version)


def current_user() -> User | None:
    """The person signed in to the UI. A bearer token is for the API: it opens no page here."""
    if g.get("token") is not None:
        return None
    return g.get("user")


def require(permission: str | None = None, *, refusal: int = 403) -> Callable[[F], F]:
    """Views for signed-in people; ``permission`` names an entry of ``PERMISSIONS``.

    Nobody signed in: off to the login page (coming back afterwards). Signed in without the
    permission: 403, a Vietnamese page (404 with ``refusal=404``, where even the page's
    existence is not to be revealed: the personal-data registers).
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                target = request.full_path if request.method == "GET" else request.path
                return redirect(url_for("ui.login", next=target.rstrip("?")))
            if permission is not None and not can(user, permission):
                abort(refusal)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def load_or_404(model: type[M], ident: Any) -> M:
    """The row with this primary key, or the UI's 404 page (the API's is ``get_or_404``).

    Another organisation's row is a 404 too (its existence is not revealed); a form post
    needs the row to be the user's organisation's own, not only readable."""
    from publisher.db import db
    from publisher.organisations.visibility import visible

    row = db.session.get(model, ident)
    acting = request.method not in ("GET", "HEAD")
    if row is None or not visible(db.session, row, current_user(), acting=acting):
        abort(404)
    return row


def may(permission: str) -> bool:
    """For templates: whether the current person may do this."""
    return can(current_user(), permission)


def safe_next(target: str | None, default: str) -> str:
    """Only paths on this site: a login link must never send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def operator_home(user: User) -> str:
    """Operators work on their commune's page (built beside this UI)."""
    return f"/communes/{user.commune_code}"


class Page:
    """One page of a query's rows, with what the pager needs."""

    def __init__(self, session: Session, stmt: Select[Any], page: int, per_page: int = PER_PAGE):
        self.total = session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
        self.total = int(self.total or 0)
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(1, page), self.pages)
        self.items = list(session.scalars(stmt.limit(per_page).offset((self.page - 1) * per_page)))

    def url(self, page: int) -> str:
        args = request.args.to_dict()
        args["page"] = str(page)
        return url_for(request.endpoint or "ui.dashboard", **(request.view_args or {}), **args)


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1
