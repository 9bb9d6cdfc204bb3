"""The delivery's writes: the claim with its attempt row, lease renewals and outcomes.

Each write is a Core statement on the session's connection (no ORM bookkeeping); on
PostgreSQL the claim and the outcome each travel with their attempt row's write as one
statement, so each is one round trip and atomic even in autocommit.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import Engine, bindparam, case, delete, insert, literal, select, true, update
from sqlalchemy.orm import aliased, contains_eager, load_only

from channels.base import clean_excerpt
from content_library.db import utcnow
from content_library.models import ContentItem, ContentVersion, Drive
from publisher.db import db
from publisher.delivery.models import Attempt, Channel, Publication

# What a delivery reads of the row, its channel, version and item (the checks, rendering
# for every kind, the prepared channel, the consent gate, reconciliation). The claim
# loads only these: a delivery has no use for the rest (the item's search text, the
# version's review trail, the row's bookkeeping), and each column costs the driver and
# the ORM a little on every delivery. Anything else a reader touches still loads, with
# a query of its own.
DELIVERY_COLUMNS: dict[Any, tuple[Any, ...]] = {
    Publication: (
        Publication.id,
        Publication.content_id,
        Publication.version_id,
        Publication.channel_id,
        Publication.status,
        Publication.scheduled_at,
        Publication.expires_at,
        Publication.priority,
        Publication.slot,
        Publication.repeats,
        Publication.attempts,
        Publication.max_attempts,
        Publication.reconcile,
        Publication.reconcile_since,
        Publication.drive_id,
        Publication.render_context,
        Publication.created_at,
    ),
    Channel: (
        Channel.id,
        Channel.kind,
        Channel.slug,
        Channel.name,
        Channel.settings,
        Channel.secrets_encrypted,
        Channel.enabled,
        Channel.health_status,
        Channel.health_reason,
        Channel.paused_until,
    ),
    ContentVersion: (
        ContentVersion.id,
        ContentVersion.content_id,
        ContentVersion.number,
        ContentVersion.title,
        ContentVersion.body_html,
        ContentVersion.summary,
        ContentVersion.asset_id,
        ContentVersion.reading_text,
        ContentVersion.person,
        ContentVersion.tags,
        ContentVersion.language,
        ContentVersion.campaign_id,
    ),
    ContentItem: (
        ContentItem.id,
        ContentItem.kind,
        ContentItem.language,
        ContentItem.campaign_id,
        ContentItem.consent_id,
    ),
}

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"

# Tests set this (then rebuild the claim: ``claim_and_load.cache_clear()``) so that reading
# a column the list above leaves out raises instead of loading it.
RAISE_UNLISTED = False


def delivery_options(pub: Any) -> tuple[Any, ...]:
    """Loader options for ``pub`` (``Publication`` or an alias of it) with its channel,
    version and item filled from the same row, each limited to DELIVERY_COLUMNS."""

    def only(entity: Any, model: Any) -> Any:
        columns = (getattr(entity, c.key) for c in DELIVERY_COLUMNS[model])
        return load_only(*columns, raiseload=RAISE_UNLISTED)

    return (
        only(pub, Publication),
        contains_eager(pub.channel).options(only(Channel, Channel)),
        contains_eager(pub.version).options(only(ContentVersion, ContentVersion)),
        contains_eager(pub.content).options(only(ContentItem, ContentItem)),
    )


def load_claimed(publication_id: int) -> tuple[Publication, Channel, bool]:
    """The claimed row with its channel, version and item, in one query, and whether its
    drive has a change waiting for an approver.

    ``contains_eager`` fills the relationships from the same row, so rendering reads
    ``pub.version`` and ``pub.content`` without a query of its own (a lazy load would
    inherit ``populate_existing`` and ask the database again).
    """
    pub, drive_held = db.session.execute(
        select(Publication, Drive.pending_change.is_not(None))
        .join(Publication.channel)
        .join(Publication.version)
        .join(Publication.content)
        .outerjoin(Drive, Drive.id == Publication.drive_id)
        .options(*delivery_options(Publication))
        .where(Publication.id == publication_id)
        .execution_options(populate_existing=True)
    ).one()
    return pub, pub.channel, bool(drive_held)


def autocommit() -> bool:
    """Run the session's next transaction in autocommit on PostgreSQL; True when it does.

    Only for steps whose every write is a single statement (or whose writes may commit
    one by one), and only on the app's own engine: a session bound to a connection (a
    test's or the warm-up's outer transaction) keeps its transaction.
    """
    session = db.session()
    bind = session.get_bind()
    if (
        session.in_transaction()
        or not isinstance(bind, Engine)
        or bind.dialect.name != "postgresql"
    ):
        session.connection()
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True


def write(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run an UPDATE or INSERT in the session's transaction without the ORM's bookkeeping.

    The ORM would match each bulk UPDATE against the objects in the session; deliver()
    reloads what it reads, so Core on the session's connection is all these writes need.
    """
    return db.session.connection().execute(statement, params)


def open_attempt(pub: Publication, token: str, action: str, now: datetime) -> int:
    return write(
        insert(Attempt)
        .values(
            publication_id=pub.id,
            number=pub.attempts,
            action=action,
            token=token,
            started_at=now,
            worker=WORKER_NAME,
        )
        .returning(Attempt.id)
    ).scalar_one()


@cache
def claim_and_load() -> Any:
    """PostgreSQL: the claim, its attempt row and the load in one statement, built once.

    The claim is a data-modifying CTE returning the whole claimed row; the attempt's
    INSERT reads it, and the outer SELECT maps it onto a ``Publication`` joined with its
    channel, version and item (``contains_eager``) and whether its drive has a change
    waiting. One round trip, one commit (autocommit: the statement is its own
    transaction); no row when the publication was not ``queued``.

    Parameters: ``claim_pid``, ``claim_token``, ``claim_now``, ``claim_lease`` (named
    unlike any column: a DML statement takes a parameter named like a column as a value
    to set). Built once per process, so each delivery skips building the statement and
    computing its cache key.
    """
    now = bindparam("claim_now", type_=Publication.updated_at.type)
    token = bindparam("claim_token", type_=Publication.attempt_token.type)
    claimed = (
        update(Publication)
        .where(Publication.id == bindparam("claim_pid"), Publication.status == "queued")
        .values(
            status="publishing",
            attempt_token=token,
            attempts=Publication.attempts + 1,
            lease_until=bindparam("claim_lease", type_=Publication.lease_until.type),
            updated_at=now,
            # Reconciliation looks for posts made since the start of the last call that
            # may have posted: this one, unless the row is still to be reconciled (then
            # the earlier call's start stands).
            reconcile_since=case(
                (Publication.reconcile.is_(True), Publication.reconcile_since), else_=now
            ),
        )
        .returning(*Publication.__table__.c)
        .cte("claimed")
    )
    attempt = (
        insert(Attempt)
        .from_select(
            ["publication_id", "number", "action", "token", "started_at", "worker"],
            select(
                claimed.c.id,
                claimed.c.attempts,
                case((claimed.c.reconcile.is_(True), "reconcile"), else_="publish"),
                token,
                now,
                literal(WORKER_NAME, Attempt.worker.type),
            ),
        )
        .returning(Attempt.id)
        .cte("attempt")
    )
    pub = aliased(Publication, claimed, name="pub")
    return (
        select(pub, attempt.c.id, Drive.pending_change.is_not(None))
        .join(pub.channel)
        .join(pub.version)
        .join(pub.content)
        .join(attempt, true())
        .outerjoin(Drive, Drive.id == pub.drive_id)
        .options(*delivery_options(pub))
        .execution_options(populate_existing=True)
    )


@cache
def published_outcome() -> Any:
    """PostgreSQL: the successful outcome and its attempt's closing, one statement built once.

    What :func:`finish` writes for a published row (``allow_unconfirmed``, ``closing``),
    with bound parameters ``out_pid``, ``out_token``, ``out_now``, ``out_ext_id``,
    ``out_ext_url``, ``out_attempt_id``, ``out_outcome``, ``out_excerpt`` (named unlike
    any column: an UPDATE takes a parameter named like a column as a value to set). The
    hot path skips building the statement and computing its cache key.
    """
    now = bindparam("out_now", type_=Publication.updated_at.type)
    closing = (
        update(Attempt)
        .where(Attempt.id == bindparam("out_attempt_id"))
        .values(
            finished_at=now,
            outcome=bindparam("out_outcome", type_=Attempt.outcome.type),
            error=None,
            response_excerpt=bindparam("out_excerpt", type_=Attempt.response_excerpt.type),
        )
    )
    return (
        update(Publication)
        .where(
            Publication.id == bindparam("out_pid"),
            Publication.attempt_token
            == bindparam("out_token", type_=Publication.attempt_token.type),
            Publication.status.in_(("publishing", "unconfirmed")),
        )
        .values(
            status="published",
            published_at=now,
            external_id=bindparam("out_ext_id", type_=Publication.external_id.type),
            external_url=bindparam("out_ext_url", type_=Publication.external_url.type),
            reconcile=False,
            last_error=None,
            last_error_class=None,
            lease_until=None,
            updated_at=now,
        )
        .add_cte(closing.cte("attempt_write"))
    )


def finish(
    pub_id: int,
    token: str,
    values: dict[str, Any],
    *,
    allow_unconfirmed: bool = False,
    closing: tuple[int, str, str | None, str] | None = None,
    dropping: int | None = None,
) -> bool:
    """Record the outcome while our token holds; ``closing`` also closes the attempt row,
    ``dropping`` deletes one (a held or expired row makes no attempt).

    On PostgreSQL both writes travel as one statement (the attempt's write as a
    data-modifying CTE): one round trip, and atomic even in autocommit.
    """
    statuses = ("publishing", "unconfirmed") if allow_unconfirmed else ("publishing",)
    values = {**values, "lease_until": None, "updated_at": utcnow()}
    statement = (
        update(Publication)
        .where(
            Publication.id == pub_id,
            Publication.attempt_token == token,
            Publication.status.in_(statuses),
        )
        .values(**values)
    )
    attempt_write: Any = None
    if closing is not None:
        attempt_write = closed_attempt(*closing)
    elif dropping is not None:
        attempt_write = delete(Attempt).where(Attempt.id == dropping)
    if attempt_write is not None:
        if db.session.connection().dialect.name == "postgresql":
            statement = statement.add_cte(attempt_write.cte("attempt_write"))
        else:
            write(attempt_write)
    return bool(write(statement).rowcount)


def closed_attempt(
    attempt_id: int, outcome: str, error: str | None = None, excerpt: str = ""
) -> Any:
    # Editors read the excerpt: whatever the adapter kept, only a short plain-text line.
    kept = clean_excerpt(excerpt)
    return (
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .values(finished_at=utcnow(), outcome=outcome, error=error, response_excerpt=kept or None)
    )


def close_attempt(
    attempt_id: int, outcome: str, error: str | None = None, excerpt: str = ""
) -> None:
    write(closed_attempt(attempt_id, outcome, error, excerpt))


def still_mine(pub_id: int, token: str, **values: Any) -> bool:
    """Renew our lease right before a channel call; False when the row has moved on."""
    now = utcnow()
    lease = current_app.config["SETTINGS"].LEASE_SECONDS
    done = db.session.execute(
        update(Publication)
        .where(
            Publication.id == pub_id,
            Publication.attempt_token == token,
            Publication.status == "publishing",
        )
        .values(lease_until=now + timedelta(seconds=lease), updated_at=now, **values)
    ).rowcount
    db.session.commit()
    return bool(done)


def close_adapter(adapter: Any) -> None:
    close = getattr(adapter, "close", None)
    if callable(close):
        close()
