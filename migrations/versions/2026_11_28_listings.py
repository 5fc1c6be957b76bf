"""listings: the listing aggregate, assessment opinions, per-year code counters

Revision ID: 20261128_0003
Revises: 20261128_0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261128_0003"
down_revision: str | None = "20261128_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "code_counter",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("scope", "year", name=op.f("pk_code_counter")),
    )
    op.create_table(
        "listing",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("proposer_org_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("background", sa.Text(), nullable=True),
        sa.Column("key_technologies", sa.JSON(), nullable=False),
        sa.Column("transfer_content", sa.Text(), nullable=True),
        sa.Column("transfer_form", sa.String(length=200), nullable=True),
        sa.Column("time_requirement_months", sa.Integer(), nullable=True),
        sa.Column("total_rd_investment", ExactDecimal(18, 2), nullable=True),
        sa.Column("demand_requirements", sa.Text(), nullable=True),
        sa.Column("supply_requirements", sa.Text(), nullable=True),
        sa.Column("ip_ownership", sa.Text(), nullable=True),
        sa.Column("benefit_sharing", sa.Text(), nullable=True),
        sa.Column("ip_records", sa.JSON(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("application_opens_at", TIMESTAMP, nullable=True),
        sa.Column("application_closes_at", TIMESTAMP, nullable=True),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("eligibility_warnings", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('tech_breakthrough', 'achievement_transfer', 'emergency')",
            name=op.f("ck_listing_kind"),
        ),
        sa.CheckConstraint(
            "proposer_org_id IS NOT NULL OR kind = 'emergency'",
            name=op.f("ck_listing_proposer_unless_emergency"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'under_assessment', 'returned', 'approved', 'confirmed', 'published', 'closed', 'awarded', 'failed', 'rejected', 'withdrawn', 'cancelled')",
            name=op.f("ck_listing_status"),
        ),
        sa.CheckConstraint(
            "application_closes_at IS NULL OR application_closes_at > application_opens_at",
            name=op.f("ck_listing_window_order"),
        ),
        sa.CheckConstraint(
            "total_rd_investment IS NULL OR total_rd_investment >= 0",
            name=op.f("ck_listing_rd_nonneg"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_org_id"],
            ["organization.id"],
            name=op.f("fk_listing_proposer_org_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing")),
        sa.UniqueConstraint("code", name=op.f("uq_listing_code")),
    )
    op.create_index("ix_listing_industry", "listing", ["industry"])
    op.create_index("ix_listing_kind", "listing", ["kind"])
    op.create_index("ix_listing_proposer", "listing", ["proposer_org_id"])
    op.create_index("ix_listing_status_created", "listing", ["status", "created_at", "id"])

    op.create_table(
        "listing_assessment",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("assessor", sa.String(length=100), nullable=False),
        sa.Column("conclusion", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "conclusion IN ('support', 'oppose', 'revise')",
            name=op.f("ck_listing_assessment_conclusion"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_listing_assessment_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_assessment")),
    )
    op.create_index("ix_listing_assessment_listing_id", "listing_assessment", ["listing_id"])


def downgrade() -> None:
    op.drop_index("ix_listing_assessment_listing_id", table_name="listing_assessment")

    op.drop_table("listing_assessment")
    op.drop_index("ix_listing_status_created", table_name="listing")
    op.drop_index("ix_listing_proposer", table_name="listing")
    op.drop_index("ix_listing_kind", table_name="listing")
    op.drop_index("ix_listing_industry", table_name="listing")

    op.drop_table("listing")
    op.drop_table("code_counter")
