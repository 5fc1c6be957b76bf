"""What the worker's outbound consumers of the outbox share (webhook delivery and the plan
system sync): a feed position that one worker advances at a time, rows claimed under a lease,
the pass that claims, sends with no transaction open and records, and the request pinned to
the address the guard checked.

**Position.** Each consumer keeps its place in the change feed in its own row of
`webhook_fanout`, locked `FOR UPDATE SKIP LOCKED`: of several workers one fans out at a time,
the others skip the step. The events come in the feed's commit-safe order
(`integration/feed.py`), and the position moves in the transaction that acts on them.

**Lease.** A due row is `pending` with its attempt due, or `in_flight` with its lease expired
(a worker died holding it). Claiming takes such rows `FOR UPDATE SKIP LOCKED`, so two workers
never hold the same row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from jiebang_api.integration import addresses, feed_repository
from jiebang_api.integration.subscriptions import Resolver
from jiebang_api.models import Event, WebhookFanout

PENDING, IN_FLIGHT = "pending", "in_flight"
Row = TypeVar("Row")
Claimed = TypeVar("Claimed")
Outcome = TypeVar("Outcome")
Settled = TypeVar("Settled")


# Position ------------------------------------------------------------------------------------


async def hold_position(session: AsyncSession, row: int) -> WebhookFanout | None:
    """The consumer's feed position, locked for this transaction; None while another worker
    holds it."""
    statement = select(WebhookFanout).where(WebhookFanout.id == row)
    return await session.scalar(statement.with_for_update(skip_locked=True))


async def events_past(
    session: AsyncSession, position: WebhookFanout, types: Sequence[str], limit: int
) -> list[Event]:
    """Up to `limit` settled events of `types` (all when empty) past `position`."""
    where = feed_repository.Position(position.txid, position.sequence)
    return await feed_repository.after(session, where, tuple(types), limit)


def advance(position: WebhookFanout, events: Sequence[Event]) -> None:
    """Move the position past the last of `events` (in the caller's transaction)."""
    position.txid = events[-1].txid or 0
    position.sequence = events[-1].sequence


# Lease ---------------------------------------------------------------------------------------


def due(
    model: type[Row], *, tiebreak: InstrumentedAttribute[Any], now: datetime, limit: int
) -> Select[Row]:
    """Up to `limit` rows of `model` (`WebhookDelivery`, `PlanSync`: a status, the next
    attempt's time, a lease) due at `now`, oldest due first, locked for this worker (rows
    another worker holds are skipped)."""
    leased: Any = model
    return (
        select(model)
        .where(
            or_(
                and_(leased.status == PENDING, leased.next_attempt_at <= now),
                and_(leased.status == IN_FLIGHT, leased.lease_expires_at <= now),
            )
        )
        .order_by(leased.next_attempt_at, tiebreak)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def run_pass(
    sessions: async_sessionmaker[AsyncSession],
    *,
    claim: Callable[[AsyncSession], Awaitable[list[Claimed]]],
    send: Callable[[Claimed], Awaitable[Outcome]],
    record: Callable[[AsyncSession, Claimed, Outcome], Awaitable[Settled | None]],
) -> list[Settled]:
    """One pass in three steps: claim and commit; send every claimed row at once with no
    transaction open; record each outcome in a transaction of its own. Returns what
    `record` settled."""
    async with sessions() as session:
        claimed = await claim(session)
        await session.commit()
    if not claimed:
        return []
    outcomes = await asyncio.gather(*(send(one) for one in claimed))
    settled: list[Settled] = []
    for one, outcome in zip(claimed, outcomes, strict=True):
        async with sessions() as session:
            row = await record(session, one, outcome)
            await session.commit()
        if row is not None:
            settled.append(row)
    return settled


# The request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """A request's target once the guard has passed it: the URL with the address checked in
    place of the host, the `Host` header, and the name TLS must present."""

    url: httpx.URL
    host_header: str
    sni_hostname: str


class Unreachable(Exception):
    """The URL may not or cannot be called; `error` is the short class recorded."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


async def pin(url: str, *, guard: addresses.Policy, resolver: Resolver) -> Pinned:
    """Resolve the URL's host and check every address with the guard right before sending;
    the connection then goes to the address checked, so a name that resolves elsewhere by
    then cannot turn the request inward (`Unreachable` when refused or not resolved)."""
    try:
        target = addresses.target_of(url, guard)
        try:
            resolved = await resolver(target.host, target.port)
        except LookupError:
            raise Unreachable("does_not_resolve") from None
        addresses.check(url, resolved, guard)
    except addresses.Refused:
        raise Unreachable("address_refused") from None
    parsed = httpx.URL(url)
    return Pinned(
        url=parsed.copy_with(host=resolved[0].split("%", 1)[0]),
        host_header=parsed.netloc.decode("ascii"),
        sni_hostname=target.host,
    )


def error_class(error: Exception) -> str:
    """A failed request's short class, as recorded on the attempt."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        return "connect_error"
    return type(error).__name__[:128]
