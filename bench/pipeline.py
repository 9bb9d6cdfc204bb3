"""End-to-end delivery throughput, bare RQ throughput on the same workers, lag and memory.

Runs on this machine's PostgreSQL (TEST_DATABASE_URL, a throwaway database) and a
private redis-server; workers and the dispatcher are real `publisher` processes; the
webhook receiver is a loopback HTTP server. The workers time each job's phases
(``PUBLISHER_PHASE_LOG``, see jobqueue/timing.py), and the bench prints where a
delivery's time goes beside a bare RQ job's. The dispatcher runs with the default
settings and is running before the publications fall due, as in production; the
clock starts at the due time. The bench also prints the CPU each process spent per
job (workers, dispatcher, PostgreSQL's backends, Redis, the receiver): on a machine
with few cores the pipeline's rate is bounded by all of it, not only the workers'.
Prints the figures; asserts nothing.

    python bench/pipeline.py [--publications 2000] [--workers 2] [--steady-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datetime import timedelta  # noqa: E402

import psycopg  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from content_library.db import utcnow  # noqa: E402
from tests.factories import approved_content, webhook_channel  # noqa: E402
from tests.fakes.receiver import Receiver  # noqa: E402
from tests.servers import (  # noqa: E402
    RedisServer,
    Service,
    free_port,
    run_publisher,
    service_env,
    start_publisher,
    wait_until,
)

SECRET = "bench-secret-key-0123456789abcdef"


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and its children that are alive now (MB)."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    total = int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return total


class MemoryWatch:
    """Samples VmRSS of processes (and their children) every 100 ms; keeps the peak."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}
        self.targets: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self.targets[name] = pid

    def _rss(self, pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
        return 0.0

    def _children(self, pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                return [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            return []

    def _run(self) -> None:
        while not self.stop.is_set():
            for name, pid in list(self.targets.items()):
                rss = self._rss(pid)
                for child in self._children(pid):
                    # A work horse is a fork: count it on its own, it shares the parent's pages.
                    rss = max(rss, self._rss(child))
                self.peaks[name] = max(self.peaks.get(name, 0.0), rss)
            self.stop.wait(0.1)

    def __enter__(self) -> MemoryWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and of its children it has waited for (seconds)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime, stime, cutime, cstime: fields 14 to 17 of stat(5), 12 to 15 after the name.
    return sum(int(x) for x in fields[11:15]) / TICKS


class CpuClock:
    """CPU seconds that each process of the pipeline spends between ``start`` and ``stop``.

    The machine has few cores shared by everything in the run, so a delivery's cost is
    the CPU of every process it involves (workers, dispatcher, PostgreSQL's backends for
    this database, Redis, the receiver in this process), not only the worker's.
    """

    def __init__(self, database: str, base_url: str) -> None:
        self.database, self.base_url = database, base_url
        self.pids: dict[str, list[int]] = {}
        self.begin: dict[int, float] = {}
        self.used: dict[str, float] = {}

    def _backends(self) -> list[int]:
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            ).fetchall()
        return [pid for (pid,) in rows]

    def start(self, processes: dict[str, int]) -> None:
        self.pids = {name: [pid] for name, pid in processes.items()}
        self.pids["postgresql backends"] = self._backends()
        self.begin = {pid: cpu_seconds(pid) for pids in self.pids.values() for pid in pids}
        self.begin[-1] = _own_cpu()

    def stop(self) -> None:
        # Backends opened during the part (a new connection) count from their start.
        self.pids["postgresql backends"] = sorted(
            set(self.pids["postgresql backends"]) | set(self._backends())
        )
        self.used = {
            # A process gone meanwhile took its CPU with it: counted as none, not negative.
            name: sum(max(0.0, cpu_seconds(pid) - self.begin.get(pid, 0.0)) for pid in pids)
            for name, pids in self.pids.items()
        }
        self.used["bench (receiver, polling)"] = _own_cpu() - self.begin[-1]


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


PHASE_ENV = "PUBLISHER_PHASE_LOG"
# The order a delivery goes through; names are those the worker and deliver() lap.
PHASE_ORDER = (
    "fork",
    "app context",
    "rq",
    "connection",
    "claim",
    "loads",
    "attempt row",
    "render",
    "secrets",
    "commit before call",
    "http",
    "outcome",
    "commit after call",
    "bookkeeping",
)


def read_phases(path: Path) -> list[dict[str, list[float]]]:
    """The phase lines written since the last read; the file is emptied for the next part."""
    import json

    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    path.write_text("")
    rows: list[dict[str, list[float]]] = []
    extra: dict[str, list[float]] = {}
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        if row.pop("+", None):  # the forking worker's own share of a horse's job
            for name, (seconds, faults) in row.items():
                total = extra.setdefault(name, [0.0, 0])
                total[0] += seconds
                total[1] += faults
        else:
            rows.append(row)
    if rows and extra:  # means per job: the worker's shares add to the jobs' sums
        first = rows[0]
        for name, (seconds, faults) in extra.items():
            have = first.setdefault(name, [0.0, 0])
            first[name] = [have[0] + seconds, have[1] + faults]
    return rows


def print_phases(
    ours: list[dict[str, list[float]]],
    bare: list[dict[str, list[float]]],
    ours_ms: float,
    bare_ms: float,
) -> None:
    """Mean milliseconds and page faults per job and phase, ours beside bare RQ's."""

    def means(rows: list[dict[str, list[float]]], index: int, scale: float) -> dict[str, float]:
        names = {k for row in rows for k in row}
        return {
            k: scale * sum(r[k][index] for r in rows if k in r) / max(1, len(rows)) for k in names
        }

    mine, theirs = means(ours, 0, 1000), means(bare, 0, 1000)
    mine_f, theirs_f = means(ours, 1, 1), means(bare, 1, 1)
    order = [k for k in PHASE_ORDER if k in mine or k in theirs]
    order += sorted((set(mine) | set(theirs)) - set(order))
    print(
        f"where a job's time goes (mean per job; {len(ours)} deliveries, {len(bare)} no-ops; "
        "faults = page faults)"
    )
    print(f"  {'phase':<22}{'delivery ms':>12}{'faults':>8}{'bare RQ ms':>12}{'faults':>8}")
    for name in order:
        print(
            f"  {name:<22}{mine.get(name, 0.0):12.2f}{mine_f.get(name, 0.0):8.0f}"
            f"{theirs.get(name, 0.0):12.2f}{theirs_f.get(name, 0.0):8.0f}"
        )
    inside, inside_bare = sum(mine.values()), sum(theirs.values())
    print(
        f"  {'sum of the phases':<22}{inside:12.2f}{sum(mine_f.values()):8.0f}"
        f"{inside_bare:12.2f}{sum(theirs_f.values()):8.0f}"
    )
    print(
        f"  {'worker-time per job':<22}{ours_ms:12.2f}{'':8}{bare_ms:12.2f}"
        "           (workers x elapsed / jobs)"
    )
    print(
        f"  {'outside the phases':<22}{ours_ms - inside:12.2f}{'':8}{bare_ms - inside_bare:12.2f}"
        "           (RQ's loop: dequeue, wait for the horse)"
    )


def print_cpu(ours: dict[str, float], bare: dict[str, float], jobs: int) -> None:
    """CPU milliseconds per job in each process, deliveries beside bare RQ no-ops."""
    print(f"CPU per job by process (ms; {jobs} deliveries, {jobs} no-ops)")
    print(f"  {'process':<28}{'delivery':>10}{'bare RQ':>10}")
    for name in sorted(set(ours) | set(bare)):
        print(
            f"  {name:<28}{1000 * ours.get(name, 0.0) / jobs:10.2f}"
            f"{1000 * bare.get(name, 0.0) / jobs:10.2f}"
        )
    print(
        f"  {'all of them':<28}{1000 * sum(ours.values()) / jobs:10.2f}"
        f"{1000 * sum(bare.values()) / jobs:10.2f}"
    )


def make_database() -> str:
    base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"publisher_bench_{secrets.token_hex(3)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name, base, name


def drop_database(base: str, name: str) -> None:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--publications", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steady-seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument(
        "--no-fork",
        action="store_true",
        help="run the workers with --no-fork (jobs in the worker process)",
    )
    args = parser.parse_args()

    from publisher import create_app
    from publisher.db import db
    from publisher.delivery.models import Publication
    from publisher.delivery.publications import schedule
    from publisher.delivery.wake import ring
    from publisher.migrate import upgrade
    from publisher.seed import load_communes

    url, base, name = make_database()
    redis_server = RedisServer().start()
    receiver = Receiver().start()
    tmp = Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    prefix = "bench"
    settings = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET,
        "QUEUE_PREFIX": prefix,
        "PUBLIC_BASE_URL": "http://publisher.test",
        # The receiver is on loopback, which outbound calls refuse by default.
        "OUTBOUND_ALLOW_PRIVATE": "1",
    }
    app = create_app({**settings, "INSTANCE_PATH": str(tmp)})
    env = service_env(**settings)
    phase_log = tmp / "phases.jsonl"
    env[PHASE_ENV] = str(phase_log)  # the workers time each job's phases (bench only)
    processes = []
    try:
        with app.app_context():
            upgrade(app)
            load_communes(db.session)
            item = approved_content(db.session)
            channel = webhook_channel(db.session, receiver.url)
            db.session.commit()
            item_id, channel_id = item.id, channel.id

        def count_published() -> int:
            with app.app_context():
                n = db.session.scalar(
                    select(func.count())
                    .select_from(Publication)
                    .where(Publication.status == "published")
                )
                db.session.rollback()
                return n or 0

        with MemoryWatch() as memory:
            # 1. The pipeline: N publications that fall due at once while one dispatcher and
            # W workers run. Scheduled an hour ahead first; brought forward below.
            with app.app_context():
                later = utcnow() + timedelta(hours=1)
                ids_at_once = [
                    schedule(
                        db.session, content_id=item_id, channel_id=channel_id, scheduled_at=later
                    ).id
                    for _ in range(args.publications)
                ]
                db.session.commit()
            worker_args = ["worker", "--no-fork"] if args.no_fork else ["worker"]
            workers = [
                start_publisher(f"worker-{i}", worker_args, env, tmp) for i in range(args.workers)
            ]
            processes += workers
            for i, w in enumerate(workers):
                memory.watch(f"worker-{i}", w.pid)
            # The dispatcher runs before the clock starts, as in production: its start-up
            # (importing the app, about 1.5 s here) is no part of a delivery's cost.
            dispatcher = start_publisher("dispatch", ["dispatch"], env, tmp)
            processes.append(dispatcher)
            memory.watch("dispatcher", dispatcher.pid)
            # Workers and dispatcher started up, connected and idle before any clock starts:
            # a process still importing would take CPU from the part being measured.
            for service, ready in [(w, "worker listening") for w in workers] + [
                (dispatcher, "dispatcher ticking")
            ]:
                wait_until(lambda s=service, r=ready: r in s.output(), 60, f"{service.name} up")
            time.sleep(2)
            parts = {f"worker-{i}": w.pid for i, w in enumerate(workers)}
            parts |= {"dispatcher": dispatcher.pid, "redis-server": redis_server.proc.pid}
            cpu_bare, cpu_pipeline = CpuClock(name, base), CpuClock(name, base)
            queue = Queue(f"{prefix}-deliveries", connection=app.extensions["jobqueue"].redis)

            def bare_rq(jobs: int) -> float:
                """Seconds the same workers take for ``jobs`` bare RQ no-op jobs."""
                started = time.perf_counter()
                cpu_bare.start(parts)
                for _ in range(jobs):
                    queue.enqueue("os.getpid", result_ttl=0)
                while queue.count or queue.started_job_registry.count:
                    time.sleep(0.05)
                seconds = time.perf_counter() - started
                cpu_bare.stop()
                for key, value in cpu_bare.used.items():
                    cpu_bare_total[key] = cpu_bare_total.get(key, 0.0) + value
                time.sleep(0.2)  # the last horse's phase line, off the clock
                return seconds

            # 2a. Bare RQ before the pipeline, and again after it (2b): the machine's load
            # drifts, and bracketing the pipeline compares both under the same drift.
            cpu_bare_total: dict[str, float] = {}
            first_half = args.publications // 2
            noop_seconds = bare_rq(first_half)
            noop_phases = read_phases(phase_log)

            # They fall due a second from now, all at once; the commit rings the dispatcher,
            # which sleeps until the due time. The clock starts at the due time.
            with app.app_context():
                due = utcnow() + timedelta(seconds=1)
                db.session.execute(
                    update(Publication)
                    .where(Publication.id.in_(ids_at_once))
                    .values(scheduled_at=due, next_attempt_at=due)
                )
                db.session.commit()
                ring(app.extensions["jobqueue"])
                started = time.perf_counter() + (due - utcnow()).total_seconds()
            time.sleep(max(0.0, started - time.perf_counter()))
            cpu_pipeline.start(parts)
            while count_published() < args.publications:
                time.sleep(0.2)
            pipeline_seconds = time.perf_counter() - started
            cpu_pipeline.stop()
            pipeline_rate = args.publications / pipeline_seconds
            time.sleep(0.2)  # the last horse's phase line
            pipeline_phases = read_phases(phase_log)

            # 2b. Bare RQ after the pipeline: the other half.
            noop_seconds += bare_rq(args.publications - first_half)
            noop_phases += read_phases(phase_log)
            noop_rate = args.publications / noop_seconds

            # 3. Steady load: publications due at a steady rate; lag = published - scheduled.
            web_port = _start_web(env, tmp, processes, memory)
            total = int(args.steady_seconds * args.rate)
            begin = utcnow() + timedelta(seconds=3)
            with app.app_context():
                ids = [
                    schedule(
                        db.session,
                        content_id=item_id,
                        channel_id=channel_id,
                        scheduled_at=begin + timedelta(seconds=i / args.rate),
                    ).id
                    for i in range(total)
                ]
                db.session.commit()
            _poll_web_while(web_port, lambda: count_published() < args.publications + total)
            with app.app_context():
                rows = db.session.execute(
                    select(Publication.scheduled_at, Publication.published_at).where(
                        Publication.id.in_(ids)
                    )
                ).all()
            lags = sorted((p - s).total_seconds() for s, p in rows)
            p95 = lags[int(0.95 * (len(lags) - 1))]

        embedded_peak = _embedded_memory(tmp)
        mode = "in-process (--no-fork)" if args.no_fork else "forking"
        print(
            f"publications due at once:       {args.publications} with {args.workers} "
            f"{mode} workers"
        )
        print(
            f"pipeline throughput:            {pipeline_rate:8.1f} publications/s "
            f"({pipeline_seconds:.1f} s)"
        )
        print(
            f"bare RQ no-op throughput:       {noop_rate:8.1f} jobs/s ({noop_seconds:.1f} s; "
            "half before the pipeline, half after)"
        )
        print(f"ratio pipeline / bare RQ:       {pipeline_rate / noop_rate:8.2f}   (goal >= 0.5)")
        print_phases(
            pipeline_phases,
            noop_phases,
            args.workers * 1000 / pipeline_rate,
            args.workers * 1000 / noop_rate,
        )
        print_cpu(cpu_pipeline.used, cpu_bare_total, args.publications)
        print(f"steady load:                    {total} publications at {args.rate:g}/s")
        print(
            f"lag p50 / p95 / max:            {statistics.median(lags):.2f} s / {p95:.2f} s / "
            f"{lags[-1]:.2f} s   (goal p95 <= 2 s)"
        )
        for name_, peak in sorted(memory.peaks.items()):
            print(f"peak RSS {name_:<22} {peak:8.1f} MB   (goal < 150 MB)")
        print(f"peak RSS embedded single process {embedded_peak:6.1f} MB   (goal < 250 MB)")
        print(
            f"receiver: {len(receiver.requests)} requests, "
            f"{len(receiver.delivered_keys())} distinct keys"
        )
    finally:
        for process in processes:
            process.stop()
        receiver.stop()
        redis_server.stop()
        app.extensions["db"]["engine"].dispose()
        drop_database(base, name)


def _start_web(env: dict[str, str], tmp: Path, processes: list, memory: MemoryWatch) -> int:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
    web = Service("web", [*argv, "publisher:create_app()"], env, tmp)
    processes.append(web)
    memory.watch("web (gunicorn worker)", web.pid)
    return port


def _poll_web_while(port: int, busy) -> None:
    """Keep the web process busy with API-like reads while the steady load runs."""
    import requests

    session = requests.Session()
    while busy():
        for path in ("/healthz", "/readyz", "/metrics"):
            try:
                session.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            except requests.RequestException:
                time.sleep(0.2)
        time.sleep(0.2)
    session.close()


def _embedded_memory(tmp: Path) -> float:
    """Peak RSS of `publisher serve` in embedded mode (SQLite, in-process queue) under load."""
    import requests

    port = free_port()
    env = service_env(SECRET_KEY=SECRET, INSTANCE_PATH=str(tmp / "embedded"))
    run_publisher(env, "db", "upgrade", timeout=300)
    run_publisher(env, "seed", "--demo", timeout=300)
    server = start_publisher("embedded", ["serve", "--port", str(port)], env, tmp)
    peak = 0.0
    try:
        session = requests.Session()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            for path in ("/healthz", "/metrics", "/api/v1/openapi.json"):
                try:
                    session.get(f"http://127.0.0.1:{port}{path}", timeout=5)
                except requests.RequestException:
                    time.sleep(0.3)
            peak = max(peak, peak_rss_mb(server.pid))
            if time.monotonic() > deadline - 30 and peak:
                break
        session.close()
    finally:
        server.stop()
    return peak


if __name__ == "__main__":
    main()
