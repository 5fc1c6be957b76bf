"""Queries on listings, their assessments and code counters."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit import fastread
from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import (
    LIKE_ESCAPE,
    after_cursor,
    before_cursor,
    contains_pattern,
    mentions,
    one_of,
)
from jiebang_api.listings.workflow import PUBLIC
from jiebang_api.models import CodeCounter, Listing, ListingAssessment, Organization


async def get(session: AsyncSession, listing_id: uuid.UUID) -> Listing | None:
    return await session.get(Listing, listing_id)


# A listing read by its id (every column): a statement built once, plain rows.
_ONE = select(*Listing.__table__.columns).where(Listing.id == bindparam("listing_id"))


async def one(session: AsyncSession, listing_id: uuid.UUID) -> Any | None:
    """The listing's columns, to read (not an entity to change), or None."""
    rows = await fastread.fetch(session, _ONE, {"listing_id": listing_id})
    return rows[0] if rows else None


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


def _effective_status_is(status: str, now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """The stored status that reads as `status` now (an ended window reads as closed)."""
    ended = and_(Listing.status == "published", Listing.application_closes_at <= now)
    if status == "published":
        return and_(Listing.status == "published", Listing.application_closes_at > now)
    if status == "closed":
        return or_(Listing.status == "closed", ended)
    return Listing.status == status


# What anyone may read of a public listing, and its proposer's name: read as plain rows, not
# ORM objects (the catalogue is the hottest path, and nothing here is ever changed).
PUBLIC_COLUMNS = (
    Listing.id,
    Listing.code,
    Listing.kind,
    Listing.status,
    Listing.proposer_org_id,
    Listing.title,
    Listing.industry,
    Listing.background,
    Listing.key_technologies,
    Listing.transfer_content,
    Listing.transfer_form,
    Listing.application_direction,
    Listing.industrial_effect,
    Listing.transfer_service,
    Listing.time_requirement_months,
    Listing.total_rd_investment,
    Listing.demand_requirements,
    Listing.supply_requirements,
    Listing.ip_ownership,
    Listing.benefit_sharing,
    Listing.ip_records,
    Listing.application_opens_at,
    Listing.application_closes_at,
    Listing.published_at,
    Organization.name.label("proposer_name"),
)


_PUBLIC = (
    select(*PUBLIC_COLUMNS)
    .outerjoin(Organization, Organization.id == Listing.proposer_org_id)
    .where(one_of(Listing.status, sorted(PUBLIC)))
)
_PUBLIC_ONE = _PUBLIC.where(Listing.id == bindparam("listing_id"))
_NOW = bindparam("now", type_=Listing.application_closes_at.type)  # a filter's "as of now"


@dataclass(frozen=True)
class _CatalogueShape:
    """Which filters a catalogue request sets (the values go in as parameters)."""

    status: str | None
    kind: bool
    industry: bool
    q: bool
    opens_before: bool
    closes_after: bool
    after: bool


@lru_cache(maxsize=256)
def _catalogue(shape: _CatalogueShape) -> Select[Any]:
    """The catalogue statement of one shape, built once: SQLAlchemy then finds its compiled
    form by the statement's memoised cache key instead of rebuilding and re-keying it."""
    statement = _PUBLIC
    if shape.status:
        statement = statement.where(_effective_status_is(shape.status, _NOW))
    if shape.kind:
        statement = statement.where(Listing.kind == bindparam("kind"))
    if shape.industry:
        statement = statement.where(Listing.industry == bindparam("industry"))
    if shape.q:
        statement = statement.where(
            Listing.search_text.ilike(bindparam("pattern"), escape=LIKE_ESCAPE)
        )
    if shape.opens_before:
        statement = statement.where(Listing.application_opens_at < bindparam("opens_before"))
    if shape.closes_after:
        statement = statement.where(Listing.application_closes_at > bindparam("closes_after"))
    if shape.after:
        statement = statement.where(before_cursor(Listing.published_at, Listing.id))
    order = (Listing.published_at.desc(), Listing.id.desc())
    return statement.order_by(*order).limit(bindparam("limit"))


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
) -> list[Row[Any]]:
    """Up to `limit + 1` public listings (`PUBLIC_COLUMNS`), newest publication first (stable
    `(published_at, id)`)."""
    shape = _CatalogueShape(
        status=status or None,
        kind=bool(kind),
        industry=bool(industry),
        q=bool(q),
        opens_before=opens_before is not None,
        closes_after=closes_after is not None,
        after=after is not None,
    )
    parameters: dict[str, Any] = {"limit": limit + 1}
    if status:
        parameters["now"] = now
    if kind:
        parameters["kind"] = kind
    if industry:
        parameters["industry"] = industry
    if q:
        parameters["pattern"] = contains_pattern(q)
    if opens_before is not None:
        parameters["opens_before"] = opens_before
    if closes_after is not None:
        parameters["closes_after"] = closes_after
    if after is not None:
        parameters.update(cursor_at=after.at, cursor_id=after.id)
    return await fastread.fetch(session, _catalogue(shape), parameters)


async def public_one(session: AsyncSession, listing_id: uuid.UUID) -> Row[Any] | None:
    """One public listing (`PUBLIC_COLUMNS`), or None."""
    rows = await fastread.fetch(session, _PUBLIC_ONE, {"listing_id": listing_id})
    return rows[0] if rows else None


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
