#!/usr/bin/env bash
# Makes this Debian machine ready for `make test`, which runs it before the tests:
#   - Python with venv (python3.X-venv) when .venv does not exist yet,
#   - PostgreSQL answering on 127.0.0.1:5432, trusting 127.0.0.1 and ::1, with a database `test`,
#   - Redis answering on 127.0.0.1:6379 (no persistence),
#   - chromium (browser tests) and espeak-ng (draft audio of bulletins).
# As root it installs with apt-get (one `apt-get update` first) and starts what is missing.
# Without root it changes nothing and stops with one message naming the command to run.
# Where everything is present and running it does nothing and returns at once.
#
# A TEST_DATABASE_URL is left to whoever set it, and so is a TEST_REDIS_URL on another host;
# a local TEST_REDIS_URL on another port gets its redis-server started on that port.
#
#   scripts/prepare-test-machine.sh          everything above
#   scripts/prepare-test-machine.sh venv     only Python's venv (for `make run`)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
VENV=${VENV:-.venv}
only=${1:-all}

packages=()     # apt packages to install
problems=()     # what is missing, in words, for the message
pg_start=""     # PostgreSQL is installed or to be installed and must be started/prepared
redis_start=""  # the port a redis-server must be started on

listening() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
add_package() {
  local p
  for p in "$@"; do
    [[ " ${packages[*]-} " == *" $p "* ]] || packages+=("$p")
  done
}

# host and port of a URL such as postgresql://user@host:port/db
url_host() { local a=${1#*://}; a=${a##*@}; a=${a%%/*}; a=${a%%\?*}; echo "${a%:*}"; }
url_port() {
  local a=${1#*://}; a=${a##*@}; a=${a%%/*}; a=${a%%\?*}
  if [[ $a == *:* ]]; then echo "${a##*:}"; else echo "$2"; fi
}
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == "[::1]" ]]; }

# --- Python venv -----------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  if [ -z "$PYTHON" ]; then
    add_package python3 python3-venv
    problems+=("Python 3")
  elif ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    add_package "python$version-venv"
    problems+=("python$version-venv (to create $VENV)")
  fi
fi

if [ "$only" = all ]; then
  # --- PostgreSQL ----------------------------------------------------------------------------
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    if ! listening 127.0.0.1 5432; then
      command -v pg_ctlcluster >/dev/null || add_package postgresql
      pg_start=1
      problems+=("PostgreSQL on 127.0.0.1:5432")
    elif command -v psql >/dev/null \
      && ! psql -w -h 127.0.0.1 -p 5432 -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; then
      # Running, but not as the tests need it: no trust for loopback, or no database `test`.
      pg_start=1
      problems+=("PostgreSQL's database test with trust for 127.0.0.1")
    fi
  fi

  # --- Redis ---------------------------------------------------------------------------------
  redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
  redis_host=$(url_host "$redis_url")
  redis_port=$(url_port "$redis_url" 6379)
  if is_local "$redis_host" && ! listening 127.0.0.1 "$redis_port"; then
    command -v redis-server >/dev/null || add_package redis-server
    redis_start=$redis_port
    problems+=("Redis on 127.0.0.1:$redis_port")
  fi

  # --- Browser and speech --------------------------------------------------------------------
  command -v chromium >/dev/null || { add_package chromium; problems+=("chromium"); }
  command -v espeak-ng >/dev/null || { add_package espeak-ng; problems+=("espeak-ng"); }
fi

if [ ${#problems[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  command="make test"
  [ "$only" = all ] || command="make run"
  {
    printf 'This machine is not ready for the tests (missing: %s) and only root can set it up;' \
      "$(IFS=,; echo "${problems[*]}" | sed 's/,/, /g')"
    printf ' no test was run. Run as root: sudo %s' "$command"
    if [ ${#packages[@]} -gt 0 ]; then
      printf ' (it runs apt-get update && apt-get install -y %s, then starts what is stopped)' \
        "${packages[*]}"
    fi
    printf '\n'
  } >&2
  exit 1
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing for the tests: ${packages[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

wait_for() {  # host port what
  local _
  for _ in $(seq 1 60); do
    listening "$1" "$2" && return 0
    sleep 0.5
  done
  echo "$3 did not start on $1:$2" >&2
  exit 1
}

if [ -n "$pg_start" ]; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "PostgreSQL is installed but has no cluster under /etc/postgresql" >&2
    exit 1
  fi
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # The tests connect over TCP as postgres without a password (first matching line wins).
  if ! grep -q "make-test-trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # make-test-trust\nhost all all ::1/128 trust # make-test-trust' "$hba"
  fi
  if listening 127.0.0.1 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  else
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for 127.0.0.1 5432 PostgreSQL
  psql -w -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -w -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test"
fi

if [ -n "$redis_start" ]; then
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_start" --save "" --appendonly no \
    >/dev/null
  wait_for 127.0.0.1 "$redis_start" Redis
fi

for tool in chromium espeak-ng; do
  if [[ " ${packages[*]-} " == *" $tool "* ]] && ! command -v "$tool" >/dev/null; then
    echo "apt-get install $tool did not provide the $tool command" >&2
    exit 1
  fi
done
