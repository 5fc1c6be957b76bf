"""identity and organisations: accounts, service clients, organisations, members, credit

Revision ID: 20261128_0002
Revises: 20261128_0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0002"
down_revision: str | None = "20261128_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("in_region", sa.Boolean(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("independent_legal_person", sa.Boolean(), nullable=False),
        sa.Column("central_enterprise_branch", sa.Boolean(), nullable=False),
        sa.Column("pays_tax_in_region", sa.Boolean(), nullable=False),
        sa.Column("high_tech", sa.Boolean(), nullable=False),
        sa.Column("partner_4_8_n", sa.Boolean(), nullable=False),
        sa.Column("strategic_agreement", sa.Boolean(), nullable=False),
        sa.Column("parent_org_id", sa.Uuid(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verified_flags", sa.JSON(), nullable=False),
        sa.Column("verified_at", TIMESTAMP, nullable=True),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "type IN ('enterprise', 'university', 'research_institute', 'consortium', 'agency', 'other')",
            name=op.f("ck_organization_type"),
        ),
        sa.CheckConstraint(
            "parent_org_id IS NULL OR parent_org_id <> id",
            name=op.f("ck_organization_not_own_parent"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_org_id"],
            ["organization.id"],
            name=op.f("fk_organization_parent_org_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("uscc", name=op.f("uq_organization_uscc")),
    )
    op.create_index("ix_organization_created_at_id", "organization", ["created_at", "id"])
    op.create_index("ix_organization_parent_org_id", "organization", ["parent_org_id"])
    op.create_index("ix_organization_type", "organization", ["type"])

    op.create_table(
        "service_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_service_client_client_id")),
    )
    op.create_table(
        "credit_record",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('serious_dishonesty')", name=op.f("ck_credit_record_kind")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_credit_record_period")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_credit_record_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_record")),
    )
    op.create_index("ix_credit_record_organization_id", "credit_record", ["organization_id"])

    op.create_table(
        "user_account",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("affiliation_org_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliation_org_id"],
            ["organization.id"],
            name=op.f("fk_user_account_affiliation_org_id_organization"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_index(
        "uq_user_account_username_lower",
        "user_account",
        [sa.text("lower(username)")],
        unique=True,
    )
    op.create_table(
        "membership",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("role IN ('manager', 'member')", name=op.f("ck_membership_role")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_membership_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_membership_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    op.create_index("ix_membership_organization_id", "membership", ["organization_id"])
    op.create_index(
        "uq_membership_user_org", "membership", ["user_id", "organization_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_membership_user_org", table_name="membership")
    op.drop_index("ix_membership_organization_id", table_name="membership")

    op.drop_table("membership")
    op.drop_index("uq_user_account_username_lower", table_name="user_account")
    op.drop_table("user_account")
    op.drop_index("ix_credit_record_organization_id", table_name="credit_record")

    op.drop_table("credit_record")
    op.drop_table("service_client")
    op.drop_index("ix_organization_type", table_name="organization")
    op.drop_index("ix_organization_parent_org_id", table_name="organization")
    op.drop_index("ix_organization_created_at_id", table_name="organization")

    op.drop_table("organization")
