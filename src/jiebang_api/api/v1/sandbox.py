"""The movable clock testers use to walk through windows and notice periods."""

from __future__ import annotations

from datetime import timedelta

from jiebang_api.api.deps import BaseClockDep, PrincipalDep, SessionDep, SettingsDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import SandboxRoute, StrictRouter
from jiebang_api.api.v1.schemas.sandbox import ClockAdvance, ClockMove, ClockOut, ClockSet
from jiebang_api.sandbox import service as sandbox
from jiebang_api.sandbox.service import ClockReading

router = StrictRouter(prefix="/sandbox", tags=["sandbox"], route_class=SandboxRoute)

_AVAILABILITY = " Only in the `dev` and `test` environments; `prod` answers 404."


def _out(reading: ClockReading) -> ClockOut:
    return ClockOut(
        now=reading.now, real_now=reading.real_now, offset_seconds=reading.offset.total_seconds()
    )


@router.get(
    "/clock",
    response_model=ClockOut,
    summary="Read the sandbox clock",
    description="The time every rule and deadline sees, the real time and the offset."
    + _AVAILABILITY,
    responses=problems(404),
)
async def read_clock(session: SessionDep, settings: SettingsDep, base: BaseClockDep) -> ClockOut:
    reading = await sandbox.read(session, base=base, enabled=settings.sandbox_enabled)
    return _out(reading)


@router.post(
    "/clock",
    response_model=ClockOut,
    summary="Move the sandbox clock",
    description="Advance the clock by `advance_seconds`, set it to `set_to`, or `reset` it to "
    "real time, so that application windows and publicity periods can be walked through "
    "without waiting. The offset is stored in the database, so every process of the service "
    "sees it; each move is audited. The offset may not exceed 3650 days. Administrators only."
    + _AVAILABILITY,
    responses=problems(401, 403, 404, 422),
)
async def move_clock(
    body: ClockMove,
    session: SessionDep,
    settings: SettingsDep,
    base: BaseClockDep,
    principal: PrincipalDep,
) -> ClockOut:
    reading = await sandbox.move(
        session,
        base=base,
        enabled=settings.sandbox_enabled,
        principal=principal,
        advance=timedelta(seconds=body.advance_seconds) if isinstance(body, ClockAdvance) else None,
        set_to=body.set_to if isinstance(body, ClockSet) else None,
    )
    return _out(reading)
