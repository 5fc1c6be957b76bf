"""Queries on the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import Event


async def after(session: AsyncSession, sequence: int, limit: int) -> list[Event]:
    """Events with a sequence greater than `sequence`, oldest first."""
    statement = select(Event).where(Event.sequence > sequence).order_by(Event.sequence).limit(limit)
    return list((await session.execute(statement)).scalars())
