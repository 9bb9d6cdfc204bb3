"""Requests per second for a 50-item RSS feed (200 and 304) against a trivial route.

Standalone: builds a temporary SQLite database (migrated with Alembic), publishes 50
articles to an RSS channel through the real dispatcher and worker, starts the app in
a child process (gunicorn with threads by default, or werkzeug's threaded server),
then measures, with one keep-alive HTTP/1.1 connection for all three routes:

* ``GET /feeds/<slug>.rss`` answered 200 with the whole body;
* the same with ``If-None-Match`` answered 304;
* ``GET /healthz``, which does nothing, as the yardstick.

Rounds alternate between the three so that drift (CPU frequency, other load) hits
them alike. Goals: the 200 at least 0.5 and the 304 at least 0.8 of the trivial route.

    .venv/bin/python bench/feed.py [--requests 3000] [--server gunicorn|werkzeug]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "cong-tinh"
FEED_PATH = f"/feeds/{SLUG}.rss"
TRIVIAL_PATH = "/healthz"
SECRET = "bench-secret-key-0123456789"
GOALS = {"200": 0.5, "304": 0.8}


def _config(db_path: Path, instance: Path) -> dict[str, object]:
    return {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(instance),
        "PUBLIC_BASE_URL": "https://hienmau.laichau.gov.vn",
        "REDIS_URL": None,
        "QUEUE_PREFIX": f"bench-{os.getpid()}",
        "LOG_FORMAT": "text",
    }


def prepare(db_path: Path, instance: Path, items: int) -> None:
    """Migrate a fresh database and publish ``items`` articles through the real pipeline."""
    import io

    from PIL import Image

    from content_library.assets import store_image
    from content_library.db import utcnow
    from content_library.models import Campaign
    from content_library.services import approve, create_content, submit
    from jobqueue.worker import EmbeddedWorker
    from publisher import create_app
    from publisher.auth.services import create_user
    from publisher.db import db
    from publisher.delivery.channels import create_channel
    from publisher.delivery.dispatch import dispatch_once
    from publisher.delivery.publications import schedule
    from publisher.migrate import upgrade

    app = create_app(_config(db_path, instance))
    with app.app_context():
        upgrade(app)
        session = db.session
        author = create_user(session, "bench-author", "editor")
        approver = create_user(session, "bench-approver", "approver")
        campaign = Campaign(
            slug="chu-nhat-do",
            name="Chủ nhật Đỏ",
            starts_on=date(2025, 1, 1),
            ends_on=date(2099, 12, 31),
        )
        session.add(campaign)
        buffer = io.BytesIO()
        Image.new("RGB", (1200, 630), (190, 0, 30)).save(buffer, "JPEG", quality=80)
        asset, _new = store_image(
            session,
            buffer.getvalue(),
            "poster.jpg",
            created_by=None,
            max_bytes=10_000_000,
            max_pixels=40_000_000,
        )
        channel = create_channel(
            session,
            kind="rss",
            slug=SLUG,
            name="Cổng tỉnh",
            settings={
                "title": "Tin hiến máu Lai Châu",
                "description": "Tin, lịch hiến máu tình nguyện",
            },
            secret_key=SECRET,
        )
        paragraph = (
            "<p>Người hiến máu từ 18 đến 60 tuổi, nam nặng từ 45 kg, nữ từ 42 kg; "
            "hai lần hiến máu toàn phần cách nhau ít nhất 12 tuần. Giấy chứng nhận "
            "hiến máu tình nguyện có giá trị để được truyền máu miễn phí.</p>"
        )
        for n in range(items):
            item = create_content(
                session,
                kind="article",
                title=f"Chủ nhật Đỏ: tin số {n + 1}",
                body=paragraph * 6 + f'<p><a href="/articles/{n}">Xem thêm</a></p>',
                summary=f"Tóm tắt tin số {n + 1} về hiến máu tình nguyện.",
                author_id=author.id,
                campaign_id=campaign.id,
                tags=["hiến máu", "Lai Châu"],
                asset_id=asset.id,
            )
            submit(item, author.id)
            approve(session, item, approver.id)
            schedule(
                session,
                content_id=item.id,
                channel_id=channel.id,
                scheduled_at=utcnow() - timedelta(seconds=1),
            )
        session.commit()
        dispatch_once()
    queue = app.extensions["jobqueue"]
    worker = EmbeddedWorker(queue.queues(), connection=queue.redis)
    worker.app = app
    worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
    with app.app_context():
        db.engine.dispose()


def serve(db_path: Path, instance: Path, port: int, server: str, threads: int) -> None:
    """Child process: serve the app on 127.0.0.1:``port``."""
    import logging

    from publisher import create_app

    app = create_app(_config(db_path, instance))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if server == "werkzeug":
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
        return
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"127.0.0.1:{port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": threads,
                "keepalive": 30,
                "accesslog": None,
                "loglevel": "warning",
            }.items():
                self.cfg.set(key, value)

        def load(self):  # gunicorn calls this for the WSGI app
            return app

    _Gunicorn().run()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, child: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"server exited with {child.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", TRIVIAL_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not come up")


def _request(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str], expect: int
) -> http.client.HTTPResponse:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != expect:
        raise SystemExit(f"GET {path} answered {response.status}, expected {expect}")
    return response


def measure(port: int, requests: int, rounds: int) -> dict[str, float]:
    """Requests per second for each case, interleaved over ``rounds``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", FEED_PATH)
    first = conn.getresponse()
    body = first.read()
    etag = first.getheader("ETag") or ""
    cases = {
        "trivial": (TRIVIAL_PATH, {}, 200),
        "200": (FEED_PATH, {}, 200),
        "304": (FEED_PATH, {"If-None-Match": etag}, 304),
    }
    for path, headers, expect in cases.values():  # warm up every path
        for _ in range(50):
            _request(conn, path, headers, expect)
    spent = dict.fromkeys(cases, 0.0)
    per_round = max(1, requests // rounds)
    for _ in range(rounds):
        for name, (path, headers, expect) in cases.items():
            started = time.perf_counter()
            for _ in range(per_round):
                _request(conn, path, headers, expect)
            spent[name] += time.perf_counter() - started
    conn.close()
    print(f"feed body: {len(body):,} bytes, {body.count(b'<item>')} items, ETag {etag}")
    return {name: per_round * rounds / seconds for name, seconds in spent.items()}


def report(rates: dict[str, float], server: str) -> bool:
    print(f"server: {server}, one keep-alive HTTP/1.1 connection, requests in sequence")
    print(f"{'route':<28}{'req/s':>10}{'ratio':>9}{'goal':>8}")
    trivial = rates["trivial"]
    print(f"{'GET ' + TRIVIAL_PATH:<28}{trivial:>10.0f}{1:>9.2f}")
    ok = True
    for name, label in (("200", f"GET {FEED_PATH} (200)"), ("304", "  with If-None-Match (304)")):
        ratio = rates[name] / trivial
        met = ratio >= GOALS[name]
        ok &= met
        print(
            f"{label:<28}{rates[name]:>10.0f}{ratio:>9.2f}{GOALS[name]:>8.2f}"
            f"  {'met' if met else 'MISSED'}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000, help="per route (default 3000)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.serve:
        work = Path(args.dir)
        serve(work / "bench.db", work / "instance", args.port, args.server, args.threads)
        return
    work = Path(tempfile.mkdtemp(prefix="feed-bench-"))
    child = None
    try:
        started = time.perf_counter()
        prepare(work / "bench.db", work / "instance", args.items)
        print(f"published {args.items} items in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                "--dir",
                str(work),
                "--port",
                str(port),
                "--server",
                args.server,
                "--threads",
                str(args.threads),
            ],
            cwd=ROOT,
        )
        _wait_until_up(port, child)
        ok = report(measure(port, args.requests, args.rounds), args.server)
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
