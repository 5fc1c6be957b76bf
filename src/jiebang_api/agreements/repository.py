"""Queries of agreements: agreements, their waivers, and negotiation records."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor, mentions
from jiebang_api.models import Agreement, AgreementWaiver, Negotiation


async def get(session: AsyncSession, agreement_id: uuid.UUID) -> Agreement | None:
    return await session.get(Agreement, agreement_id)


async def get_for_update(session: AsyncSession, agreement_id: uuid.UUID) -> Agreement | None:
    """The agreement, locked and read afresh."""
    statement = (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def live_of_application(session: AsyncSession, application_id: uuid.UUID) -> Agreement | None:
    statement = select(Agreement).where(
        Agreement.application_id == application_id, Agreement.status != "annulled"
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def waivers(session: AsyncSession, agreement_id: uuid.UUID) -> list[AgreementWaiver]:
    statement = (
        select(AgreementWaiver)
        .where(AgreementWaiver.agreement_id == agreement_id)
        .order_by(AgreementWaiver.created_at, AgreementWaiver.id)
    )
    return list((await session.scalars(statement)).all())


async def negotiations(
    session: AsyncSession, application_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[Negotiation]:
    """Up to `limit + 1` of the application's negotiation records, oldest first."""
    statement = select(Negotiation).where(Negotiation.application_id == application_id)
    if after is not None:
        statement = statement.where(after_cursor(Negotiation.created_at, Negotiation.id, after))
    statement = statement.order_by(Negotiation.created_at, Negotiation.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def negotiations_linking(
    session: AsyncSession, attachment_id: uuid.UUID
) -> list[Negotiation]:
    """Negotiation records whose `attachment_ids` name the attachment."""
    key = str(attachment_id)
    statement = select(Negotiation).where(mentions(Negotiation.attachment_ids, key))
    return [n for n in (await session.scalars(statement)).all() if key in n.attachment_ids]
