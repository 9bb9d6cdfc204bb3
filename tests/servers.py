"""The one harness for servers and processes in tests and benchmarks.

A private redis-server (so it can be stopped, flushed and restarted under the service), a
throwaway database on the machine's PostgreSQL, an optional private PostgreSQL cluster
(to restart the database itself), the ``publisher``/``gunicorn`` processes, and
``run_pipeline``: the dispatcher and a worker run in this process, as embedded mode does.
Every process started here is stopped by its own pid or its own process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from signal import SIGKILL, SIGTERM
from typing import TYPE_CHECKING, Any

from tests.clock.travelled_clock import child_pythonpath
from tests.conftest import TEST_DATABASE_URL, _with_database

if TYPE_CHECKING:
    from publisher.delivery.dispatch import TickReport

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any],
    timeout: float,
    what: str | Callable[[], str],
    interval: float = 0.1,
) -> Any:
    """Poll until ``predicate`` returns something truthy; fail with ``what`` after ``timeout``.

    ``what`` may be a function, called only on failure (to show logs as they are then).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g} s waiting for {said}")
        time.sleep(interval)


class RedisServer:
    """A private redis-server on a spare port, no persistence: a restart loses every key.

    Never the machine's own Redis: tests that stop, flush or restart Redis use one of these.
    """

    def __init__(self, workdir: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="publisher-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 10, f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A new database on the machine's PostgreSQL (as tests/conftest.py does), dropped after."""
    import psycopg

    name = f"publisher_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PostgresCluster:
    """A private PostgreSQL cluster on a spare port, so a test can stop and start it.

    PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user.
    """

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: that sits in root's private directory, which the
        # postgres user cannot enter.
        self.workdir = Path(tempfile.mkdtemp(prefix="publisher-pg-"))
        self.data = self.workdir / "data"
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        self.bin = bins[-1].parent if bins else None

    @classmethod
    def available(cls) -> bool:
        if not sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
            return False
        if os.geteuid() != 0:
            return True
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return False
        return shutil.which("runuser") is not None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/publisher"

    def _run(self, *args: str) -> None:
        assert self.bin is not None
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def init(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.start()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "publisher"
        )
        return self

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.workdir / "log"),
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off",
            "start",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Service:
    """One process of ours (``publisher …`` or gunicorn) in its own process group.

    Its stdout and stderr go to ``NAME.out`` and ``NAME.err`` in ``logdir``. ``signal`` reaches
    the process itself (as systemd or Docker would); ``stop`` reaches its whole group, so a
    worker's work horse or gunicorn's workers never outlive the test.
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        logdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = logdir / f"{name}.out"
        self.stderr_path = logdir / f"{name}.err"
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            # The child keeps its own copies of the descriptors.
            self.proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int = SIGTERM) -> None:
        if self.alive():
            self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self, signum: int = SIGTERM, timeout: float = 15) -> int:
        """Send ``signum`` to the process group; SIGKILL it after ``timeout``. The exit code."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, SIGKILL)
                self.proc.wait(10)
        return self.proc.returncode

    def kill(self) -> None:
        self.stop(SIGKILL, timeout=10)

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def log_lines(self) -> list[str]:
        text = (
            self.stdout_path.read_text(errors="replace")
            + "\n"
            + self.stderr_path.read_text(errors="replace")
        )
        return [line for line in text.splitlines() if line.strip()]


def start_publisher(name: str, args: list[str], env: dict[str, str], logdir: Path) -> Service:
    """``publisher ARGS`` as a :class:`Service` named ``name``."""
    return Service(name, publisher_command(*args), env, logdir)


def service_env(**settings: Any) -> dict[str, str]:
    """The environment of a process of ours: the machine's, less test and service settings,
    plus these. The travelled clock (``PUBLISHER_TEST_CLOCK``) passes through."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "TEST_", "DATABASE_", "REDIS_"))
    }
    # The checkout is importable whatever the state of the virtualenv's editable install.
    env["PYTHONPATH"] = child_pythonpath(str(ROOT))
    env.update({k: str(v) for k, v in settings.items()})
    return env


def publisher_command(*args: str) -> list[str]:
    return [str(BIN / "publisher"), *args]


def gunicorn_command() -> list[str]:
    return [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "publisher:create_app()"]


def run_publisher(
    env: dict[str, str],
    *args: str,
    timeout: float = 60,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one ``publisher`` command to completion; fail with its output if it fails."""
    done = subprocess.run(
        publisher_command(*args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )
    assert done.returncode == 0, f"publisher {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done


def http(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 10
) -> tuple[int, Any]:
    """A JSON request with urllib; returns (status, parsed body or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)
    try:
        return status, json.loads(payload or b"null")
    except ValueError:
        return status, payload.decode(errors="replace")


def drain_queues(app: Any) -> None:
    """Run every queued job in this thread until the queues are empty (a burst worker)."""
    from jobqueue.worker import EmbeddedWorker

    queue = app.extensions["jobqueue"]
    worker = EmbeddedWorker(queue.queues(), connection=queue.redis)
    worker.app = app
    worker.work(burst=True, logging_level="WARNING", with_scheduler=False)


def run_pipeline(
    app: Any, session: Any = None, *, rounds: int = 1, now: datetime | None = None
) -> list[TickReport]:
    """One dispatcher pass and then the queues drained, ``rounds`` times; the tick reports.

    With ``session`` (the test's own), it is committed first (SQLite allows one writer, and
    the dispatcher and the worker write) and expired after, so it reads what they did.
    """
    from publisher.delivery.dispatch import dispatch_once

    if session is not None:
        session.commit()
    reports = []
    for _ in range(rounds):
        with app.app_context():
            reports.append(dispatch_once(now=now))
        drain_queues(app)
    if session is not None:
        session.expire_all()
    return reports
