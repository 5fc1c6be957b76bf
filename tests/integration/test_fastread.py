"""`kit.fastread`: rows read straight from the driver equal what the ORM loads, value for
value and type for type (aware instants, exact decimals, JSON, UUIDs), with the parameters
bound as SQLAlchemy binds them."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal

from factories import Sessions, create_organization, create_published_listing, unique
from jiebang_api.kit import fastread
from jiebang_api.kit.pagination import Cursor
from jiebang_api.listings import repository as listings_repository
from jiebang_api.models import Listing


async def test_rows_equal_what_the_orm_loads(sessions: Sessions) -> None:
    org = await create_organization(sessions)
    listing = await create_published_listing(
        sessions,
        org,
        title=unique("直读"),
        total_rd_investment=Decimal("12345678.90"),
        ip_records=[{"kind": "patent", "number": "ZL202110000000.1", "title": "稀土"}],
    )
    statement = listings_repository._PUBLIC_ONE
    async with sessions() as session:
        rows = await fastread.fetch(session, statement, {"listing_id": listing.id})
        loaded = await session.get(Listing, listing.id)
    assert loaded is not None
    assert len(rows) == 1
    row = rows[0]
    assert row.proposer_name == org.name
    for key, value in row._asdict().items():
        if key == "proposer_name":
            continue
        expected = getattr(loaded, key)
        assert value == expected, key
        assert type(value) is type(expected) or (value is None and expected is None), key
    assert row.total_rd_investment == Decimal("12345678.90")
    assert str(row.total_rd_investment) == "12345678.90"
    assert row.published_at.utcoffset() == timedelta(0)


async def test_parameters_are_bound_like_sqlalchemy_binds_them(sessions: Sessions) -> None:
    """A cursor instant goes in through the column's own bind processing (aware, UTC)."""
    org = await create_organization(sessions)
    marker = unique("游标")
    first = await create_published_listing(sessions, org, title=f"{marker}一")
    second = await create_published_listing(sessions, org, title=f"{marker}二")
    newest, older = sorted((first, second), key=lambda x: (x.published_at, x.id), reverse=True)
    async with sessions() as session:
        page = await listings_repository.public_page(
            session,
            now=newest.published_at,
            kind=None,
            status=None,
            industry=None,
            q=marker,
            opens_before=None,
            closes_after=None,
            after=None,
            limit=1,
        )
        assert [r.id for r in page] == [newest.id, older.id]  # limit + 1
        beijing = timezone(timedelta(hours=8))
        after = Cursor(newest.published_at.astimezone(beijing), newest.id)  # the same instant
        rest = await listings_repository.public_page(
            session,
            now=newest.published_at,
            kind=None,
            status=None,
            industry=None,
            q=marker,
            opens_before=None,
            closes_after=None,
            after=after,
            limit=5,
        )
    assert [r.id for r in rest] == [older.id]
