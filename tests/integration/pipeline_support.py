"""Helpers the channel pipeline tests share: due publications, fresh rows, attempt outcomes."""

from __future__ import annotations

from sqlalchemy import select, update

from publisher.delivery.models import Attempt
from tests.factories import approved_content, due_publication


def publication(db, channel, n: int = 1, *, kind: str = "script", **kw):
    """A due publication of approved content with its own words (no two alike)."""
    item = approved_content(
        db,
        kind=kind,
        title=f"Chủ nhật Đỏ {n}: hiến máu tình nguyện",
        body=f"<p>Mời bạn đến Nhà văn hóa tỉnh Lai Châu, đợt {n}, từ 7 giờ 30.</p>",
        **kw,
    )
    return due_publication(db, item, channel)


def fresh(db, model, ident):
    """The row as the database has it now; the read transaction is closed at once."""
    db.expire_all()
    row = db.get(model, ident)
    db.commit()
    return row


def set_row(db, model, ident, **values) -> None:
    """Change a row as time or a person would (not through the ORM copy, which may be stale)."""
    db.execute(update(model).where(model.id == ident).values(**values))
    db.commit()


def outcomes(db, pub_id: int) -> list[str | None]:
    """The outcomes of a publication's attempts, oldest first."""
    rows = db.scalars(
        select(Attempt.outcome).where(Attempt.publication_id == pub_id).order_by(Attempt.id)
    ).all()
    db.commit()
    return list(rows)


def api(client, db, method: str, path: str, headers: dict[str, str], **kw):
    """Call the API after ending the test's own transaction, so the app sees what it wrote."""
    db.commit()
    return client.open(path, method=method, headers=headers, **kw)
