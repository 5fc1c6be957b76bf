"""acceptance deadline: on the project, when the sweep recorded that it ran to its end
without asking for acceptance (第十四条); the projects in progress are pointed at the sweep,
which reschedules each at its next deadline (a milestone or its end)

Revision ID: 20261207_0019
Revises: 20261207_0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0019"
down_revision: str | None = "20261207_0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("acceptance_overdue_at", TIMESTAMP, nullable=True))
    project = sa.table(
        "project",
        sa.column("status", sa.String()),
        sa.column("next_check_at", TIMESTAMP),
    )
    # The sweep visits each at once and sets its real next deadline.
    op.execute(
        sa.update(project)
        .where(project.c.status == "in_progress", project.c.next_check_at.is_(None))
        .values(next_check_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("acceptance_overdue_at")
