"""recommendations: the rank the confirmed recommendation gives each recommended application

Revision ID: 20261207_0011
Revises: 20261206_0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0011"
down_revision: str | None = "20261206_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("recommendation_rank", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_application_recommendation_rank"),
            "recommendation_rank IS NULL OR recommendation_rank > 0",
        )
        batch.create_index(
            "uq_application_listing_rank", ["listing_id", "recommendation_rank"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_index("uq_application_listing_rank")
        batch.drop_constraint(op.f("ck_application_recommendation_rank"), type_="check")
        batch.drop_column("recommendation_rank")
