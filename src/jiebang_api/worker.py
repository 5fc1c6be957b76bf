"""Background work run by `jiebang-api worker`: the one deadline sweep (`kit.sweep`), in its
own transaction, safe to run in several processes at once (rows are claimed with SKIP LOCKED
on PostgreSQL); webhook delivery and the plan system sync each tick; and, less often, the
removal of stored files that no attachment names and of `Idempotency-Key` records past their
time."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api import wiring
from jiebang_api.api import idempotency
from jiebang_api.attachments import service as attachments_service
from jiebang_api.attachments.storage import Storage
from jiebang_api.integration import delivery, plan_system, retry
from jiebang_api.kit import sweep
from jiebang_api.kit.clock import Clock
from jiebang_api.sandbox import service as sandbox

log = structlog.get_logger("jiebang_api.worker")
Step = Callable[[], Awaitable[object]]


async def _offset(session: AsyncSession, sandbox_enabled: bool) -> timedelta:
    """How far the sandbox clock is from the real time (none where there is no sandbox)."""
    return await sandbox.current_offset(session) if sandbox_enabled else timedelta(0)


async def sweep_once(
    sessions: async_sessionmaker[AsyncSession], *, clock: Clock, sandbox_enabled: bool
) -> dict[str, int]:
    """One pass over every due deadline; returns how many rows of each aggregate it handled."""
    wiring.wire()
    async with sessions() as session:
        offset = await _offset(session, sandbox_enabled)
        handled = await sweep.sweep(session, now=clock.now() + offset)
        await session.commit()
    if any(handled.values()):
        log.info("deadlines_handled", **handled)
    return handled


@dataclass(frozen=True)
class Housekeeping:
    """Stored files that no attachment names are removed once older than `grace`."""

    storage: Storage
    grace: timedelta
    every_seconds: float = 600.0


async def remove_orphan_files(
    sessions: async_sessionmaker[AsyncSession], *, clock: Clock, housekeeping: Housekeeping
) -> int:
    """One pass over the stored files (by the real clock: file times are real)."""
    async with sessions() as session:
        removed = await attachments_service.remove_orphans(
            session, storage=housekeeping.storage, written_before=clock.now() - housekeeping.grace
        )
    if removed:
        log.info("orphan_files_removed", count=removed)
    return removed


async def forget_expired_keys(sessions: async_sessionmaker[AsyncSession], *, clock: Clock) -> int:
    """Drop the `Idempotency-Key` records past their time (by the real clock)."""
    forgotten = await idempotency.purge_expired(sessions, clock.now())
    if forgotten:
        log.info("idempotency_keys_forgotten", count=forgotten)
    return forgotten


@dataclass(frozen=True)
class Webhooks:
    """Webhook delivery's knobs (settings `JIEBANG_WEBHOOK_*`) and its sender."""

    sender: delivery.Sender
    fanout_batch: int = 500
    delivery_batch: int = 20
    lease: timedelta = timedelta(seconds=60)
    random: retry.RandomSource = field(default=random.SystemRandom().random)


async def deliver_webhooks(
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Clock,
    sandbox_enabled: bool,
    webhooks: Webhooks,
) -> dict[str, int]:
    """Fan new events out to the subscriptions (one transaction), then one delivery pass
    (scheduled by the service clock, signed at the real time)."""
    async with sessions() as session:
        offset = await _offset(session, sandbox_enabled)
        real_now = clock.now()
        made = await delivery.fan_out(session, now=real_now + offset, limit=webhooks.fanout_batch)
        await session.commit()
    recorded = await delivery.deliver_once(
        sessions,
        sender=webhooks.sender,
        now=real_now + offset,
        sent_at=real_now,
        limit=webhooks.delivery_batch,
        lease=webhooks.lease,
        random=webhooks.random,
    )
    done = {"deliveries_made": made, "attempts": len(recorded)}
    if made or recorded:
        log.info("webhooks_delivered", **done)
    return done


@dataclass(frozen=True)
class PlanSync:
    """The plan system sync's knobs (settings `JIEBANG_PLAN_*`) and its client."""

    client: plan_system.Client
    fanout_batch: int = 500
    batch: int = 20
    lease: timedelta = timedelta(seconds=60)
    random: retry.RandomSource = field(default=random.SystemRandom().random)


async def sync_plan_system(
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Clock,
    sandbox_enabled: bool,
    plan: PlanSync,
) -> dict[str, int]:
    """Mark the projects changed since the last pass as due (one transaction), then one push
    pass (scheduled by the service clock). Nothing at all while the sync is off."""
    if not plan.client.enabled:
        return {}
    async with sessions() as session:
        offset = await _offset(session, sandbox_enabled)
        now = clock.now() + offset
        seen = await plan_system.fan_out(session, now=now, limit=plan.fanout_batch)
        await session.commit()
    recorded = await plan_system.push_once(
        sessions,
        client=plan.client,
        now=now,
        limit=plan.batch,
        lease=plan.lease,
        random=plan.random,
    )
    done = {"plan_changes_seen": seen, "plan_pushes": len(recorded)}
    if seen or recorded:
        log.info("plan_system_synced", **done, **plan_system.statuses(recorded))
    return done


async def run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    clock: Clock,
    sandbox_enabled: bool,
    interval_seconds: float,
    housekeeping: Housekeeping | None = None,
    webhooks: Webhooks | None = None,
    plan: PlanSync | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Tick until `stop` is set, `interval_seconds` apart: the sweep, webhook delivery, the
    plan system sync, and housekeeping every so often; a failed step is logged and retried
    next tick. A step under way when `stop` is set is finished (its claimed rows sent and
    recorded); no further step begins."""
    stop = stop or asyncio.Event()
    each_tick: list[tuple[str, Step]] = [
        (
            "sweep_failed",
            partial(sweep_once, sessions, clock=clock, sandbox_enabled=sandbox_enabled),
        )
    ]
    if webhooks is not None:
        deliver = partial(
            deliver_webhooks,
            sessions,
            clock=clock,
            sandbox_enabled=sandbox_enabled,
            webhooks=webhooks,
        )
        each_tick.append(("webhook_delivery_failed", deliver))
    if plan is not None:
        push = partial(
            sync_plan_system, sessions, clock=clock, sandbox_enabled=sandbox_enabled, plan=plan
        )
        each_tick.append(("plan_system_sync_failed", push))
    kept_house_at = float("-inf")
    while not stop.is_set():
        steps = list(each_tick)
        if housekeeping and time.monotonic() - kept_house_at >= housekeeping.every_seconds:
            kept_house_at = time.monotonic()
            steps.append(
                ("housekeeping_failed", partial(_keep_house, sessions, clock, housekeeping))
            )
        for failure, run_step in steps:
            if stop.is_set():
                break
            try:
                await run_step()
            except Exception:
                log.exception(failure)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)


async def _keep_house(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, housekeeping: Housekeeping
) -> None:
    await remove_orphan_files(sessions, clock=clock, housekeeping=housekeeping)
    await forget_expired_keys(sessions, clock=clock)
