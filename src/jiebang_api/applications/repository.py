"""Queries on applications."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor, mentions
from jiebang_api.models import Application


async def get(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    return await session.get(Application, application_id)


async def get_for_update(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    statement = select(Application).where(Application.id == application_id).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def live_for(
    session: AsyncSession, listing_id: uuid.UUID, lead_org_id: uuid.UUID
) -> Application | None:
    statement = select(Application).where(
        Application.listing_id == listing_id,
        Application.lead_org_id == lead_org_id,
        Application.status != "withdrawn",
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def of_listing_for_update(session: AsyncSession, listing_id: uuid.UUID) -> list[Application]:
    """Every application to the listing, locked, in a stable order (no deadlocks)."""
    statement = (
        select(Application)
        .where(Application.listing_id == listing_id)
        .order_by(Application.id)
        .with_for_update()
    )
    return list((await session.scalars(statement)).all())


async def recommended_above(
    session: AsyncSession, listing_id: uuid.UUID, rank: int
) -> list[Application]:
    """The listing's applications still recommended at a better rank than `rank`."""
    statement = select(Application).where(
        Application.listing_id == listing_id,
        Application.status == "recommended",
        Application.recommendation_rank < rank,
    )
    return list((await session.scalars(statement)).all())


async def any_recommended(session: AsyncSession, listing_id: uuid.UUID) -> bool:
    """Whether an application of the listing is still recommended (in the running)."""
    statement = select(Application.id).where(
        Application.listing_id == listing_id, Application.status == "recommended"
    )
    return (await session.scalars(statement.limit(1))).first() is not None


async def others_in_the_running(session: AsyncSession, app: Application) -> list[Application]:
    """The other applications of `app`'s listing still recommended or not recommended,
    locked, in a stable order."""
    statement = (
        select(Application)
        .where(
            Application.listing_id == app.listing_id,
            Application.id != app.id,
            Application.status.in_(("recommended", "not_recommended")),
        )
        .order_by(Application.id)
        .with_for_update()
    )
    return list((await session.scalars(statement)).all())


async def linking_attachment(session: AsyncSession, attachment_id: uuid.UUID) -> list[Application]:
    """Applications whose `attachment_ids` name the attachment."""
    key = str(attachment_id)
    statement = select(Application).where(mentions(Application.attachment_ids, key))
    rows = (await session.scalars(statement)).all()
    return [app for app in rows if key in (app.attachment_ids or [])]


async def list_page(
    session: AsyncSession,
    *,
    listing_id: uuid.UUID | None,
    status: str | None,
    lead_org_ids: Collection[uuid.UUID] | None,
    listing_ids: Collection[uuid.UUID] | None,
    after: Cursor | None,
    limit: int,
) -> list[Application]:
    """Up to `limit + 1` applications in `(created_at, id)` order. `lead_org_ids` and
    `listing_ids`, when given, restrict to applications of those leads OR to those listings."""
    statement = select(Application)
    if lead_org_ids is not None or listing_ids is not None:
        scope = []
        if lead_org_ids:
            scope.append(Application.lead_org_id.in_(list(lead_org_ids)))
        if listing_ids:
            scope.append(Application.listing_id.in_(list(listing_ids)))
        if not scope:
            return []

        statement = statement.where(or_(*scope))
    if listing_id is not None:
        statement = statement.where(Application.listing_id == listing_id)
    if status:
        statement = statement.where(Application.status == status)
    if after is not None:
        statement = statement.where(after_cursor(Application.created_at, Application.id, after))
    statement = statement.order_by(Application.created_at, Application.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def inviting_page(
    session: AsyncSession, org_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[Application]:
    """Up to `limit + 1` applications whose `members` mention the organisation, in
    `(created_at, id)` order (a coarse filter: the caller checks membership exactly)."""
    statement = select(Application).where(mentions(Application.members, str(org_id)))
    if after is not None:
        statement = statement.where(after_cursor(Application.created_at, Application.id, after))
    statement = statement.order_by(Application.created_at, Application.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def many(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Application]:
    """The applications among `ids` that exist, by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(Application).where(Application.id.in_(list(ids))))
    return {a.id: a for a in rows}
