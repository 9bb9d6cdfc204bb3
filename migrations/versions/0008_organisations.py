"""Organisations own users, tokens, channels, content and campaigns; guidance to units.

Every existing row moves to the province's department (created here from
config/organisations.yaml); every operator's commune gets its organisation and the
operator (with their tokens) moves to it, since an operator's organisation is their commune.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 13:30:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

import content_library.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OWNED = ("users", "api_tokens", "channels", "content_items", "campaigns")
CONFIG = Path(__file__).resolve().parents[2] / "config" / "organisations.yaml"

_orgs = sa.table(
    "organisations",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("commune_code", sa.String),
    sa.column("parent_id", sa.Integer),
    sa.column("created_at", content_library.db.UTCDateTime(timezone=True)),
)


def _when() -> sa.Column:
    return sa.Column("created_at", content_library.db.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("commune_code", sa.String(length=8), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        _when(),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["communes.code"], name=op.f("fk_organisations_commune_code_communes")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name=op.f("fk_organisations_parent_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("commune_code", name=op.f("uq_organisations_commune_code")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.create_table(
        "guidance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _when(),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_guidance_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_guidance_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_guidance_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance")),
    )
    op.create_table(
        "guidance_contents",
        sa.Column("guidance_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content_items.id"],
            name=op.f("fk_guidance_contents_content_id_content_items"),
        ),
        sa.ForeignKeyConstraint(
            ["guidance_id"],
            ["guidance.id"],
            name=op.f("fk_guidance_contents_guidance_id_guidance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["content_versions.id"],
            name=op.f("fk_guidance_contents_version_id_content_versions"),
        ),
        sa.PrimaryKeyConstraint("guidance_id", "content_id", name=op.f("pk_guidance_contents")),
    )
    op.create_table(
        "guidance_targets",
        sa.Column("guidance_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reminded_at", content_library.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["guidance_id"],
            ["guidance.id"],
            name=op.f("fk_guidance_targets_guidance_id_guidance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_guidance_targets_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("guidance_id", "organisation_id", name=op.f("pk_guidance_targets")),
    )
    with op.batch_alter_table("guidance_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_guidance_targets_organisation_id", ["organisation_id"], unique=False
        )
    op.create_table(
        "guidance_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guidance_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _when(),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_guidance_evidence_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["guidance_id"],
            ["guidance.id"],
            name=op.f("fk_guidance_evidence_guidance_id_guidance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_guidance_evidence_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_evidence")),
    )
    with op.batch_alter_table("guidance_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_guidance_evidence_guidance_id"), ["guidance_id"], unique=False
        )
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_organisation_id"), ["organisation_id"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_organisation_id_organisations"),
                "organisations",
                ["organisation_id"],
                ["id"],
            )
    _move_existing_rows()


def _move_existing_rows() -> None:
    bind = op.get_bind()
    with open(CONFIG, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)["department"]
    now = datetime.now(UTC)
    bind.execute(
        _orgs.insert().values(
            slug=spec["slug"], name=spec["name"], kind="department", created_at=now
        )
    )
    department = bind.execute(sa.select(_orgs.c.id).where(_orgs.c.kind == "department")).scalar()
    for table in OWNED:
        owned = sa.table(table, sa.column("organisation_id", sa.Integer))
        bind.execute(owned.update().values(organisation_id=department))
    communes = bind.execute(
        sa.text(
            "SELECT DISTINCT c.code, c.kind, c.name FROM users u JOIN communes c"
            " ON c.code = u.commune_code ORDER BY c.code"
        )
    ).all()
    for code, kind, name in communes:
        bind.execute(
            _orgs.insert().values(
                slug=f"xa-{code}",
                name=f"UBND {kind} {name}",
                kind="commune",
                commune_code=code,
                parent_id=department,
                created_at=now,
            )
        )
    bind.execute(
        sa.text(
            "UPDATE users SET organisation_id = (SELECT o.id FROM organisations o"
            " WHERE o.commune_code = users.commune_code) WHERE commune_code IS NOT NULL"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE api_tokens SET organisation_id = (SELECT u.organisation_id FROM users u"
            " WHERE u.id = api_tokens.user_id)"
        )
    )


def downgrade() -> None:
    for table in reversed(OWNED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_organisation_id_organisations"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_organisation_id"))
            batch_op.drop_column("organisation_id")
    op.drop_table("guidance_evidence")
    op.drop_table("guidance_targets")
    op.drop_table("guidance_contents")
    op.drop_table("guidance")
    op.drop_table("organisations")
