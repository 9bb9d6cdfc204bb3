"""Everything a channel shows belongs to the version; lineage authors; held drive changes.

Tags, language and campaign move to (or are frozen in) each version, so that editing
approved content changes no channel until the new version is approved; each version
records its authors (everyone who wrote or edited it) for the four-eyes rule; a drive
keeps an edit waiting for an approver in ``pending_change``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_items = sa.table(
    "content_items",
    sa.column("id", sa.Integer),
    sa.column("tags", sa.JSON),
    sa.column("language", sa.String),
    sa.column("campaign_id", sa.Integer),
)
_versions = sa.table(
    "content_versions",
    sa.column("id", sa.Integer),
    sa.column("content_id", sa.Integer),
    sa.column("created_by", sa.Integer),
    sa.column("tags", sa.JSON),
    sa.column("language", sa.String),
    sa.column("campaign_id", sa.Integer),
    sa.column("authors", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("authors", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_content_versions_campaign_id_campaigns"),
            "campaigns",
            ["campaign_id"],
            ["id"],
        )
    with op.batch_alter_table("drives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_change", sa.JSON(), nullable=True))

    # Every existing version takes its item's tags, language and campaign (what channels
    # showed for it until now) and its last editor as its author.
    bind = op.get_bind()
    items = {
        row.id: row
        for row in bind.execute(
            sa.select(_items.c.id, _items.c.tags, _items.c.language, _items.c.campaign_id)
        )
    }
    versions = bind.execute(
        sa.select(_versions.c.id, _versions.c.content_id, _versions.c.created_by)
    ).all()
    for version_id, content_id, created_by in versions:
        item = items.get(content_id)
        bind.execute(
            _versions.update()
            .where(_versions.c.id == version_id)
            .values(
                tags=list(item.tags or []) if item is not None else [],
                language=(item.language if item is not None else None) or "vi",
                campaign_id=item.campaign_id if item is not None else None,
                authors=[created_by] if created_by is not None else [],
            )
        )

    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("language", existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column("authors", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.drop_column("tags")


def downgrade() -> None:
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    bind = op.get_bind()
    # The item's tags were its latest version's.
    latest: dict[int, list[str]] = {}
    for content_id, tags in bind.execute(
        sa.select(_versions.c.content_id, _versions.c.tags).order_by(_versions.c.id)
    ):
        latest[content_id] = list(tags or [])
    for item_id in [row.id for row in bind.execute(sa.select(_items.c.id))]:
        bind.execute(
            _items.update().where(_items.c.id == item_id).values(tags=latest.get(item_id, []))
        )
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("drives", schema=None) as batch_op:
        batch_op.drop_column("pending_change")
    with op.batch_alter_table("content_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_content_versions_campaign_id_campaigns"), type_="foreignkey"
        )
        batch_op.drop_column("authors")
        batch_op.drop_column("campaign_id")
        batch_op.drop_column("language")
        batch_op.drop_column("tags")
