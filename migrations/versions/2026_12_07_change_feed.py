"""change feed: each outbox row records, on PostgreSQL, the id of the transaction that wrote
it (`pg_current_xact_id()`, as a BIGINT, set by a server default; NULL on SQLite), indexed
with the sequence for the feed's commit-safe order (`integration/feed.py`). Rows written
before have position 0: they were all committed before this migration ran.

Revision ID: 20261207_0020
Revises: 20261207_0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0020"
down_revision: str | None = "20261207_0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# xid8 has no cast to bigint; its text form is the 64-bit, epoch-extended id (never wraps).
WRITER_TXID = "(pg_current_xact_id()::text::bigint)"


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE event SET txid = 0 WHERE txid IS NULL")
        op.execute(f"ALTER TABLE event ALTER COLUMN txid SET DEFAULT {WRITER_TXID}")
    op.create_index("ix_event_txid_sequence", "event", ["txid", "sequence"])


def downgrade() -> None:
    op.drop_index("ix_event_txid_sequence", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("txid")
