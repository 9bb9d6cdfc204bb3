"""The delivery's writes: the claim with its attempt row, lease renewals and outcomes.

Each write is a Core statement on the session's connection (no ORM bookkeeping); on
PostgreSQL the claim and the outcome each travel with their attempt row's write as one
statement, so each is one round trip and atomic even in autocommit.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Engine, case, delete, insert, literal, select, update

from channels.base import clean_excerpt
from content_library.db import utcnow
from publisher.db import db
from publisher.delivery.models import Attempt, Publication

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


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


def write(statement: Any) -> Any:
    """Run an UPDATE or INSERT in the session's transaction without the ORM's bookkeeping.

    The ORM would match each bulk UPDATE against the objects in the session; deliver()
    reloads what it reads, so Core on the session's connection is all these writes need.
    """
    return db.session.connection().execute(statement)


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


def claim_with_attempt(claim: Any, token: str, now: datetime) -> Any:
    """``claim`` as a CTE feeding the attempt row's INSERT; returns the attempt's id."""
    claimed = claim.returning(Publication.id, Publication.attempts, Publication.reconcile).cte(
        "claimed"
    )
    return (
        insert(Attempt)
        .from_select(
            ["publication_id", "number", "action", "token", "started_at", "worker"],
            select(
                claimed.c.id,
                claimed.c.attempts,
                case((claimed.c.reconcile.is_(True), "reconcile"), else_="publish"),
                literal(token, Attempt.token.type),
                literal(now, Attempt.started_at.type),
                literal(WORKER_NAME, Attempt.worker.type),
            ),
        )
        .returning(Attempt.id)
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
