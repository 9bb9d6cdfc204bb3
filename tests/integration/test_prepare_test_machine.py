"""scripts/prepare-test-machine.sh, which `make test` runs before the tests.

Each test runs the real script (and once the real `make test`) with a PATH made of links to
this machine's commands minus the ones the case pretends are missing, plus a fake `apt-get`
that records what it is asked and "installs" by linking a command into that PATH, and a fake
`id` that answers the uid the case needs. PostgreSQL and Redis are the machine's own, or a
real redis-server the script starts on a spare port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "prepare-test-machine.sh"
SYSTEM_BIN = Path("/usr/bin")
HIDDEN_ALWAYS = {"apt-get", "id"}

FAKE_APT_GET = """#!/bin/bash
# Records its arguments; `install` links each package's command into this directory.
echo "$*" >> "$APT_LOG"
if [ "$1" = install ]; then
  for package in "$@"; do
    case "$package" in
      chromium|espeak-ng) printf '#!/bin/sh\\nexit 0\\n' > "$(dirname "$0")/$package"
                          chmod +x "$(dirname "$0")/$package" ;;
      redis-server) ln -s /usr/bin/redis-server "$(dirname "$0")/redis-server" ;;
    esac
  done
fi
"""

FAKE_ID = """#!/bin/sh
if [ "$1" = -u ]; then echo "$FAKE_UID"; else exec /usr/bin/id "$@"; fi
"""


@dataclass
class Machine:
    bin: Path
    apt_log: Path
    env: dict[str, str]

    def apt_calls(self) -> list[str]:
        if not self.apt_log.exists():
            return []
        return self.apt_log.read_text().splitlines()

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **extra_env}
        return subprocess.run(
            [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
        )


def make_machine(tmp_path: Path, missing: set[str], uid: int = 0, **env: str) -> Machine:
    """A PATH with every command of /usr/bin except ``missing``, a fake apt-get and id."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for entry in SYSTEM_BIN.iterdir():
        if entry.name not in missing | HIDDEN_ALWAYS:
            (bin_dir / entry.name).symlink_to(entry)
    for name, text in (("apt-get", FAKE_APT_GET), ("id", FAKE_ID)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for tool in {"chromium", "espeak-ng"} - missing:
        # Present on the pretend machine, whether or not this one has it.
        (bin_dir / tool).unlink(missing_ok=True)
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    apt_log = tmp_path / "apt.log"
    base = {
        k: v for k, v in os.environ.items() if k in {"HOME", "LANG", "TEST_DATABASE_URL", "TERM"}
    }
    # The script ignores servers given by URL on another host; the machine's own Redis is
    # managed unless TEST_REDIS_URL says otherwise.
    if "TEST_REDIS_URL" in os.environ:
        base["TEST_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    base.update(
        PATH=str(bin_dir),
        APT_LOG=str(apt_log),
        FAKE_UID=str(uid),
        PYTHON=sys.executable,
        VENV=str(Path(sys.executable).parent.parent),
    )
    base.update(env)
    return Machine(bin_dir, apt_log, base)


def test_as_root_it_installs_chromium_and_espeak_ng_after_one_update(tmp_path):
    machine = make_machine(tmp_path, missing={"chromium", "espeak-ng"})
    done = machine.run()
    assert done.returncode == 0, done.stderr
    assert machine.apt_calls() == ["update -qq", "install -y -qq chromium espeak-ng"]
    assert "Installing for the tests: chromium espeak-ng" in done.stderr
    assert (machine.bin / "chromium").exists() and (machine.bin / "espeak-ng").exists()


def test_where_everything_is_present_and_running_it_does_nothing(tmp_path):
    machine = make_machine(tmp_path, missing=set())
    done = machine.run()
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert machine.apt_calls() == []
    # The same as a user without root: nothing to ask of them.
    machine.env["FAKE_UID"] = "1000"
    assert machine.run().returncode == 0


def test_without_root_it_stops_with_one_message_naming_the_command(tmp_path):
    machine = make_machine(tmp_path, missing={"chromium", "espeak-ng"}, uid=1000)
    done = machine.run()
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "missing: chromium, espeak-ng" in lines[0]
    assert "Run as root: sudo make test" in lines[0]
    assert "apt-get install -y chromium espeak-ng" in lines[0]
    assert machine.apt_calls() == []


def run_make_test(machine: Machine, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """`make test` on the pretend machine, its pytest replaced by one that leaves a mark."""
    venv = Path(sys.executable).parent.parent
    fake_bin = tmp_path / "venv-bin"
    fake_bin.mkdir()
    # A wrapper, not a link: Python finds its virtualenv from the path it was started by.
    (fake_bin / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (fake_bin / "python").chmod(0o755)
    mark = tmp_path / "pytest-ran"
    (fake_bin / "pytest").write_text(f'#!/bin/sh\necho "$@" > {mark}\n')
    (fake_bin / "pytest").chmod(0o755)
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "test", f"VENV={venv}", f"BIN={fake_bin}"],
        env=machine.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, mark


def test_make_test_without_root_stops_before_any_test(tmp_path):
    machine = make_machine(tmp_path, missing={"chromium", "espeak-ng"}, uid=1000)
    done, pytest_ran = run_make_test(machine, tmp_path)
    assert done.returncode != 0
    assert "Run as root: sudo make test" in done.stderr
    assert not pytest_ran.exists()
    assert machine.apt_calls() == []


def test_make_test_as_root_installs_then_runs_the_tests(tmp_path):
    machine = make_machine(tmp_path, missing={"chromium", "espeak-ng"})
    done, pytest_ran = run_make_test(machine, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert machine.apt_calls() == ["update -qq", "install -y -qq chromium espeak-ng"]
    assert pytest_ran.exists()


def test_a_missing_local_redis_is_installed_and_started_on_its_port(tmp_path):
    port = free_port()
    machine = make_machine(
        tmp_path,
        missing={"redis-server", "redis-cli"},
        TEST_REDIS_URL=f"redis://127.0.0.1:{port}/0",
    )
    done = machine.run()
    try:
        assert done.returncode == 0, done.stderr
        assert machine.apt_calls() == ["update -qq", "install -y -qq redis-server"]
        assert ping(port) == b"+PONG"
    finally:
        pid = redis_pid(port)
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not answers(port), 10, "the started redis-server to stop")


def test_servers_given_on_another_host_are_left_alone(tmp_path):
    machine = make_machine(
        tmp_path,
        missing={"pg_ctlcluster", "psql", "redis-server", "redis-cli"},
        TEST_DATABASE_URL="postgresql://postgres@db.invalid:5432/test",
        TEST_REDIS_URL="redis://cache.invalid:6379/0",
    )
    done = machine.run()
    assert (done.returncode, done.stderr) == (0, "")
    assert machine.apt_calls() == []


def test_without_python_venv_it_installs_the_matching_package(tmp_path):
    python = tmp_path / "python3.11"
    python.write_text('#!/bin/sh\ncase "$2" in *ensurepip*) exit 1 ;; *) echo 3.11 ;; esac\n')
    python.chmod(0o755)
    machine = make_machine(
        tmp_path, missing=set(), PYTHON=str(python), VENV=str(tmp_path / "no-venv")
    )
    done = machine.run("venv")
    assert done.returncode == 0, done.stderr
    assert machine.apt_calls() == ["update -qq", "install -y -qq python3.11-venv"]
    machine.apt_log.unlink()
    machine.env["FAKE_UID"] = "1000"
    refused = machine.run("venv")
    assert refused.returncode == 1
    assert "Run as root: sudo make run" in refused.stderr
    assert "apt-get install -y python3.11-venv" in refused.stderr


def ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), 2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).strip()


def answers(port: int) -> bool:
    try:
        return ping(port) == b"+PONG"
    except OSError:
        return False


def redis_pid(port: int) -> int | None:
    """The pid of the redis-server on ``port`` (it daemonized, so it is not our child)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 2) as sock:
            sock.sendall(b"INFO server\r\n")
            data = b""
            while b"process_id:" not in data or not data.endswith(b"\r\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    for line in data.decode().splitlines():
        if line.startswith("process_id:"):
            return int(line.split(":", 1)[1])
    pytest.fail(f"no process_id in INFO from port {port}")


def test_ci_only_calls_make_test():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "make test"]
