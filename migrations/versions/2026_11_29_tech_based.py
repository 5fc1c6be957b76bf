"""technology-based enterprise (科技型企业) as a flag of its own, beside high-tech

Revision ID: 20261129_0008
Revises: 20261129_0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_0008"
down_revision: str | None = "20261129_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        # 第四条（一）（二）: self-declared until verified, like the other flags; existing
        # organisations have declared nothing yet.
        batch.add_column(
            sa.Column("tech_based", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("organization") as batch:
        batch.alter_column("tech_based", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("tech_based")
