"""Queries on listings, their assessments and code counters."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import LIKE_ESCAPE, after_cursor, contains_pattern
from jiebang_api.models import CodeCounter, Listing, ListingAssessment


async def get(session: AsyncSession, listing_id: uuid.UUID) -> Listing | None:
    return await session.get(Listing, listing_id)


async def get_for_update(session: AsyncSession, listing_id: uuid.UUID) -> Listing | None:
    statement = select(Listing).where(Listing.id == listing_id).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def next_number(session: AsyncSession, scope: str, year: int) -> int:
    """The next number of `scope` in `year`, handed out once (an atomic upsert)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(CodeCounter)
        .values(scope=scope, year=year, value=1)
        .on_conflict_do_update(
            index_elements=["scope", "year"], set_={"value": CodeCounter.value + 1}
        )
        .returning(CodeCounter.value)
    )
    return int((await session.execute(statement)).scalar_one())


async def assessments(session: AsyncSession, listing_id: uuid.UUID) -> list[ListingAssessment]:
    statement = (
        select(ListingAssessment)
        .where(ListingAssessment.listing_id == listing_id)
        .order_by(ListingAssessment.created_at, ListingAssessment.id)
    )
    return list((await session.scalars(statement)).all())


async def list_page(
    session: AsyncSession,
    *,
    proposer_ids: Collection[uuid.UUID] | None,
    kind: str | None,
    statuses: Collection[str] | None,
    industry: str | None,
    q: str | None,
    after: Cursor | None,
    limit: int,
) -> list[Listing]:
    """Up to `limit + 1` listings in `(created_at, id)` order; `proposer_ids` None means all."""
    statement = select(Listing)
    if proposer_ids is not None:
        statement = statement.where(Listing.proposer_org_id.in_(list(proposer_ids)))
    if kind:
        statement = statement.where(Listing.kind == kind)
    if statuses is not None:
        statement = statement.where(Listing.status.in_(list(statuses)))
    if industry:
        statement = statement.where(Listing.industry == industry)
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(
                Listing.title.ilike(pattern, escape=LIKE_ESCAPE),
                Listing.code.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if after is not None:
        statement = statement.where(after_cursor(Listing.created_at, Listing.id, after))
    statement = statement.order_by(Listing.created_at, Listing.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())
