"""The one worker pass over every aggregate's deadlines (see `kit.deadlines`).

Due rows are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of workers
sweep side by side; SQLite ignores the lock clause (its writers are serialised anyway).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class DeadlineSource:
    """An aggregate whose rows carry `next_check_at`, and the use case that applies what is
    due to one locked row (it must reschedule or clear `next_check_at`)."""

    name: str
    model: Any
    run: Callable[[AsyncSession, Any, datetime], Awaitable[None]]


_sources: dict[str, DeadlineSource] = {}


def register(source: DeadlineSource) -> None:
    _sources[source.name] = source


def sources() -> list[DeadlineSource]:
    return list(_sources.values())


async def sweep(session: AsyncSession, *, now: datetime, limit: int = 100) -> dict[str, int]:
    """Claim up to `limit` due rows per source and run each one's due steps; returns how
    many rows each source handled. The caller commits."""
    handled: dict[str, int] = {}
    for source in sources():
        column = source.model.next_check_at
        statement = (
            select(source.model)
            .where(column <= now)
            .order_by(column, source.model.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await session.scalars(statement)).all())
        for row in rows:
            await source.run(session, row, now)
        handled[source.name] = len(rows)
    return handled
