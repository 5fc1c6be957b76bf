"""agreements: negotiation records, agreements with each side's confirmation, the
department's waivers of "in principle" rules on them, and its record of each year's holiday
notice

Revision ID: 20261207_0012
Revises: 20261207_0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0012"
down_revision: str | None = "20261207_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = ExactDecimal(18, 2)
STATUSES = (
    "draft",
    "confirmed",
    "submitted",
    "returned",
    "in_publicity",
    "publicity_passed",
    "signed",
    "annulled",
)


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _references(table: str, *columns: tuple[str, str]) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            [column],
            [f"{target}.id"],
            name=op.f(f"fk_{table}_{column}_{target}"),
            ondelete="RESTRICT",
        )
        for column, target in columns
    ]


def upgrade() -> None:
    op.create_table(
        "negotiation",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        *_entity(),
        *_references("negotiation", ("application_id", "application")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_negotiation")),
    )
    op.create_index("ix_negotiation_application", "negotiation", ["application_id", "created_at"])
    op.create_table(
        "agreement",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("demand_org_id", sa.Uuid(), nullable=True),
        sa.Column("supply_org_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("agreement_amount", MONEY, nullable=False),
        sa.Column("total_rd_investment", MONEY, nullable=False),
        sa.Column("requested_subsidy", MONEY, nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=False),
        sa.Column("payment_schedule", sa.JSON(), nullable=False),
        sa.Column("ip_ownership", sa.Text(), nullable=False),
        sa.Column("benefit_sharing", sa.Text(), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("budget_lines", sa.JSON(), nullable=False),
        sa.Column("policy_version_id", sa.Uuid(), nullable=True),
        sa.Column("demand_confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("demand_confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("supply_confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("supply_confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("publicity_starts_on", sa.Date(), nullable=True),
        sa.Column("publicity_ends_on", sa.Date(), nullable=True),
        sa.Column("objections_close_at", TIMESTAMP, nullable=True),
        sa.Column("publicity_calendar", sa.JSON(), nullable=True),
        sa.Column("next_check_at", TIMESTAMP, nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in STATUSES) + ")",
            name=op.f("ck_agreement_status"),
        ),
        sa.CheckConstraint(
            "agreement_amount >= 0 AND total_rd_investment > 0 AND requested_subsidy >= 0",
            name=op.f("ck_agreement_amounts"),
        ),
        sa.CheckConstraint("duration_months > 0", name=op.f("ck_agreement_duration_positive")),
        *_references(
            "agreement",
            ("application_id", "application"),
            ("listing_id", "listing"),
            ("demand_org_id", "organization"),
            ("supply_org_id", "organization"),
            ("policy_version_id", "policy_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
    )
    op.create_index(
        "uq_agreement_live_application",
        "agreement",
        ["application_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'annulled'"),
        postgresql_where=sa.text("status <> 'annulled'"),
    )
    op.create_index("ix_agreement_listing_id", "agreement", ["listing_id"])
    op.create_index("ix_agreement_next_check_at", "agreement", ["next_check_at"])
    op.create_table(
        "agreement_waiver",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_ref", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        *_entity(),
        *_references("agreement_waiver", ("agreement_id", "agreement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_waiver")),
        sa.UniqueConstraint(
            "agreement_id", "rule", name=op.f("uq_agreement_waiver_agreement_id_rule")
        ),
    )

    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("document_ref", sa.String(200), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_calendar_year_year_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_year")),
        sa.UniqueConstraint("year", name=op.f("uq_calendar_year_year")),
    )


def downgrade() -> None:
    op.drop_table("calendar_year")
    op.drop_table("agreement_waiver")
    op.drop_index("ix_agreement_next_check_at", table_name="agreement")
    op.drop_index("ix_agreement_listing_id", table_name="agreement")
    op.drop_index("uq_agreement_live_application", table_name="agreement")
    op.drop_table("agreement")
    op.drop_index("ix_negotiation_application", table_name="negotiation")
    op.drop_table("negotiation")
