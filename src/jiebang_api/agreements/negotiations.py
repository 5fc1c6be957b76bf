"""Negotiation records (第九条（六）): the department or either side writes down each round
of talks of a recommended application in its turn."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.models import Negotiation


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Negotiation:
    """A record of one negotiation (the department or either side), in the rank's turn."""
    app, listing, _ = await access.application(session, principal, application_id)
    await access.require_turn(session, app)
    attachment_ids = list(data.get("attachment_ids") or [])
    await attachments_service.require_linkable(session, principal=principal, ids=attachment_ids)
    negotiation = Negotiation(
        id=uuid.uuid4(),
        application_id=app.id,
        held_on=data["held_on"],
        participants=list(data["participants"]),
        minutes=data["minutes"],
        attachment_ids=[str(a) for a in attachment_ids],
        recorded_by=principal.user_id,
    )
    session.add(negotiation)
    await session.flush()
    await events.record(
        session,
        agreements_events.NegotiationRecorded(
            occurred_at=now,
            negotiation_id=negotiation.id,
            application_id=app.id,
            listing_id=listing.id,
        ),
        actor=principal.actor,
        action="negotiation.record",
        to_state=None,
        data={"application_id": str(app.id)},
    )
    return negotiation


async def of_application(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[Negotiation]:
    """The application's negotiation records, oldest first (the department and the sides)."""
    await access.application(session, principal, application_id)
    rows = await agreements_repository.negotiations(
        session, application_id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whoever may read a negotiation record that links the file (the department and the
    two sides) may read the file."""
    linked = await agreements_repository.negotiations_linking(session, attachment_id)
    return any(
        access.party_or_admin(principal, access.sides_of(app, listing)) for app, listing in linked
    )
