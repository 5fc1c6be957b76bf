"""management: the department entrusts a project to a third-party agency within a scope
(第十四条, R-MGMT-AGENCY; a revoked entrustment stays as history), the acceptance of a
project, misconduct cases (第十七条) and where a suspended project returns to

Revision ID: 20261207_0016
Revises: 20261207_0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0016"
down_revision: str | None = "20261207_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _reference(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("suspended_from", sa.String(32), nullable=True))
    op.create_table(
        "entrustment",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("agency_org_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        *_entity(),
        _reference("entrustment", "project_id", "project"),
        _reference("entrustment", "agency_org_id", "organization"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entrustment")),
    )
    op.create_index("ix_entrustment_agency", "entrustment", ["agency_org_id"])
    op.create_index(
        "uq_entrustment_live",
        "entrustment",
        ["project_id", "agency_org_id"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "acceptance",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("score", ExactDecimal(5, 2), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("result_attachment_ids", sa.JSON(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('passed', 'failed')", name=op.f("ck_acceptance_outcome")
        ),
        sa.CheckConstraint(
            "method IS NULL OR method IN ('acceptance', 'performance_evaluation')",
            name=op.f("ck_acceptance_method"),
        ),
        sa.CheckConstraint("score IS NULL OR score >= 0", name=op.f("ck_acceptance_score")),
        _reference("acceptance", "project_id", "project"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance")),
        sa.UniqueConstraint("project_id", name=op.f("uq_acceptance_project_id")),
    )
    op.create_table(
        "misconduct_case",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("allegation", sa.Text(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("credit_record_id", sa.Uuid(), nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "status IN ('open', 'cleared', 'sanctioned')", name=op.f("ck_misconduct_case_status")
        ),
        _reference("misconduct_case", "project_id", "project"),
        _reference("misconduct_case", "credit_record_id", "credit_record"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_misconduct_case")),
    )
    op.create_index("ix_misconduct_case_project", "misconduct_case", ["project_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_misconduct_case_project", table_name="misconduct_case")
    op.drop_table("misconduct_case")
    op.drop_table("acceptance")
    op.drop_index("uq_entrustment_live", table_name="entrustment")
    op.drop_index("ix_entrustment_agency", table_name="entrustment")
    op.drop_table("entrustment")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("suspended_from")
