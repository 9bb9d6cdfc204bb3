"""Assets get an unguessable media key for their public URL (/media/<key>/<name>).

Existing posters get a random key each; their old /media/<id> URLs stop working, which
is the point: ids are sequential and named drafts too.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("media_key", sa.String(length=64), nullable=True))
    assets = sa.table("assets", sa.column("id", sa.Integer), sa.column("media_key", sa.String))
    bind = op.get_bind()
    for (asset_id,) in bind.execute(sa.select(assets.c.id)).all():
        bind.execute(
            assets.update()
            .where(assets.c.id == asset_id)
            .values(media_key=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("assets") as batch:
        batch.alter_column("media_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_assets_media_key"), ["media_key"])


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_constraint(op.f("uq_assets_media_key"), type_="unique")
        batch.drop_column("media_key")
