"""The deployment files: compose file, Dockerfile, entry point, health check, gunicorn settings.

These tests state what must hold whatever the numbers: every role the entry point knows
runs from the one image, the image runs as an unprivileged user and checks its own health
(the web through ``/healthz``), no secret is written into a file, start-up is ordered,
grace periods outlast the work they protect, and gunicorn takes its binding from the
environment. No Docker engine runs in tests, so the image is not built here: the compose
file is read structurally (and checked by ``docker compose config`` where a Compose CLI
is present), the Dockerfile is parsed, and the entry point and health check run for real
with stand-ins.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import runpy
import secrets
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# A setting that holds a secret, by its name.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$|CREDENTIAL")
# ${NAME:?message}: taken from the environment, and Compose refuses to start without it.
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}")
INIT_PROCESSES = ("tini", "dumb-init")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smh])", text))


def variable_default(value: str) -> str:
    """The default of ``${NAME:-default}``, or the value itself when it is a literal."""
    match = re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*:-([^}]*)\}", str(value))
    return match.group(1) if match else str(value)


def entrypoint_roles() -> set[str]:
    """The roles docker/entrypoint.sh dispatches on (its ``case`` labels, bar the catch-all)."""
    text = (ROOT / "docker/entrypoint.sh").read_text(encoding="utf-8")
    return set(re.findall(r"^\s+([a-z][a-z-]*)\)\s*$", text, re.MULTILINE))


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository (the publisher's roles)."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


def long_running(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in app_services(compose).items() if s.get("restart") != "no"}


# ---- docker-compose.yml ---------------------------------------------------------------


def test_every_role_runs_once_from_the_one_image(compose):
    services = app_services(compose)
    roles = entrypoint_roles()
    assert {"web", "worker"} <= roles
    assert sorted(s["command"][0] for s in services.values()) == sorted(roles)
    assert len({s["image"] for s in services.values()}) == 1
    assert len({json.dumps(s["build"], sort_keys=True) for s in services.values()}) == 1
    # Nothing else runs the publisher's image under another name.
    image = next(iter(services.values()))["image"]
    others = {n for n, s in compose["services"].items() if n not in services}
    assert all(compose["services"][n].get("image") != image for n in others)


def test_every_long_running_service_has_a_healthcheck(compose):
    image_checks = any(word == "HEALTHCHECK" and arg.upper() != "NONE" for word, arg in runtime())
    for name, service in compose["services"].items():
        check = service.get("healthcheck", {})
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        if name in long_running(compose):
            assert check.get("test") or image_checks, f"{name}: no healthcheck"
        elif name not in app_services(compose):
            assert check.get("test"), f"{name}: others wait for it to be healthy; it needs a check"


def test_start_up_is_ordered_and_one_shot_roles_run_once(compose):
    services = app_services(compose)
    one_shot = {n for n, s in services.items() if s.get("restart") == "no"}
    infrastructure = set(compose["services"]) - set(services)
    for name in long_running(compose):
        depends = services[name]["depends_on"]
        assert services[name]["restart"] in ("always", "unless-stopped"), name
        for other in infrastructure:
            assert depends[other] == {"condition": "service_healthy"}, (name, other)
        for other in one_shot:
            assert depends[other] == {"condition": "service_completed_successfully"}, name
    for name in one_shot:
        assert set(services[name]["depends_on"]) <= infrastructure


def test_no_secret_is_written_into_the_compose_file(compose):
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping"
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VARIABLE.fullmatch(str(value)), f"{name}.{key} = {value!r}"
            password = re.match(r"[a-z+]+://[^:/@]+:([^@]+)@", str(value))
            if password:
                assert REQUIRED_VARIABLE.fullmatch(password.group(1)), f"{name}.{key}"
    for name, service in app_services(compose).items():
        environment = service["environment"]
        assert REQUIRED_VARIABLE.fullmatch(environment["SECRET_KEY"]), name
        assert environment.get("PUBLISHER_ENV", "production") == "production", name


def test_stateful_services_keep_their_data_and_redis_never_drops_jobs(compose):
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        if name in app_services(compose):
            continue
        mounts = [v.split(":")[0] for v in service.get("volumes", [])]
        assert any(m in declared for m in mounts), f"{name}: data on a named volume"
    redis = next(s for s in compose["services"].values() if s.get("image", "").startswith("redis"))
    options = dict(zip(redis["command"][1::2], redis["command"][2::2], strict=True))
    assert options["--appendonly"] == "yes"  # a restart keeps the queue
    assert options["--maxmemory-policy"] == "noeviction"  # never a silently dropped job


def test_grace_periods_outlast_a_delivery_and_a_request(compose, monkeypatch):
    services = app_services(compose)
    worker = next(s for s in services.values() if s["command"][0] == "worker")
    timeout = float(variable_default(worker["environment"]["CHANNEL_TIMEOUT_SECONDS"]))
    assert seconds(worker["stop_grace_period"]) > timeout
    web = next(s for s in services.values() if s["command"][0] == "web")
    conf = load_gunicorn_conf(monkeypatch)
    assert seconds(web["stop_grace_period"]) > conf["graceful_timeout"]


def test_the_web_publishes_the_port_the_image_serves(compose, monkeypatch):
    web = next(s for s in app_services(compose).values() if s["command"][0] == "web")
    [mapping] = web["ports"]
    container_port = str(mapping).rsplit(":", 1)[-1]
    words = dict(runtime())
    assert words["EXPOSE"] == container_port
    assert re.search(rf"\bPORT={container_port}\b", words["ENV"])
    bound = load_gunicorn_conf(monkeypatch)["bind"]
    assert [b.rsplit(":", 1)[-1] for b in bound] == [container_port]


def test_every_compose_variable_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert used - documented == set()
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", text))
    assert required, "the secrets come from .env"
    assert required <= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))


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


# ---- Dockerfile -----------------------------------------------------------------------


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


def runtime() -> list[tuple[str, str]]:
    """The last stage: what the image is."""
    return stages()[-1]


def copied_into_image(path: str) -> bool:
    """True when the repository file ``path`` is copied into the image (directly or its folder)."""
    for word, arg in dockerfile_instructions():
        if word == "COPY" and not arg.startswith("--from"):
            sources = arg.split()[:-1]
            if any(path == s or path.startswith(s.rstrip("/") + "/") for s in sources):
                return True
    return False


def test_the_image_runs_as_an_unprivileged_user():
    stage = runtime()
    users = [arg for word, arg in stage if word == "USER"]
    assert users, "the runtime stage sets a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    created = " ".join(arg for word, arg in stage if word == "RUN")
    if not user.isdigit():
        uid = re.search(rf"useradd\b[^&;]*--uid\s+(\d+)[^&;]*\b{re.escape(user)}\b", created)
        assert uid and int(uid.group(1)) != 0, f"{user} is created with a non-zero uid"
    # Whatever follows the last USER runs as that user too.
    after = stage[max(i for i, (word, _) in enumerate(stage) if word == "USER") :]
    assert not any(word == "RUN" for word, _ in after)


def test_the_image_checks_its_health_with_the_script_the_roles_share():
    checks = [arg for word, arg in runtime() if word == "HEALTHCHECK"]
    assert len(checks) == 1 and checks[0].upper() != "NONE"
    command = json.loads(checks[0].split("CMD", 1)[1])
    script = next(part for part in command if part.endswith(".py"))
    assert script.startswith("/app/")
    assert copied_into_image(script.removeprefix("/app/"))


def test_the_entrypoint_forwards_signals_and_defaults_to_a_known_role():
    words = dict(runtime())
    entrypoint = json.loads(words["ENTRYPOINT"])  # exec form: no shell swallows SIGTERM
    script = next(part for part in entrypoint if part.endswith(".sh"))
    assert copied_into_image(script.removeprefix("/app/"))
    init = [part for part in entrypoint if Path(part).name in INIT_PROCESSES]
    assert init, "an init process reaps children and forwards signals"
    installs = " ".join(arg for word, arg in runtime() if word == "RUN")
    assert re.search(rf"install\b[^&]*\b{Path(init[0]).name}\b", installs)
    assert json.loads(words["CMD"])[0] in entrypoint_roles()


def test_the_image_holds_the_project_on_a_supported_python_without_build_tools():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    arguments = dict(
        arg.split("=", 1) for word, arg in dockerfile_instructions() if word == "ARG" and "=" in arg
    )
    base = runtime()[0][1].split()[0]
    base = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m.group(1)], base)
    version = re.search(r"python:(\d+\.\d+)", base)
    assert version, base
    assert SpecifierSet(pyproject["project"]["requires-python"]).contains(version.group(1) + ".0")
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert copied_into_image(package), f"package {package} is not copied into the image"
    copied = [arg for word, arg in runtime() if word == "COPY"]
    assert copied and all(arg.startswith("--from=") for arg in copied)
    assert not any(word == "RUN" and "pip" in arg for word, arg in runtime())


def test_no_secret_is_baked_into_the_image():
    for word, arg in dockerfile_instructions():
        if word in ("ENV", "ARG"):
            names = re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", arg) or [arg.split()[0]]
            assert not any(SECRET_NAME.search(n.upper()) for n in names), (word, arg)


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
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
        assert source.split("/")[0] not in ignored, f"{source} is excluded by .dockerignore"
    for secret_or_bulk in (".env", ".venv", ".git", "instance", "tests"):
        assert secret_or_bulk in ignored


# ---- the entry point and the health check, run with stand-ins ---------------------------


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
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = str(server.server_address[1])
        done = run_healthcheck(tmp_path, "web", PORT=port)
        assert done.returncode == 0, done.stdout
    finally:
        server.shutdown()
        server.server_close()
    assert asked == ["/healthz"]
    assert run_healthcheck(tmp_path, "web", PORT=port).returncode == 1  # nothing answers now


def test_healthcheck_has_nothing_to_check_for_a_one_shot_role(tmp_path, compose):
    for name, service in app_services(compose).items():
        if name not in long_running(compose):
            done = run_healthcheck(tmp_path, service["command"][0], PORT=str(free_port()))
            assert done.returncode == 0, done.stdout


def background_roles() -> list[str]:
    """The long-running roles other than the web, as the compose file runs them."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    roles = {s["command"][0] for s in long_running(services).values()}
    return sorted(roles - {"web"})


@pytest.mark.parametrize("role", background_roles())
def test_healthcheck_of_a_background_role_needs_redis_and_the_database(tmp_path, role):
    done = run_healthcheck(
        tmp_path,
        role,
        DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        INSTANCE_PATH=str(tmp_path / "i"),
        PORT=str(free_port()),
    )
    assert done.returncode == 1
    assert "redis" in done.stdout and "not ready" in done.stdout


# ---- gunicorn.conf.py -----------------------------------------------------------------

GUNICORN_ENV = (
    "PORT",
    "BIND_ADDRESS",
    "WEB_CONCURRENCY",
    "LOG_FORMAT",
    "FORWARDED_ALLOW_IPS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_LOG_LEVEL",
)


def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defines_only_settings_gunicorn_knows(monkeypatch):
    from gunicorn.config import KNOWN_SETTINGS

    conf = load_gunicorn_conf(monkeypatch)
    known = {setting.name for setting in KNOWN_SETTINGS}
    defined = {
        k
        for k, v in conf.items()
        if not k.startswith("_") and k.islower() and not callable(v) and not isinstance(v, type(os))
    }
    assert defined - known == set(), "names gunicorn would silently ignore"


def test_gunicorn_binds_and_sizes_from_the_environment(monkeypatch):
    port, workers = str(free_port()), str(2 + secrets.randbelow(6))
    conf = load_gunicorn_conf(
        monkeypatch,
        PORT=port,
        BIND_ADDRESS="127.0.0.2",
        WEB_CONCURRENCY=workers,
        FORWARDED_ALLOW_IPS="10.0.0.5",
        GUNICORN_GRACEFUL_TIMEOUT="17",
    )
    assert conf["bind"] == [f"127.0.0.2:{port}"]
    assert conf["workers"] == int(workers)
    assert conf["forwarded_allow_ips"] == "10.0.0.5"
    assert conf["graceful_timeout"] == 17


def test_gunicorn_defaults_are_safe(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)
    assert conf["workers"] >= 1
    assert conf["forwarded_allow_ips"] != "*"  # trust forwarded headers only from the proxy
    # Each process builds its own app: pools and Redis clients are never shared by a fork.
    assert conf["preload_app"] is False
    assert conf["graceful_timeout"] <= conf["timeout"]
    assert "logconfig_dict" not in conf  # plain text unless asked


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
