"""entrustment: the department entrusts a project to a third-party agency within a scope
(第十四条, R-MGMT-AGENCY); a revoked entrustment stays as history

Revision ID: 20261207_0016
Revises: 20261207_0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0016"
down_revision: str | None = "20261207_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "entrustment",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("agency_org_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_entrustment_project_id_project"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["agency_org_id"],
            ["organization.id"],
            name=op.f("fk_entrustment_agency_org_id_organization"),
            ondelete="RESTRICT",
        ),
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


def downgrade() -> None:
    op.drop_index("uq_entrustment_live", table_name="entrustment")
    op.drop_index("ix_entrustment_agency", table_name="entrustment")
    op.drop_table("entrustment")
