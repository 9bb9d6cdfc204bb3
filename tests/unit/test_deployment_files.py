"""The deployment files: compose file, Dockerfile, entry point, health check, gunicorn settings.

No Docker engine runs in tests, so the image is not built here. The compose file is
checked structurally (and by ``docker compose config`` where a Compose CLI is present);
the Dockerfile is parsed; the entry point and health check run for real with stand-ins.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import runpy
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_ROLES = {"migrate": "migrate", "web": "web", "worker": "worker", "dispatch": "dispatch"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smh])", text))


def test_compose_has_every_role_built_from_the_one_image(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_ROLES}
    images = {services[name]["image"] for name in APP_ROLES}
    assert len(images) == 1
    for name, role in APP_ROLES.items():
        service = services[name]
        assert service["build"] == "."
        assert service["command"] == [role]
        env = service["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgresql://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # refuses to start without one
        assert env["PUBLISHER_ENV"] == "production"
        assert "healthcheck" not in service  # the image's HEALTHCHECK applies
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["web"]["ports"] == ["${PUBLISHER_PORT:-8000}:8000"]


def test_compose_orders_start_up_and_runs_migrations_once(compose):
    services = compose["services"]
    healthy = {"condition": "service_healthy"}
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": healthy}
    for name in ("web", "worker", "dispatch"):
        assert services[name]["depends_on"] == {
            "postgres": healthy,
            "redis": healthy,
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert services[name]["restart"] == "unless-stopped"
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_compose_persists_postgres_and_redis_and_never_evicts(compose):
    services = compose["services"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}
    command = services["redis"]["command"]
    assert command[0] == "redis-server"
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert options["--appendonly"] == "yes"
    assert options["--maxmemory-policy"] == "noeviction"


def test_compose_grace_periods_outlast_a_delivery_and_a_request(compose):
    services = compose["services"]
    assert seconds(services["worker"]["stop_grace_period"]) >= 60  # CHANNEL_TIMEOUT 30 s + room
    assert seconds(services["web"]["stop_grace_period"]) > 30  # gunicorn's graceful_timeout


def test_every_compose_variable_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert used - documented == set()
    assert {"POSTGRES_PASSWORD", "SECRET_KEY"} <= used


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30
        ).returncode
        == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates_with_the_compose_cli():
    cli = compose_cli()
    if cli is None:
        pytest.skip("no Compose CLI here ('docker compose' plugin or docker-compose)")
    done = subprocess.run(
        [*cli, "--env-file", ".env.example", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def test_dockerfile_is_multi_stage_on_python_slim_and_runs_as_non_root():
    instructions = dockerfile_instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions
    builder, runtime = stages()
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder")
    assert runtime[0] == ("FROM", "${PYTHON_IMAGE} AS runtime")
    builder_runs = " ".join(arg for word, arg in builder if word == "RUN")
    assert "python -m venv /opt/venv" in builder_runs
    assert "pip install --no-deps -e /app" in builder_runs  # config/ and migrations/ beside it
    assert ("WORKDIR", "/app") in builder and ("WORKDIR", "/app") in runtime
    copied = [arg for word, arg in runtime if word == "COPY"]
    assert copied == ["--from=builder /opt/venv /opt/venv", "--from=builder /app /app"]
    users = [arg for word, arg in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert not any(word == "RUN" and "pip" in arg for word, arg in runtime)  # no build tools


def test_dockerfile_has_healthcheck_entrypoint_and_default_role():
    runtime = stages()[-1]
    words = dict(runtime)
    assert "CMD" in words["HEALTHCHECK"] and "docker/healthcheck.py" in words["HEALTHCHECK"]
    assert json.loads(words["ENTRYPOINT"]) == ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
    assert json.loads(words["CMD"]) == ["web"]
    assert words["EXPOSE"] == "8000"


def test_everything_the_dockerfile_copies_exists_and_is_not_ignored():
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    }
    sources = []
    for word, arg in dockerfile_instructions():
        if word == "COPY" and not arg.startswith("--from"):
            sources += arg.split()[:-1]
    assert "pyproject.toml" in sources and "migrations" in sources and "config" in sources
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
        assert source.split("/")[0] not in ignored, f"{source} is excluded by .dockerignore"
    for secret_or_bulk in (".env", ".venv", ".git", "instance", "tests"):
        assert secret_or_bulk in ignored


@pytest.fixture
def stand_ins(tmp_path: Path) -> dict[str, str]:
    """gunicorn and publisher replaced by scripts that print how they were called."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("gunicorn", "publisher"):
        script = bindir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*"\n')
        script.chmod(0o755)
    return {"PATH": f"{bindir}:/usr/bin:/bin", "TMPDIR": str(tmp_path)}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["gunicorn -c /app/gunicorn.conf.py publisher:create_app()"]),
        (["web"], ["gunicorn -c /app/gunicorn.conf.py publisher:create_app()"]),
        (["worker"], ["publisher worker"]),
        (["worker", "--burst"], ["publisher worker --burst"]),
        (["dispatch"], ["publisher dispatch"]),
        (["migrate"], ["publisher db upgrade", "publisher seed"]),
        (["publisher", "export", "/backup"], ["publisher export /backup"]),
    ],
)
def test_entrypoint_runs_the_role_it_is_given(args, expected, stand_ins, tmp_path):
    done = subprocess.run(
        ["sh", str(ROOT / "docker/entrypoint.sh"), *args],
        env=stand_ins,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected
    role = (args or ["web"])[0]
    assert (tmp_path / "publisher-role").read_text().strip() == role


def test_entrypoint_stops_when_migrations_fail(tmp_path, stand_ins):
    failing = Path(stand_ins["PATH"].split(":")[0]) / "publisher"
    failing.write_text('#!/bin/sh\necho "publisher $*"\nexit 3\n')
    done = subprocess.run(
        ["sh", str(ROOT / "docker/entrypoint.sh"), "migrate"],
        env=stand_ins,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 3
    assert done.stdout.splitlines() == ["publisher db upgrade"]  # no seed after a failure


def run_healthcheck(tmp_path: Path, role: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "publisher-role").write_text(role + "\n")
    environ = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, str(ROOT / "docker/healthcheck.py")],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_healthcheck_of_the_web_asks_healthz(tmp_path):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = str(server.server_address[1])
        assert run_healthcheck(tmp_path, "web", PORT=port).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    assert run_healthcheck(tmp_path, "web", PORT=port).returncode == 1  # nothing answers now
    assert run_healthcheck(tmp_path, "migrate").returncode == 0


def test_healthcheck_of_a_worker_needs_redis_and_the_database(tmp_path):
    from tests.servers import free_port

    done = run_healthcheck(
        tmp_path,
        "worker",
        DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        INSTANCE_PATH=str(tmp_path / "i"),
    )
    assert done.returncode == 1
    assert "redis" in done.stdout and "not ready" in done.stdout


def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("PORT", "WEB_CONCURRENCY", "LOG_FORMAT", "BIND_ADDRESS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    from gunicorn.config import KNOWN_SETTINGS

    conf = load_gunicorn_conf(monkeypatch)
    known = {setting.name for setting in KNOWN_SETTINGS}
    defined = {
        k
        for k, v in conf.items()
        if not k.startswith("_") and k.islower() and not callable(v) and not isinstance(v, type(os))
    }
    assert defined - known == set(), "names gunicorn would silently ignore"
    assert conf["bind"] == ["0.0.0.0:8000"]
    assert 3 <= conf["workers"] <= 8
    assert conf["worker_class"] == "gthread"
    assert conf["graceful_timeout"] == 30 and conf["timeout"] == 60
    assert conf["forwarded_allow_ips"] == "127.0.0.1"
    assert conf["preload_app"] is False
    assert "logconfig_dict" not in conf  # plain text unless asked

    conf = load_gunicorn_conf(
        monkeypatch,
        PORT="9001",
        WEB_CONCURRENCY="5",
        BIND_ADDRESS="127.0.0.1",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    assert conf["bind"] == ["127.0.0.1:9001"] and conf["workers"] == 5
    assert conf["forwarded_allow_ips"] == "10.0.0.5"


def test_gunicorn_logs_json_on_request(monkeypatch):
    from publisher.logs import JsonFormatter

    conf = load_gunicorn_conf(monkeypatch, LOG_FORMAT="json")
    logging_config = conf["logconfig_dict"]
    assert logging_config["formatters"]["json"]["()"] is JsonFormatter
    access = logging_config["formatters"]["access"]["()"]()
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, conf["access_log_format"], None, None
    )
    record.args = {
        "h": "10.0.0.9",
        "r": "GET /readyz HTTP/1.1",
        "s": "503",
        "B": 120,
        "M": 4,
        "a": "curl",
        "m": "GET",
        "U": "/readyz",
        "q": "",
    }
    line = json.loads(access.format(record))
    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["status"], line["duration_ms"]) == (
        "GET",
        "/readyz",
        503,
        4,
    )
    assert "GET /readyz" in line["message"]
