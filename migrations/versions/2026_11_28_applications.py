"""applications: lead, members, plan, declarations, eligibility report

Revision ID: 20261128_0005
Revises: 20261128_0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261128_0005"
down_revision: str | None = "20261128_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "recommended",
    "not_recommended",
    "selected",
    "unsuccessful",
    "withdrawn",
)


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("lead_org_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("lead_budget_share", ExactDecimal(5, 2), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("declarations", sa.JSON(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("eligibility_report", sa.JSON(), nullable=True),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in STATUSES) + ")",
            name=op.f("ck_application_status"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_org_id"],
            ["organization.id"],
            name=op.f("fk_application_lead_org_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_application_listing_id_listing"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    op.create_index("ix_application_lead_org_id", "application", ["lead_org_id"])
    op.create_index("ix_application_listing_status", "application", ["listing_id", "status"])
    op.create_index(
        "uq_application_live_lead",
        "application",
        ["listing_id", "lead_org_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'withdrawn'"),
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )


def downgrade() -> None:
    op.drop_index("uq_application_live_lead", table_name="application")
    op.drop_index("ix_application_listing_status", table_name="application")
    op.drop_index("ix_application_lead_org_id", table_name="application")
    op.drop_table("application")
