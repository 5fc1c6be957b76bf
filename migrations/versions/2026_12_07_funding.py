"""funding: the department's funding decision on a project, the demand side's payments to
the supply side, the disbursed tranches, and on the project its subsidy, what is paid of it
(never more: a CHECK) and when it passed acceptance

Revision ID: 20261207_0015
Revises: 20261207_0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0015"
down_revision: str | None = "20261207_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = ExactDecimal(18, 2)


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
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("subsidy", MONEY, nullable=True))
        batch.add_column(sa.Column("disbursed", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("accepted_at", TIMESTAMP, nullable=True))
        batch.create_check_constraint(
            op.f("ck_project_never_exceed"),
            "disbursed >= 0 AND (disbursed = 0 OR (subsidy IS NOT NULL AND disbursed <= subsidy))",
        )
    op.create_table(
        "funding_decision",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("subsidy", MONEY, nullable=False),
        sa.Column("first_tranche", MONEY, nullable=True),
        sa.Column("case_by_case_reason", sa.Text(), nullable=True),
        sa.Column("case_by_case_document_ref", sa.String(200), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint("subsidy > 0", name=op.f("ck_funding_decision_subsidy_positive")),
        sa.CheckConstraint(
            "first_tranche IS NULL OR (first_tranche >= 0 AND first_tranche <= subsidy)",
            name=op.f("ck_funding_decision_first_tranche"),
        ),
        *_references("funding_decision", ("project_id", "project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_decision")),
        sa.UniqueConstraint("project_id", name=op.f("uq_funding_decision_project_id")),
    )
    op.create_table(
        "payment",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("instalment_seq", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("payee_org_id", sa.Uuid(), nullable=False),
        sa.Column("proof_attachment_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
        sa.Column("verified_at", TIMESTAMP, nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        *_entity(),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.CheckConstraint("instalment_seq > 0", name=op.f("ck_payment_seq_positive")),
        sa.CheckConstraint(
            "status IN ('submitted', 'accepted', 'rejected')", name=op.f("ck_payment_status")
        ),
        *_references(
            "payment",
            ("project_id", "project"),
            ("payee_org_id", "organization"),
            ("proof_attachment_id", "attachment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    op.create_index("ix_payment_project", "payment", ["project_id", "created_at"])
    op.create_table(
        "disbursement",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("tranche", sa.String(8), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("recipient_org_id", sa.Uuid(), nullable=False),
        sa.Column("disbursed_by", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint("tranche IN ('first', 'final')", name=op.f("ck_disbursement_tranche")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disbursement_amount_positive")),
        *_references(
            "disbursement", ("project_id", "project"), ("recipient_org_id", "organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
        sa.UniqueConstraint(
            "project_id", "tranche", name=op.f("uq_disbursement_project_id_tranche")
        ),
    )


def downgrade() -> None:
    op.drop_table("disbursement")
    op.drop_index("ix_payment_project", table_name="payment")
    op.drop_table("payment")
    op.drop_table("funding_decision")
    with op.batch_alter_table("project") as batch:
        batch.drop_constraint(op.f("ck_project_never_exceed"), type_="check")
        batch.drop_column("accepted_at")
        batch.drop_column("disbursed")
        batch.drop_column("subsidy")
