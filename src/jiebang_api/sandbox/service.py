"""Read and move the sandbox clock. Absent (NotFound) in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.clock import Clock
from jiebang_api.kit.errors import InputInvalid, Message, NotFound
from jiebang_api.sandbox import repository

MAX_OFFSET = timedelta(days=3650)


@dataclass(frozen=True)
class ClockReading:
    now: datetime
    real_now: datetime
    offset: timedelta


def _require_enabled(enabled: bool) -> None:
    if not enabled:
        raise NotFound()


async def current_offset(session: AsyncSession) -> timedelta:
    """The offset every process applies to real time."""
    return timedelta(microseconds=await repository.offset_microseconds(session))


async def read(session: AsyncSession, *, base: Clock, enabled: bool) -> ClockReading:
    """The sandbox time, the real time and the offset between them."""
    _require_enabled(enabled)
    real_now = base.now()
    offset = await current_offset(session)
    return ClockReading(now=real_now + offset, real_now=real_now, offset=offset)


async def move(
    session: AsyncSession,
    *,
    base: Clock,
    enabled: bool,
    principal: Principal,
    advance: timedelta | None = None,
    set_to: datetime | None = None,
) -> ClockReading:
    """Advance the clock, set it to an instant, or (neither given) reset it; audited."""
    _require_enabled(enabled)
    policy.require(principal, Permission.MOVE_SANDBOX_CLOCK)
    before = await current_offset(session)
    real_now = base.now()
    if advance is not None:
        target = before + advance
    elif set_to is not None:
        try:
            target = set_to - real_now
        except OverflowError:
            raise _too_far() from None
    else:
        target = timedelta(0)
    if abs(target) > MAX_OFFSET:
        raise _too_far()
    delta = target - before
    await repository.shift(session, _microseconds(delta))
    offset = await current_offset(session)
    await audit.record(
        session,
        actor=principal.actor,
        action="sandbox_clock.reset"
        if advance is None and set_to is None
        else "sandbox_clock.move",
        resource_type="sandbox_clock",
        resource_id="1",
        now=real_now + offset,
        data={
            "offset_before_seconds": before.total_seconds(),
            "offset_after_seconds": offset.total_seconds(),
        },
    )
    return ClockReading(now=real_now + offset, real_now=real_now, offset=offset)


def _too_far() -> InputInvalid:
    return InputInvalid(
        Message(
            "沙箱时钟与真实时间的偏差不能超过 3650 天。",
            "The sandbox clock may not drift more than 3650 days from real time.",
        )
    )


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
