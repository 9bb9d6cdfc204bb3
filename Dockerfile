# syntax=docker/dockerfile:1
# One image for every role: web, worker, dispatch, migrate (see docker/entrypoint.sh).
#   docker build -t campaign-publisher .
#   docker run --rm campaign-publisher migrate      # one-shot, before the others
#   docker run -p 8000:8000 campaign-publisher web
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: dependencies and the project into a virtualenv -------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app

# The pinned dependencies first, read from pyproject.toml: this layer is rebuilt only
# when they change, not on every code change.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

COPY publisher ./publisher
COPY content_library ./content_library
COPY channels ./channels
COPY jobqueue ./jobqueue
COPY config ./config
COPY migrations ./migrations
COPY gunicorn.conf.py ./
COPY docker/entrypoint.sh docker/healthcheck.py ./docker/
# Editable, at the path the runtime uses: the code finds config/ and migrations/ beside
# its packages (Path(__file__).parent.parent), as in a checkout, with no extra setting.
RUN pip install --no-deps -e /app \
 && python -m compileall -q /app/publisher /app/content_library /app/channels /app/jobqueue

# --- runtime: slim, non-root ----------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# espeak-ng makes the optional audio bulletins; build with --build-arg WITH_ESPEAK=0 to
# leave it out (the service then offers TXT, DOCX and PDF only). tini forwards signals
# and reaps children, so SIGTERM reaches gunicorn, the worker and the dispatcher.
ARG WITH_ESPEAK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && if [ "$WITH_ESPEAK" = "1" ]; then apt-get install -y --no-install-recommends espeak-ng; fi \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 publisher \
 && useradd --system --uid 10001 --gid publisher --home-dir /var/lib/publisher \
      --shell /usr/sbin/nologin publisher \
 && install -d -o publisher -g publisher /var/lib/publisher

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PUBLISHER_ENV=production \
    INSTANCE_PATH=/var/lib/publisher \
    PORT=8000
WORKDIR /app
# The code stays root-owned and read-only to the service's user.
USER publisher:publisher
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["python", "/app/docker/healthcheck.py"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["web"]
