"""domain events: audit before/after, one deadline column, cancelled applications

Revision ID: 20261129_0006
Revises: 20261128_0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_0006"
down_revision: str | None = "20261128_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "recommended",
    "not_recommended",
    "selected",
    "unsuccessful",
    "withdrawn",
)


def _status_check(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(repr(s) for s in statuses) + ")"


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
    with op.batch_alter_table("listing") as batch:
        batch.add_column(sa.Column("next_check_at", TIMESTAMP, nullable=True))
        batch.create_index("ix_listing_next_check_at", ["next_check_at"])
    # Published listings get their first deadline: the end of the application window.
    op.execute(
        "UPDATE listing SET next_check_at = application_closes_at WHERE status = 'published'"
    )
    with op.batch_alter_table("application") as batch:
        batch.drop_constraint(op.f("ck_application_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_application_status"), _status_check((*STATUSES, "cancelled"))
        )
    # Applications of listings cancelled before this revision follow their listing now.
    op.execute(
        "UPDATE application SET status = 'cancelled' WHERE status IN ('draft', 'submitted') "
        "AND listing_id IN (SELECT id FROM listing WHERE status = 'cancelled')"
    )


def downgrade() -> None:
    op.execute("UPDATE application SET status = 'withdrawn' WHERE status = 'cancelled'")
    with op.batch_alter_table("application") as batch:
        batch.drop_constraint(op.f("ck_application_status"), type_="check")
        batch.create_check_constraint(op.f("ck_application_status"), _status_check(STATUSES))
    with op.batch_alter_table("listing") as batch:
        batch.drop_index("ix_listing_next_check_at")
        batch.drop_column("next_check_at")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("changes")
