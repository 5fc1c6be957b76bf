"""catalogue: keyword search text on listings, attachments, policy versions (seeded)

Revision ID: 20261128_0004
Revises: 20261128_0003
Create Date: 2026-11-28
"""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261128_0004"
down_revision: str | None = "20261128_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def _entity_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def upgrade() -> None:
    policy = op.create_table(
        "policy_version",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document_reference", sa.String(200), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("agreement_min_ratio", ExactDecimal(5, 4), nullable=False),
        sa.Column("subsidy_max_ratio", ExactDecimal(5, 4), nullable=False),
        sa.Column("subsidy_cap", ExactDecimal(18, 2), nullable=False),
        sa.Column("tech_breakthrough_max_months", sa.Integer(), nullable=False),
        sa.Column("achievement_transfer_max_months", sa.Integer(), nullable=False),
        sa.Column("publicity_working_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_entity_columns(),
        sa.CheckConstraint(
            "agreement_min_ratio >= 0",
            name=op.f("ck_policy_version_agreement_ratio"),
        ),
        sa.CheckConstraint(
            "publicity_working_days > 0", name=op.f("ck_policy_version_publicity_positive")
        ),
        sa.CheckConstraint("subsidy_cap >= 0", name=op.f("ck_policy_version_cap_nonneg")),
        sa.CheckConstraint(
            "subsidy_max_ratio >= 0",
            name=op.f("ck_policy_version_subsidy_ratio"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_version")),
        sa.UniqueConstraint("effective_on", name=op.f("uq_policy_version_effective_on")),
    )
    # The measures in force: Art. 10 (A ≥ 30% T), Art. 11 (S ≤ 30% T, ≤ 10,000,000 CNY),
    # Art. 16 (3 and 2 years). The publicity length is not fixed by the measures.
    op.execute(
        sa.insert(policy).values(
            id=uuid.UUID("8f0c2a4e-7d51-4c3b-9a2e-15ab7c3d0001"),
            version=1,
            created_at=sa.func.current_timestamp(),
            updated_at=sa.func.current_timestamp(),
            name="内蒙古自治区科技计划“揭榜挂帅”实施办法",
            document_reference=None,
            effective_on=date(2023, 1, 1),
            agreement_min_ratio=Decimal("0.3000"),
            subsidy_max_ratio=Decimal("0.3000"),
            subsidy_cap=Decimal("10000000.00"),
            tech_breakthrough_max_months=36,
            achievement_transfer_max_months=24,
            publicity_working_days=5,
            note="生效日期与文号待科技厅按印发文件核定；公示期为工作日数，办法未作规定。",
        )
    )

    op.create_table(
        "attachment",
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        *_entity_columns(),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["user_account.id"],
            name=op.f("fk_attachment_uploaded_by_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachment_storage_key")),
    )
    op.create_index("ix_attachment_sha256", "attachment", ["sha256"])
    op.create_index("ix_attachment_uploaded_by", "attachment", ["uploaded_by"])

    with op.batch_alter_table("listing") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.create_index("ix_listing_closes_at", "listing", ["application_closes_at"])
    op.create_index("ix_listing_opens_at", "listing", ["application_opens_at"])
    op.create_index("ix_listing_public_order", "listing", ["published_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_listing_search_trgm ON listing USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_listing_search_trgm")
    op.drop_index("ix_listing_public_order", table_name="listing")
    op.drop_index("ix_listing_opens_at", table_name="listing")
    op.drop_index("ix_listing_closes_at", table_name="listing")
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("search_text")
    op.drop_index("ix_attachment_uploaded_by", table_name="attachment")
    op.drop_index("ix_attachment_sha256", table_name="attachment")
    op.drop_table("attachment")
    op.drop_table("policy_version")
