"""Queries on listings, their assessments and code counters."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import (
    LIKE_ESCAPE,
    after_cursor,
    before_cursor,
    contains_pattern,
    mentions,
)
from jiebang_api.listings.workflow import PUBLIC
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


def _effective_status_is(status: str, now: datetime) -> ColumnElement[bool]:
    """The stored status that reads as `status` now (an ended window reads as closed)."""
    ended = and_(Listing.status == "published", Listing.application_closes_at <= now)
    if status == "published":
        return and_(Listing.status == "published", Listing.application_closes_at > now)
    if status == "closed":
        return or_(Listing.status == "closed", ended)
    return Listing.status == status


async def public_page(
    session: AsyncSession,
    *,
    now: datetime,
    kind: str | None,
    status: str | None,
    industry: str | None,
    q: str | None,
    opens_before: datetime | None,
    closes_after: datetime | None,
    after: Cursor | None,
    limit: int,
) -> list[Listing]:
    """Up to `limit + 1` public listings, newest publication first (stable `(published_at, id)`)."""
    statement = select(Listing).where(Listing.status.in_(sorted(PUBLIC)))
    if status:
        statement = statement.where(_effective_status_is(status, now))
    if kind:
        statement = statement.where(Listing.kind == kind)
    if industry:
        statement = statement.where(Listing.industry == industry)
    if q:
        statement = statement.where(
            Listing.search_text.ilike(contains_pattern(q), escape=LIKE_ESCAPE)
        )
    if opens_before is not None:
        statement = statement.where(Listing.application_opens_at < opens_before)
    if closes_after is not None:
        statement = statement.where(Listing.application_closes_at > closes_after)
    if after is not None:
        statement = statement.where(before_cursor(Listing.published_at, Listing.id, after))
    order = (Listing.published_at.desc(), Listing.id.desc())
    return list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())


async def public_one(session: AsyncSession, listing_id: uuid.UUID) -> Listing | None:
    statement = select(Listing).where(Listing.id == listing_id, Listing.status.in_(sorted(PUBLIC)))
    return (await session.execute(statement)).scalar_one_or_none()


async def due_to_close(session: AsyncSession, now: datetime, limit: int) -> list[Listing]:
    """Published listings whose window has ended, locked for the caller; rows another worker
    holds are skipped (PostgreSQL), so any number of workers can sweep side by side."""
    statement = (
        select(Listing)
        .where(Listing.status == "published", Listing.application_closes_at <= now)
        .order_by(Listing.application_closes_at, Listing.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(statement)).all())


async def closed_ids_of(
    session: AsyncSession, proposer_ids: Collection[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Listings of these proposers whose application window has ended (reads as closed or
    later): their proposers may now see the applications."""
    if not proposer_ids:
        return []
    statement = select(Listing.id).where(
        Listing.proposer_org_id.in_(list(proposer_ids)),
        or_(_effective_status_is("closed", now), Listing.status.in_(("awarded", "failed"))),
    )
    return list((await session.scalars(statement)).all())


async def many(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Listing]:
    """Listings by id, in one query."""
    if not ids:
        return {}
    statement = select(Listing).where(Listing.id.in_(list(ids)))
    return {listing.id: listing for listing in (await session.scalars(statement)).all()}


async def linking_attachment(session: AsyncSession, attachment_id: uuid.UUID) -> list[Listing]:
    """Listings whose `attachment_ids` name the attachment."""
    key = str(attachment_id)
    statement = select(Listing).where(mentions(Listing.attachment_ids, key))
    rows = (await session.scalars(statement)).all()
    return [listing for listing in rows if key in (listing.attachment_ids or [])]
