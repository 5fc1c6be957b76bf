"""`kit.fastread`: rows read straight from the driver equal what the ORM loads, value for
value and type for type (aware instants, exact decimals, JSON, UUIDs), with the parameters
bound as SQLAlchemy binds them."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from factories import (
    Sessions,
    add_member,
    create_organization,
    create_published_listing,
    create_user,
    unique,
)
from jiebang_api.auth import repository as auth_repository
from jiebang_api.kit import fastread
from jiebang_api.kit.pagination import Cursor
from jiebang_api.listings import repository as listings_repository
from jiebang_api.models import Listing, User


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


def _same_as_loaded(row: Any, loaded: Any) -> None:
    for key, value in row._asdict().items():
        expected = getattr(loaded, key)
        assert value == expected, key
        assert type(value) is type(expected) or (value is None and expected is None), key


@pytest.mark.parametrize("reader", ["read_sessionmaker", "sessionmaker"])
async def test_a_listing_and_a_profile_read_as_the_orm_loads_them(
    reader: str, app: FastAPI, sessions: Sessions
) -> None:
    """`GET /listings/{id}` and `GET /me` read rows, in a read-only session (its statements on
    a connection borrowed for each) as in a writing one (on the session's connection)."""
    org = await create_organization(sessions)
    listing = await create_published_listing(
        sessions, org, total_rd_investment=Decimal("7000000.05")
    )
    user = await create_user(sessions, roles=("expert",), affiliation_org_id=org.id)
    await add_member(sessions, org, user)
    async with getattr(app.state, reader)() as session:
        row = await listings_repository.one(session, listing.id)
        profile = await auth_repository.profile(session, user.id)
        memberships = await auth_repository.memberships_of(session, user.id)
        missing = await listings_repository.one(session, user.id)
    async with sessions() as session:
        loaded_listing = await session.get(Listing, listing.id)
        loaded_user = await session.get(User, user.id)
    assert row is not None
    assert profile is not None
    _same_as_loaded(row, loaded_listing)
    assert set(row._asdict()) == {c.key for c in Listing.__table__.columns}
    assert str(row.total_rd_investment) == "7000000.05"
    _same_as_loaded(profile, loaded_user)
    assert "password_hash" not in profile._asdict()
    assert [(m.organization_id, m.organization_name) for m in memberships] == [(org.id, org.name)]
    assert missing is None
