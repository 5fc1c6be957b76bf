"""Use cases of the audit trail: append an entry, verify every chain."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import chain
from jiebang_api.audit import changes as audit_changes
from jiebang_api.audit import repository as audit_repository
from jiebang_api.kit.actor import Actor
from jiebang_api.kit.context import current_request_id
from jiebang_api.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str | uuid.UUID,
    now: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the resource's chain, in the caller's transaction.

    The entry carries the resource's changed fields with their old and new values, as the
    session saw them flushed (see `audit.changes`); `changes`, when given, is used instead.
    """
    await session.flush()  # pending edits reach the listener that notes them
    noted = audit_changes.take(session.sync_session, resource_id)
    chosen = changes if changes is not None else noted
    resource_key = str(resource_id)
    previous = await audit_repository.last_for(session, resource_type, resource_key)
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "resource_type": resource_type,
        "resource_id": resource_key,
        "resource_seq": previous.resource_seq + 1 if previous else 1,
        "action": action,
        "actor_type": actor.type.value,
        "actor_id": actor.id,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "request_id": current_request_id(),
        # Hash what the database will hand back: plain JSON, not Python objects.
        "data": json.loads(json.dumps(data or {}, default=str)),
        "occurred_at": now,
    }
    if chosen:  # else left out: SQL NULL, as on entries written before the column existed
        fields["changes"] = json.loads(json.dumps(chosen, default=str))
    prev_hash = previous.hash if previous else None
    entry = AuditEntry(**fields, prev_hash=prev_hash, hash=chain.entry_hash(fields, prev_hash))
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    chains: int
    broken: chain.BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _as_mapping(entry: AuditEntry) -> dict[str, Any]:
    names = (*chain.HASHED_FIELDS, *chain.HASHED_WHEN_SET, "prev_hash", "hash")
    return {name: getattr(entry, name) for name in names}


async def verify(session: AsyncSession) -> VerifyReport:
    """Walk every chain; report the first broken link, if any."""
    entries = chains = 0
    current_key: tuple[str, str] | None = None
    current: list[dict[str, Any]] = []
    async for entry in audit_repository.stream_all(session):
        entries += 1
        key = (entry.resource_type, entry.resource_id)
        if key != current_key:
            broken = chain.first_broken_link(current)
            if broken:
                return VerifyReport(entries, chains, broken)
            current_key, current = key, []
            chains += 1
        current.append(_as_mapping(entry))
    return VerifyReport(entries, chains, chain.first_broken_link(current))
