"""plan system sync: one row per project on its way to the plan management system, the
plan system's id on the project, and the sync's position in the change feed (a second row
of webhook_fanout, the worker's feed positions)

Revision ID: 20261207_0023
Revises: 20261207_0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0023"
down_revision: str | None = "20261207_0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
PLAN_SYNC_POSITION = 2


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("plan_system_id", sa.String(64), nullable=True))
    op.create_table(
        "plan_sync",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("claimed_changes", sa.Integer(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("lease_expires_at", TIMESTAMP, nullable=True),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(128), nullable=True),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("synced_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'in_flight', 'synced', 'failed')",
            name=op.f("ck_plan_sync_status"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_plan_sync_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_plan_sync")),
    )
    op.create_index("ix_plan_sync_due", "plan_sync", ["status", "next_attempt_at"])
    fanout = sa.table(
        "webhook_fanout",
        sa.column("id", sa.Integer()),
        sa.column("txid", sa.BigInteger()),
        sa.column("sequence", sa.BigInteger()),
    )
    op.bulk_insert(fanout, [{"id": PLAN_SYNC_POSITION, "txid": 0, "sequence": 0}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM webhook_fanout WHERE id = 2"))
    op.drop_index("ix_plan_sync_due", table_name="plan_sync")
    op.drop_table("plan_sync")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("plan_system_id")
