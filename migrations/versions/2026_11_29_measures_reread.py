"""measures read again: large and influential organisations, achievement-transfer listing
facts (application direction, industrial effect, transfer service), layout judgement

Revision ID: 20261129_0007
Revises: 20261129_0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_0007"
down_revision: str | None = "20261129_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTING_COLUMNS = ("application_direction", "industrial_effect", "transfer_service")


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        # 第五条（一）: self-declared until verified, like the other flags.
        batch.add_column(
            sa.Column("large_influential", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("organization") as batch:
        batch.alter_column("large_influential", server_default=None)
    with op.batch_alter_table("listing") as batch:
        for name in LISTING_COLUMNS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    with op.batch_alter_table("listing_assessment") as batch:
        batch.add_column(sa.Column("layout_fit", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listing_assessment") as batch:
        batch.drop_column("layout_fit")
    with op.batch_alter_table("listing") as batch:
        for name in reversed(LISTING_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("large_influential")
