"""changes: a project's change requests (extension or termination, R-CHG-FORCE-MAJEURE, one
open per project), its special audit with what is due, recovered and written off, and the
recoveries (R-CHG-TERMINATION-AUDIT, 第十六条)

Revision ID: 20261207_0018
Revises: 20261207_0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0018"
down_revision: str | None = "20261207_0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = ExactDecimal(18, 2)
OPEN_CHANGE = "status IN ('awaiting_consent', 'awaiting_approval')"


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
        "change_request",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason_category", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("new_end_on", sa.Date(), nullable=True),
        sa.Column("end_on_at_filing", sa.Date(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("filed_by_side", sa.String(8), nullable=False),
        sa.Column("filed_by", sa.Uuid(), nullable=True),
        sa.Column("consented_by", sa.Uuid(), nullable=True),
        sa.Column("consented_at", TIMESTAMP, nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "kind IN ('extension', 'termination')", name=op.f("ck_change_request_kind")
        ),
        sa.CheckConstraint(
            "status IN ('awaiting_consent', 'awaiting_approval', 'approved', 'rejected')",
            name=op.f("ck_change_request_status"),
        ),
        sa.CheckConstraint(
            "filed_by_side IN ('demand', 'supply')", name=op.f("ck_change_request_side")
        ),
        sa.CheckConstraint(
            "(kind = 'extension' AND new_end_on IS NOT NULL)"
            " OR (kind = 'termination' AND new_end_on IS NULL)",
            name=op.f("ck_change_request_new_end_on"),
        ),
        *_references("change_request", ("project_id", "project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request")),
    )
    op.create_index("ix_change_request_project", "change_request", ["project_id", "created_at"])
    op.create_index(
        "uq_change_request_open",
        "change_request",
        ["project_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_CHANGE),
        postgresql_where=sa.text(OPEN_CHANGE),
    )
    op.create_table(
        "special_audit",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("disbursed", MONEY, nullable=False),
        sa.Column("audited_eligible_spending", MONEY, nullable=False),
        sa.Column("recovery_due", MONEY, nullable=False),
        sa.Column("recovered", MONEY, nullable=False, server_default="0"),
        sa.Column("auditor", sa.String(200), nullable=False),
        sa.Column("report_attachment_id", sa.Uuid(), nullable=False),
        sa.Column("audited_by", sa.Uuid(), nullable=True),
        sa.Column("written_off", MONEY, nullable=True),
        sa.Column("write_off_reason", sa.Text(), nullable=True),
        sa.Column("write_off_document_ref", sa.String(200), nullable=True),
        sa.Column("written_off_by", sa.Uuid(), nullable=True),
        sa.Column("written_off_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "audited_eligible_spending >= 0", name=op.f("ck_special_audit_spending")
        ),
        sa.CheckConstraint("recovery_due >= 0", name=op.f("ck_special_audit_due")),
        sa.CheckConstraint(
            "recovered >= 0 AND recovered <= recovery_due",
            name=op.f("ck_special_audit_recovered"),
        ),
        sa.CheckConstraint(
            "written_off IS NULL OR (written_off > 0 AND recovered + written_off = recovery_due)",
            name=op.f("ck_special_audit_written_off"),
        ),
        *_references(
            "special_audit",
            ("project_id", "project"),
            ("report_attachment_id", "attachment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_audit")),
        sa.UniqueConstraint("project_id", name=op.f("uq_special_audit_project_id")),
    )
    op.create_table(
        "recovery",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("proof_attachment_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint("amount > 0", name=op.f("ck_recovery_amount_positive")),
        *_references("recovery", ("project_id", "project"), ("proof_attachment_id", "attachment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery")),
    )
    op.create_index("ix_recovery_project", "recovery", ["project_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_recovery_project", table_name="recovery")
    op.drop_table("recovery")
    op.drop_table("special_audit")
    op.drop_index("uq_change_request_open", table_name="change_request")
    op.drop_index("ix_change_request_project", table_name="change_request")
    op.drop_table("change_request")
