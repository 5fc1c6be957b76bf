"""Queries of the change feed on the outbox (the reasoning is in `integration/feed.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, Text, cast, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import Event


@dataclass(frozen=True)
class Position:
    """A place in the feed: after the event with this writer's transaction id and sequence
    (`txid` is 0 on SQLite, and for the start of the feed)."""

    txid: int
    sequence: int


START = Position(0, 0)


def _on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def settled_horizon() -> ColumnElement[int]:
    """The oldest transaction id still in flight in the statement's own snapshot: every
    transaction below it has committed or rolled back. (`xid8` casts to text, not to bigint;
    the text is the 64-bit epoch-extended id, which never wraps.)"""
    xmin = func.pg_snapshot_xmin(func.pg_current_snapshot())
    return cast(cast(xmin, Text), BigInteger)


async def position_of(session: AsyncSession, sequence: int) -> Position | None:
    """The feed position of the event with `sequence` (0: the start); None when no event
    has it."""
    if sequence == 0:
        return START
    statement = select(Event.txid).where(Event.sequence == sequence)
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return Position(row.txid or 0, sequence)


async def after(
    session: AsyncSession, position: Position, types: Sequence[str], limit: int
) -> list[Event]:
    """Up to `limit` settled events past `position`, of `types` (all when empty), in feed
    order: on PostgreSQL by (writer's transaction id, sequence), written by transactions
    below the snapshot's horizon only; on SQLite by sequence."""
    statement = select(Event).limit(limit)
    if types:
        statement = statement.where(Event.type.in_([literal(t, Event.type.type) for t in types]))
    if not _on_postgresql(session):
        return list(
            (
                await session.execute(
                    statement.where(Event.sequence > position.sequence).order_by(Event.sequence)
                )
            ).scalars()
        )
    past = tuple_(Event.txid, Event.sequence) > tuple_(
        literal(position.txid, BigInteger()), literal(position.sequence, BigInteger())
    )
    statement = statement.where(Event.txid < settled_horizon(), past).order_by(
        Event.txid, Event.sequence
    )
    return list((await session.execute(statement)).scalars())
