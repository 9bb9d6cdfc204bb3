"""A live server (werkzeug, in a thread, on 127.0.0.1) and headless Chromium through Playwright.

The app runs in embedded mode on a fresh SQLite file, as `make run` does. Every page a test
opens is watched: a request to anything but the live server fails the test (the interface
must work on provincial networks cut off from the internet), and so does a page error.
Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import app_config

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "mật-khẩu-thử-123"


@dataclass
class LiveApp:
    app: Any
    url: str
    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def user(
        self, username: str, role: str, commune_code: str | None = None, display_name: str = ""
    ) -> int:
        from publisher.auth.services import create_user
        from publisher.db import db

        with self.app.app_context():
            user = create_user(
                db.session,
                username,
                role,
                password=PASSWORD,
                commune_code=commune_code,
                display_name=display_name or username,
            )
            db.session.commit()
            return user.id


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        # `make test` installs it (scripts/prepare-test-machine.sh): reaching here means pytest
        # was run directly on a machine without it.
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): run `make test` as root, which installs it, "
            "or apt-get install chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _whole_bodies(app: Any) -> Any:
    """The app with every response read (and its file closed) before the first byte is sent.

    Werkzeug's development server does not close a response whose client hangs up while it
    writes (a browser leaving a page drops its favicon request), and the open file then
    surfaces as a ResourceWarning in whichever test runs next. The pages here are small.
    """

    def whole(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return whole


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    """The whole service on SQLite in embedded mode, served over real HTTP."""
    from publisher import create_app
    from publisher.db import db
    from publisher.migrate import upgrade
    from publisher.seed import load_communes

    # Bind first, so the app knows its own address (links in previews and feeds).
    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        app_config(
            f"sqlite:///{tmp_path / 'publisher.db'}",
            tmp_path,
            PUBLIC_BASE_URL=url,
            OUTBOUND_ALLOW_PRIVATE=True,  # the partner webhooks listen on 127.0.0.1
        )
    )
    with app.app_context():
        upgrade(app)
        load_communes(db.session)
        db.session.commit()
    server.app = _whole_bodies(app)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveApp(app=app, url=url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def browser_context(chromium: Any, live: LiveApp, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile (its own cookies) factory; every request is recorded."""
    contexts = []

    def new_context(**options: Any) -> Any:
        options.setdefault("locale", "vi-VN")
        options.setdefault("timezone_id", "Asia/Ho_Chi_Minh")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = chromium.new_context(base_url=live.url, **options)
        context.on("request", lambda req: live.requests.append(req.url))
        context.on(
            "page", lambda page: page.on("pageerror", lambda exc: live.page_errors.append(str(exc)))
        )
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()
    stray = [
        u
        for u in live.requests
        if not u.startswith(live.url + "/") and not u.startswith(("data:", "about:"))
    ]
    assert stray == [], f"requests left the local server: {stray}"
    assert live.page_errors == [], f"script errors on pages: {live.page_errors}"


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/screenshots/ (kept for people to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
