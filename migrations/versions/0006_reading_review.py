"""Reading review: "keep as written" recorded per content version for the reading checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import content_library.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_kept",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reading_hash", sa.String(length=64), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("kept_by", sa.Integer(), nullable=True),
        sa.Column("kept_at", content_library.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_by"], ["users.id"], name=op.f("fk_reading_kept_kept_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["content_versions.id"],
            name=op.f("fk_reading_kept_version_id_content_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_kept")),
        sa.UniqueConstraint("version_id", name=op.f("uq_reading_kept_version_id")),
    )


def downgrade() -> None:
    op.drop_table("reading_kept")
