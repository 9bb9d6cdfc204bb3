"""Prepare a forking worker: compile the delivery path's SQL once, before any fork.

Every job's horse is a fork of the worker, and whatever a horse learns dies with it:
SQLAlchemy's statement cache filled inside a horse is lost, so each job would compile the
same statements again. Running one throwaway delivery in the parent fills the cache that
every horse then inherits (and that the worker itself uses for the database steps of the
deliveries it splits, publisher.horses), and builds the HTTP stack and the prepared
channels the horses make their calls with. The throwaway rows live inside a
transaction that is rolled back, and the channel is of a kind whose adapter offers
settings under which it calls out to nothing (``offline_settings``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.services import approve, create_content, submit
from publisher.db import db
from publisher.delivery.crypto import decrypt_secrets, encrypt_secrets

log = logging.getLogger(__name__)


def warm_statement_cache(app: Flask) -> bool:
    """Deliver a throwaway publication in a rolled-back transaction; True when it ran."""
    from channels.registry import adapters
    from publisher.auth.services import create_user
    from publisher.delivery.channels import create_channel
    from publisher.delivery.pipeline import deliver, publication_published
    from publisher.delivery.publications import schedule

    offline = next((cls for cls in adapters() if cls.offline_settings is not None), None)
    if offline is None:
        log.info("warm-up skipped: no channel kind delivers without calling out")
        return False
    with app.app_context():
        registry = app.extensions["db"]["session"]
        connection = db.engine.connect()
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        registry.registry.set(session)
        try:
            tag = secrets.token_hex(4)
            author = create_user(session, f"warmup-author-{tag}", "editor")
            reviewer = create_user(session, f"warmup-reviewer-{tag}", "approver")
            item = create_content(
                session, kind="script", title="Khởi động", body="Khởi động.", author_id=author.id
            )
            submit(item, author.id)
            approve(session, item, reviewer.id)
            channel = create_channel(
                session,
                kind=offline.kind,
                slug=f"warmup-{tag}",
                name="Khởi động",
                settings=dict(offline.offline_settings or {}),
                secret_key=app.config["SETTINGS"].SECRET_KEY,
            )
            now = utcnow()
            pub = schedule(
                session,
                content_id=item.id,
                channel_id=channel.id,
                scheduled_at=now,
                expires_at=now + timedelta(hours=1),
            )
            pub.status = "queued"
            session.flush()
            # A rehearsal: nobody is told of it (no audio queued for the throwaway commune).
            with publication_published.muted():
                outcome = deliver(pub.id)
            # The key derivation and the cipher's first use cost milliseconds that a
            # horse would otherwise pay again on every delivery to a channel with secrets.
            key = app.config["SETTINGS"].SECRET_KEY
            decrypt_secrets(key, encrypt_secrets(key, {"warm": "up"}))
            prepared = _prepare_channels(session, skip=channel.id)
            _warm_http()
            log.info(
                "worker warmed up (throwaway delivery: %s; %d channels prepared)",
                outcome,
                prepared,
            )
            return outcome == "published"
        except (SQLAlchemyError, ValueError):
            # A cold cache only costs speed: say so and let the worker start anyway.
            log.warning("warm-up skipped: the throwaway delivery failed", exc_info=True)
            return False
        finally:
            registry.registry.clear()
            session.close()
            outer.rollback()
            connection.close()


def _prepare_channels(session: Session, *, skip: int) -> int:
    """Decrypt every enabled channel's secrets once, here, for every horse to inherit.

    A horse finds its channel prepared (settings, secrets, an HTTP session with no
    connection open yet) unless the channel changed since the worker started; then it
    prepares it itself, so a rotated secret is never missed.
    """
    from publisher.delivery.channels import PREPARED_MAX, delivery_adapter
    from publisher.delivery.crypto import SecretsUnreadable
    from publisher.delivery.models import Channel

    channels = session.scalars(
        select(Channel)
        .where(Channel.enabled.is_(True), Channel.id != skip)
        .order_by(Channel.id)
        .limit(PREPARED_MAX // 2)
    ).all()
    count = 0
    for channel in channels:
        try:
            delivery_adapter(channel)
        except (SecretsUnreadable, KeyError, ValueError):
            continue  # the delivery will say what is wrong with this channel
        count += 1
    return count


def _warm_http() -> None:
    """One request through requests, urllib3 and http.client to a throwaway loopback server.

    Their first request builds what later ones reuse (regular expressions, header
    tables); done here, the horses inherit it instead of building it per delivery.
    """

    class _Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), _Answer)
    server.timeout = 5
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        with requests.Session() as http:
            http.post(
                f"http://127.0.0.1:{server.server_port}/warm-up",
                data=b"{}",
                headers={"Content-Type": "application/json"},
                timeout=5,
            ).json()
    except requests.RequestException:
        log.warning("HTTP warm-up skipped", exc_info=True)
    finally:
        thread.join(5)
        server.server_close()
