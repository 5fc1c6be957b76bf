"""Queries of agreements: agreements, their waivers, negotiation records, objections and
signatures."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor, mentions
from jiebang_api.models import (
    Agreement,
    AgreementSignature,
    AgreementWaiver,
    Application,
    Listing,
    Negotiation,
    Objection,
)


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
) -> list[tuple[Application, Listing]]:
    """The application and listing of each negotiation record whose `attachment_ids` name
    the attachment, in one query."""
    key = str(attachment_id)
    statement = (
        select(Negotiation, Application, Listing)
        .join(Application, Application.id == Negotiation.application_id)
        .join(Listing, Listing.id == Application.listing_id)
        .where(mentions(Negotiation.attachment_ids, key))
    )
    rows = (await session.execute(statement)).all()
    return [(app, listing) for record, app, listing in rows if key in record.attachment_ids]


async def notices(session: AsyncSession, *, after: Cursor | None, limit: int) -> list[Agreement]:
    """Up to `limit + 1` agreements that went on public notice, oldest first."""
    statement = select(Agreement).where(Agreement.publicity_starts_on.is_not(None))
    if after is not None:
        statement = statement.where(after_cursor(Agreement.created_at, Agreement.id, after))
    statement = statement.order_by(Agreement.created_at, Agreement.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def objections(
    session: AsyncSession,
    *,
    agreement_id: uuid.UUID | None,
    status: str | None,
    after: Cursor | None,
    limit: int,
) -> list[Objection]:
    """Up to `limit + 1` objections, oldest first, of one agreement or status when given."""
    statement = select(Objection)
    if agreement_id is not None:
        statement = statement.where(Objection.agreement_id == agreement_id)
    if status is not None:
        statement = statement.where(Objection.status == status)
    if after is not None:
        statement = statement.where(after_cursor(Objection.created_at, Objection.id, after))
    statement = statement.order_by(Objection.created_at, Objection.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def objection(session: AsyncSession, objection_id: uuid.UUID) -> Objection | None:
    return await session.get(Objection, objection_id)


async def objection_for_update(session: AsyncSession, objection_id: uuid.UUID) -> Objection | None:
    statement = (
        select(Objection)
        .where(Objection.id == objection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def signatures(session: AsyncSession, agreement_id: uuid.UUID) -> list[AgreementSignature]:
    statement = (
        select(AgreementSignature)
        .where(AgreementSignature.agreement_id == agreement_id)
        .order_by(AgreementSignature.created_at, AgreementSignature.id)
    )
    return list((await session.scalars(statement)).all())


async def agreements_signed_with(
    session: AsyncSession, attachment_id: uuid.UUID
) -> list[Agreement]:
    """The agreements a signature's scan `attachment_id` was given for."""
    statement = (
        select(Agreement)
        .join(AgreementSignature, AgreementSignature.agreement_id == Agreement.id)
        .where(AgreementSignature.attachment_id == attachment_id)
    )
    return list((await session.scalars(statement)).all())
