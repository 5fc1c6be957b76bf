"""imports of the plan management system: the external reference of an imported listing or
application, and the digest of the body last imported

Revision ID: 20261207_0024
Revises: 20261207_0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0024"
down_revision: str | None = "20261207_0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("listing", "application")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("external_ref", sa.String(64), nullable=True))
            batch.add_column(sa.Column("import_digest", sa.String(64), nullable=True))
            batch.create_unique_constraint(op.f(f"uq_{table}_external_ref"), ["external_ref"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"uq_{table}_external_ref"), type_="unique")
            batch.drop_column("import_digest")
            batch.drop_column("external_ref")
