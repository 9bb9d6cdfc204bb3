"""Gunicorn settings for the web role (``gunicorn -c gunicorn.conf.py 'publisher:create_app()'``).

Every value comes from the environment so one image serves any machine size:
``PORT`` (8000), ``BIND_ADDRESS`` (0.0.0.0), ``WEB_CONCURRENCY`` (worker processes,
2 x cores + 1, at most 8), ``GUNICORN_THREADS`` (4), ``GUNICORN_TIMEOUT`` (60 s),
``GUNICORN_GRACEFUL_TIMEOUT`` (30 s), ``FORWARDED_ALLOW_IPS`` (127.0.0.1) and
``LOG_FORMAT`` (``json`` for one JSON object per line, as the app's own logs).
"""

import logging
import os
from collections.abc import Mapping
from typing import Any

from publisher.logs import JsonFormatter


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours a container's CPU set
    except AttributeError:
        return os.cpu_count() or 1


bind = [f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{_int('PORT', 8000)}"]  # noqa: S104
workers = _int("WEB_CONCURRENCY", min(2 * _cores() + 1, 8))
# Threads let one process wait on slow phones and the database without blocking the rest.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
# SIGTERM (docker stop): stop accepting, let requests in flight finish for this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle processes now and then so a slow leak never grows into an outage.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Each process builds its own app after the fork: database pools and Redis clients are
# never shared across processes (no preload_app).
preload_app = False
# Trust X-Forwarded-Proto and friends only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Gunicorn's control socket would sit in $HOME; nothing here uses it.
control_socket_disable = True
# The heartbeat file on tmpfs: a container's overlay filesystem can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'


class AccessJsonFormatter(JsonFormatter):
    """Access lines as JSON with the request's fields, not only a formatted message."""

    FIELDS = {
        "h": "remote",
        "m": "method",
        "U": "path",
        "q": "query",
        "s": "status",
        "B": "bytes",
        "M": "duration_ms",
        "a": "user_agent",
    }

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args if isinstance(record.args, Mapping) else {}
        for atom, name in self.FIELDS.items():
            if atom in atoms:
                value = atoms[atom]
                setattr(
                    record, name, int(value) if atom in "sBM" and str(value).isdigit() else value
                )
        return super().format(record)


def _json_logging() -> dict[str, Any]:
    stream = {"class": "logging.StreamHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}, "access": {"()": AccessJsonFormatter}},
        "handlers": {
            # Where gunicorn writes them in text mode: errors to stderr, access to stdout.
            "error": {**stream, "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {**stream, "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


if os.environ.get("LOG_FORMAT", "text") == "json":
    logconfig_dict = _json_logging()
