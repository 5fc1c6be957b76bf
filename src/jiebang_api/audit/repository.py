"""Queries on the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit import fastread
from jiebang_api.models import AuditEntry

# Every audited write asks this: a statement built once, a plain row.
_LAST = (
    select(AuditEntry.resource_seq, AuditEntry.hash)
    .where(
        AuditEntry.resource_type == bindparam("resource_type"),
        AuditEntry.resource_id == bindparam("resource_id"),
    )
    .order_by(AuditEntry.resource_seq.desc())
    .limit(1)
)


async def last_for(session: AsyncSession, resource_type: str, resource_id: str) -> Any | None:
    """The newest link of one resource's chain (`resource_seq`, `hash`), or None."""
    rows = await fastread.fetch(
        session, _LAST, {"resource_type": resource_type, "resource_id": resource_id}
    )
    return rows[0] if rows else None


async def list_for(
    session: AsyncSession,
    resource_type: str,
    resource_id: str,
    *,
    withheld: Collection[str] = (),
) -> list[AuditEntry]:
    """One resource's entries, oldest first, but those of the `withheld` actions."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.resource_type == resource_type, AuditEntry.resource_id == resource_id)
        .order_by(AuditEntry.resource_seq)
    )
    if withheld:
        statement = statement.where(AuditEntry.action.not_in(list(withheld)))
    return list((await session.execute(statement)).scalars())


async def stream_all(session: AsyncSession) -> AsyncIterator[AuditEntry]:
    """Every entry grouped by resource, each chain oldest first (streamed, not loaded whole)."""
    statement = select(AuditEntry).order_by(
        AuditEntry.resource_type, AuditEntry.resource_id, AuditEntry.resource_seq
    )
    result = await session.stream(statement.execution_options(yield_per=500))
    async for entry in result.scalars():
        yield entry
