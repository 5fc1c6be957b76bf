"""Request dependencies: the unit of work, settings, clock and caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.actor import Actor
from jiebang_api.kit.clock import Clock, OffsetClock
from jiebang_api.sandbox import service as sandbox
from jiebang_api.settings import Settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit runs before the response leaves, so a failed commit
# can never have answered 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_base_clock(request: Request) -> Clock:
    """The process clock (real time unless a test injected another)."""
    clock: Clock = request.app.state.clock
    return clock


BaseClockDep = Annotated[Clock, Depends(get_base_clock)]


async def get_clock(session: SessionDep, settings: SettingsDep, base: BaseClockDep) -> Clock:
    """The clock rules use: real time in prod, the shared sandbox clock in dev and test."""
    if not settings.sandbox_enabled:
        return base
    return OffsetClock(base, await sandbox.current_offset(session))


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_now(clock: ClockDep) -> datetime:
    return clock.now()


NowDep = Annotated[datetime, Depends(get_now)]


def get_actor(request: Request) -> Actor:
    """The caller. Accounts and tokens arrive with identity; until then everyone is anonymous."""
    return Actor.anonymous()


ActorDep = Annotated[Actor, Depends(get_actor)]
