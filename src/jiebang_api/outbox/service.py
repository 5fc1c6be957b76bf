"""Append domain events to the outbox, in the caller's transaction."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.context import current_request_id
from jiebang_api.models import Event


async def add(
    session: AsyncSession,
    *,
    event_type: str,
    resource_type: str,
    resource_id: str | uuid.UUID,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record `event_type` for a resource; its `sequence` is assigned by the database."""
    event = Event(
        type=event_type,
        resource_type=resource_type,
        resource_id=str(resource_id),
        payload=json.loads(json.dumps(payload or {}, default=str)),
        occurred_at=now,
        request_id=current_request_id(),
    )
    session.add(event)
    await session.flush()
    return event
