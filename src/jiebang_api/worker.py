"""Background work run by `jiebang-api worker`: the one deadline sweep (`kit.sweep`), in its
own transaction, safe to run in several processes at once (rows are claimed with SKIP LOCKED
on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api import wiring
from jiebang_api.kit import sweep
from jiebang_api.kit.clock import Clock
from jiebang_api.sandbox import service as sandbox

log = structlog.get_logger("jiebang_api.worker")


async def sweep_once(
    sessions: async_sessionmaker[AsyncSession], *, clock: Clock, sandbox_enabled: bool
) -> dict[str, int]:
    """One pass over every due deadline; returns how many rows of each aggregate it handled."""
    wiring.wire()
    async with sessions() as session:
        offset = await sandbox.current_offset(session) if sandbox_enabled else timedelta(0)
        handled = await sweep.sweep(session, now=clock.now() + offset)
        await session.commit()
    if any(handled.values()):
        log.info("deadlines_handled", **handled)
    return handled


async def run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Clock,
    sandbox_enabled: bool,
    interval_seconds: float,
) -> None:
    """Sweep forever, `interval_seconds` apart; a failed pass is logged and retried."""
    while True:
        try:
            await sweep_once(sessions, clock=clock, sandbox_enabled=sandbox_enabled)
        except Exception:
            log.exception("sweep_failed")
        await asyncio.sleep(interval_seconds)
