#!/bin/sh
# The image's entry point: the first argument chooses the role, the rest goes to it.
#   web       gunicorn (gunicorn.conf.py) serving publisher:create_app()
#   worker    publisher worker     (RQ; SIGTERM finishes the delivery in hand)
#   dispatch  publisher dispatch   (SIGTERM stops between ticks)
#   migrate   publisher db upgrade, then publisher seed: a one-shot step, run before
#             starting (or upgrading) the others; the web never migrates on start
# Anything else runs as given, e.g. `publisher export /backup/2025-06-01`.
set -eu

role="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi
# The image's HEALTHCHECK runs apart from this process and reads the role here.
printf '%s\n' "$role" > "${TMPDIR:-/tmp}/publisher-role" 2>/dev/null || true

case "$role" in
  web)
    exec gunicorn -c "${GUNICORN_CONFIG:-/app/gunicorn.conf.py}" "$@" 'publisher:create_app()'
    ;;
  worker)
    exec publisher worker "$@"
    ;;
  dispatch)
    exec publisher dispatch "$@"
    ;;
  migrate)
    publisher db upgrade
    exec publisher seed "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
