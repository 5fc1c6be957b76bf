"""signing: objections during the public notice, the signatures on the agreement and the
task book, the project the last signature creates and its public announcement

Revision ID: 20261207_0013
Revises: 20261207_0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0013"
down_revision: str | None = "20261207_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = ExactDecimal(18, 2)
PROJECT_STATUSES = (
    "in_progress",
    "acceptance_requested",
    "accepted",
    "acceptance_failed",
    "completed",
    "closed",
    "suspended",
    "terminating",
    "terminated",
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
    with op.batch_alter_table("agreement") as batch:
        batch.add_column(
            sa.Column("open_objections", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("signed_at", TIMESTAMP, nullable=True))
        batch.create_check_constraint(op.f("ck_agreement_open_objections"), "open_objections >= 0")
    op.create_table(
        "objection",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("filer_name", sa.String(100), nullable=False),
        sa.Column("filer_kind", sa.String(16), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("filed_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "filer_kind IN ('individual', 'organization')", name=op.f("ck_objection_filer_kind")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'dismissed')", name=op.f("ck_objection_status")
        ),
        *_references("objection", ("agreement_id", "agreement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_index("ix_objection_agreement", "objection", ["agreement_id", "created_at"])
    op.create_index("ix_objection_status", "objection", ["status", "created_at"])
    op.create_table(
        "agreement_signature",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.String(16), nullable=False),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("signed_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "document IN ('agreement', 'task_book')", name=op.f("ck_agreement_signature_document")
        ),
        sa.CheckConstraint(
            "party IN ('demand', 'supply', 'department')",
            name=op.f("ck_agreement_signature_party"),
        ),
        *_references(
            "agreement_signature", ("agreement_id", "agreement"), ("attachment_id", "attachment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signature")),
        sa.UniqueConstraint(
            "agreement_id",
            "document",
            "party",
            name=op.f("uq_agreement_signature_agreement_id_document_party"),
        ),
    )
    op.create_table(
        "project",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("demand_org_id", sa.Uuid(), nullable=True),
        sa.Column("supply_org_id", sa.Uuid(), nullable=False),
        sa.Column("lead_org_id", sa.Uuid(), nullable=False),
        sa.Column("policy_version_id", sa.Uuid(), nullable=True),
        sa.Column("agreement_amount", MONEY, nullable=False),
        sa.Column("total_rd_investment", MONEY, nullable=False),
        sa.Column("requested_subsidy", MONEY, nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("signed_at", TIMESTAMP, nullable=False),
        *_entity(),
        sa.CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in PROJECT_STATUSES) + ")",
            name=op.f("ck_project_status"),
        ),
        sa.CheckConstraint("end_on >= start_on", name=op.f("ck_project_dates")),
        *_references(
            "project",
            ("agreement_id", "agreement"),
            ("application_id", "application"),
            ("listing_id", "listing"),
            ("demand_org_id", "organization"),
            ("supply_org_id", "organization"),
            ("lead_org_id", "organization"),
            ("policy_version_id", "policy_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_project_agreement_id")),
        sa.UniqueConstraint("listing_id", name=op.f("uq_project_listing_id")),
    )
    op.create_table(
        "announcement",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=False),
        *_entity(),
        *_references("announcement", ("project_id", "project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
        sa.UniqueConstraint("project_id", name=op.f("uq_announcement_project_id")),
    )


def downgrade() -> None:
    op.drop_table("announcement")
    op.drop_table("project")
    op.drop_table("agreement_signature")
    op.drop_index("ix_objection_status", table_name="objection")
    op.drop_index("ix_objection_agreement", table_name="objection")
    op.drop_table("objection")
    with op.batch_alter_table("agreement") as batch:
        batch.drop_constraint(op.f("ck_agreement_open_objections"), type_="check")
        batch.drop_column("signed_at")
        batch.drop_column("open_objections")
