"""The singleton offset row. Updates are relative, so concurrent moves never lose one."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import SandboxClock


async def offset_microseconds(session: AsyncSession) -> int:
    value = await session.scalar(
        select(SandboxClock.offset_microseconds).where(SandboxClock.id == 1)
    )
    return int(value or 0)


async def shift(session: AsyncSession, delta_microseconds: int) -> None:
    """Add `delta_microseconds` to the offset in one atomic UPDATE."""
    await session.execute(
        update(SandboxClock)
        .where(SandboxClock.id == 1)
        .values(offset_microseconds=SandboxClock.offset_microseconds + delta_microseconds)
    )
