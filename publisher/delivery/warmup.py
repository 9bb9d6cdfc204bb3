"""Prepare a forking worker: compile the delivery path's SQL once, before any fork.

Every job runs in a fork of the worker (RQ's work horse), and whatever a horse learns
dies with it: SQLAlchemy's statement cache filled inside a horse is lost, so each job
would compile the same statements again. Running one throwaway delivery in the parent
fills the cache that every horse then inherits. The throwaway rows live inside a
transaction that is rolled back, and the channel is a loudspeaker one, which calls out
to nothing.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.services import approve, create_content, submit
from publisher.db import db
from publisher.delivery.crypto import decrypt_secrets, encrypt_secrets

log = logging.getLogger(__name__)


def warm_statement_cache(app: Flask) -> bool:
    """Deliver a throwaway publication in a rolled-back transaction; True when it ran."""
    from publisher.auth.services import create_user
    from publisher.delivery.channels import create_channel
    from publisher.delivery.pipeline import deliver
    from publisher.delivery.publications import schedule

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
                kind="loudspeaker",
                slug=f"warmup-{tag}",
                name="Khởi động",
                settings={"commune_codes": ["00000"]},
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
            outcome = deliver(pub.id)
            # The key derivation and the cipher's first use cost milliseconds that a
            # horse would otherwise pay again on every delivery to a channel with secrets.
            key = app.config["SETTINGS"].SECRET_KEY
            decrypt_secrets(key, encrypt_secrets(key, {"warm": "up"}))
            log.info("worker warmed up (throwaway delivery: %s)", outcome)
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
