"""Migration 0020: outbox rows written before it get position 0 on PostgreSQL (they were
committed before it ran), and every row written after it records its writer's transaction id
(NULL on SQLite, which orders by sequence)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from test_stairway import MIGRATIONS

from jiebang_api.kit.db import make_engine
from jiebang_api.kit.migrations import upgrade

BEFORE = "20261207_0019"


def _insert(connection: Any) -> None:
    event = sa.table(
        "event",
        sa.column("id", sa.Uuid()),
        sa.column("type", sa.String()),
        sa.column("resource_type", sa.String()),
        sa.column("resource_id", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
    )
    connection.execute(
        event.insert().values(
            id=uuid.uuid4(),
            type="listing.closed",
            resource_type="listing",
            resource_id=str(uuid.uuid4()),
            payload={},
            occurred_at=datetime.now(UTC),
        )
    )


async def test_old_events_get_position_zero_and_new_ones_their_writer(
    empty_database: str,
) -> None:
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, BEFORE)
    engine = make_engine(empty_database, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_insert)
        await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "head")
        async with engine.begin() as connection:
            await connection.run_sync(_insert)
            rows = (
                await connection.execute(sa.text("SELECT txid FROM event ORDER BY sequence"))
            ).all()
            postgresql = connection.dialect.name == "postgresql"
            writer = (
                (
                    await connection.execute(sa.text("SELECT pg_current_xact_id()::text::bigint"))
                ).scalar_one()
                if postgresql
                else None
            )
    finally:
        await engine.dispose()
    old, new = (row.txid for row in rows)
    if postgresql:
        assert old == 0
        assert new == writer
    else:
        assert old is None
        assert new is None
