"""A read replica (`JIEBANG_DATABASE_READ_URL`) answers anonymous public reads only: the
public catalogue without an `Authorization` header. Signed-in reads and every write use the
primary. The "replica" here is a copy of the primary taken at a moment (SQLite: an online
backup of its file; PostgreSQL: a database made with the primary as its template), so what
the primary gains afterwards is missing from it until the next copy (the replica catching up).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from conftest import POSTGRES_ADMIN_URL, AppFactory, _postgres_execute
from factories import (
    bearer,
    create_organization,
    create_published_listing,
    create_user,
    listing_body,
    unique,
)
from jiebang_api.api import deps
from jiebang_api.api import v1 as api_v1
from jiebang_api.api.outage import RETRY_AFTER_SECONDS
from jiebang_api.api.routing import StrictRoute
from jiebang_api.kit.db import ReadOnlySession, Replica
from jiebang_api.main import dispose
from jiebang_api.models import Listing

PUBLIC = "/api/v1/public/listings"
LISTINGS = "/api/v1/listings"


@pytest.fixture
def primary(database_factory: Callable[[], str]) -> str:
    """A migrated database of this test's own: the primary (made outside the event loop)."""
    return database_factory()


@pytest.fixture
def replica_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Where the replica will be (it exists once `_catch_up` has copied the primary)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'replica.db'}"
        return
    name = f"jiebang_test_replica_{uuid.uuid4().hex[:12]}"
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _backup_sqlite(source: str, target: str) -> None:
    for leftover in (target, f"{target}-wal", f"{target}-shm"):
        Path(leftover).unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as primary,
        contextlib.closing(sqlite3.connect(target)) as replica,
    ):
        primary.backup(replica)  # a consistent copy, what the WAL holds included


async def _catch_up(app: FastAPI, backend: str, primary: str, replica: str) -> None:
    """Make the replica a copy of the primary as it is now. The app's pools are closed first:
    PostgreSQL copies only a database nobody is connected to, and a pooled connection to a
    replica dropped and made again would fail once (an outage answer) on its next use."""
    await dispose(app)
    source, target = str(make_url(primary).database), str(make_url(replica).database)
    if backend == "sqlite":
        await asyncio.to_thread(_backup_sqlite, source, target)
        return
    await _postgres_execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    await _postgres_execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def _count_checkouts(engine: AsyncEngine) -> list[object]:
    """Every connection taken from `engine`'s pool from now on (statements through the
    session and the fast reads that borrow one alike)."""
    taken: list[object] = []
    event.listen(engine.sync_engine, "checkout", lambda conn, _record, _proxy: taken.append(conn))
    return taken


async def _on_replica(replica: Replica, listing_id: uuid.UUID) -> bool:
    async with replica.engine.connect() as connection:
        found = await connection.scalar(select(Listing.id).where(Listing.id == listing_id))
    return found is not None


async def test_anonymous_public_reads_read_the_replica_and_all_else_the_primary(
    backend: str,
    primary: str,
    replica_url: str,
    app_factory: AppFactory,
    client_for: Callable[..., Any],
) -> None:
    app = app_factory(primary, database_read_url=replica_url)
    replica: Replica = app.state.replica
    sessions = app.state.sessionmaker
    org = await create_organization(sessions)
    department = bearer(app, await create_user(sessions, roles=("admin",)))
    marker = unique("副本")
    before = await create_published_listing(sessions, org, title=f"{marker}早")
    await _catch_up(app, backend, primary, replica_url)
    after = await create_published_listing(sessions, org, title=f"{marker}晚")
    on_replica = _count_checkouts(replica.engine)

    async with client_for(app) as http:
        # Anonymous: the replica, which has only what the primary had at the copy.
        page = await http.get(PUBLIC, params={"q": marker})
        assert page.status_code == 200, page.text
        assert [x["id"] for x in page.json()["items"]] == [str(before.id)]
        assert (await http.get(f"{PUBLIC}/{before.id}")).status_code == 200
        missing = await http.get(f"{PUBLIC}/{after.id}")
        assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
        assert on_replica

        # Signed in, and the same public reads with an Authorization header: the primary.
        on_replica.clear()
        assert (await http.get(f"{LISTINGS}/{after.id}", headers=department)).status_code == 200
        assert (await http.get(f"{PUBLIC}/{after.id}", headers=department)).status_code == 200
        signed_in = await http.get(PUBLIC, params={"q": marker}, headers=department)
        assert [x["id"] for x in signed_in.json()["items"]] == [str(after.id), str(before.id)]

        # A write: on the primary only.
        emergency = listing_body(org, kind="emergency", proposer_org_id=None)
        created = await http.post(LISTINGS, json=emergency, headers=department)
        assert created.status_code == 201, created.text
        draft = uuid.UUID(created.json()["id"])
        assert (await http.get(f"{LISTINGS}/{draft}", headers=department)).status_code == 200
        assert on_replica == []  # none of the above took a replica connection
        assert not await _on_replica(replica, draft)
        assert not await _on_replica(replica, after.id)

        # The replica catches up: anonymous readers see what was published.
        await _catch_up(app, backend, primary, replica_url)
        page = await http.get(PUBLIC, params={"q": marker})
        assert [x["id"] for x in page.json()["items"]] == [str(after.id), str(before.id)]
        assert (await http.get(f"{PUBLIC}/{after.id}")).status_code == 200


async def test_an_unreachable_replica_fails_anonymous_reads_with_503_only(
    backend: str,
    database_url: str,
    tmp_path: Path,
    app_factory: AppFactory,
    client_for: Callable[..., Any],
) -> None:
    """An outage of the replica is an outage answer (503 `SERVICE_UNAVAILABLE`, retry
    later), not a 500; signed-in readers, on the primary, do not notice it."""
    unreachable = (
        f"sqlite+aiosqlite:///{tmp_path / 'no such directory' / 'replica.db'}"
        if backend == "sqlite"
        else "postgresql+asyncpg://postgres@127.0.0.1:1/replica"  # a closed port
    )
    app = app_factory(database_url, database_read_url=unreachable)
    sessions = app.state.sessionmaker
    listing = await create_published_listing(sessions, await create_organization(sessions))
    department = bearer(app, await create_user(sessions, roles=("admin",)))
    async with client_for(app) as http:
        for path in (PUBLIC, f"{PUBLIC}/{listing.id}"):
            failed = await http.get(path, headers={"Accept-Language": "en"})
            assert failed.status_code == 503, failed.text
            assert failed.headers["Content-Type"] == "application/problem+json"
            assert failed.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert failed.json()["code"] == "SERVICE_UNAVAILABLE"
            signed_in = await http.get(path, headers=department)
            assert signed_in.status_code == 200, signed_in.text
        own = await http.get(f"{LISTINGS}/{listing.id}", headers=department)
        assert own.status_code == 200


def _request(app: FastAPI, method: str, headers: list[tuple[bytes, bytes]]) -> Request:
    return Request({"type": "http", "method": method, "app": app, "headers": headers})


AUTHORIZATION = [(b"authorization", b"Bearer x")]


@pytest.mark.parametrize(
    ("method", "headers", "replica_reads", "reads_replica"),
    [
        ("GET", [], True, True),
        ("HEAD", [], True, True),
        ("GET", AUTHORIZATION, True, False),  # a signed-in caller sees their own writes
        ("GET", [], False, False),  # a route that is not the public catalogue's
        ("POST", [], True, False),  # never a write
    ],
)
async def test_which_requests_read_the_replica(
    tmp_path: Path,
    app_factory: AppFactory,
    method: str,
    headers: list[tuple[bytes, bytes]],
    replica_reads: bool,
    reads_replica: bool,
) -> None:
    """No database is reached: the session's pool says where it would read."""
    app = app_factory(
        f"sqlite+aiosqlite:///{tmp_path / 'primary.db'}",
        database_read_url=f"sqlite+aiosqlite:///{tmp_path / 'replica.db'}",
    )
    replica: Replica = app.state.replica
    request = _request(app, method, headers)
    async with deps.unit_of_work(request, replica_reads=replica_reads) as session:
        pool = session.get_bind().pool
        assert isinstance(session, ReadOnlySession) is (method != "POST")
    assert pool is (replica.engine if reads_replica else app.state.engine).sync_engine.pool


async def test_a_replica_has_a_pool_and_turns_of_its_own(
    tmp_path: Path, app_factory: AppFactory
) -> None:
    app = app_factory(
        f"sqlite+aiosqlite:///{tmp_path / 'primary.db'}",
        database_read_url="postgresql+asyncpg://postgres@127.0.0.1:1/replica",  # never reached
        database_pool_size=3,
    )
    replica: Replica = app.state.replica
    assert replica.engine is not app.state.engine
    assert replica.engine.pool.size() == 3  # type: ignore[attr-defined]
    assert replica.turns is not None
    assert replica.turns is not app.state.database_turns
    assert replica.read_sessions is not app.state.read_sessions


async def test_without_a_replica_url_everything_reads_the_primary(
    tmp_path: Path, app_factory: AppFactory
) -> None:
    app = app_factory(f"sqlite+aiosqlite:///{tmp_path / 'primary.db'}")
    assert app.state.replica is None  # no second engine
    async with deps.unit_of_work(_request(app, "GET", []), replica_reads=True) as session:
        assert session.get_bind().pool is app.state.engine.sync_engine.pool


def test_only_the_public_catalogue_reads_the_replica() -> None:
    """The operations of `api/v1/public.py`, and no others (signed-in reads of the same
    data must see their own writes)."""
    routes = [r for router in api_v1.ROUTERS for r in router.routes]
    paths = sorted(r.path for r in routes if isinstance(r, StrictRoute) and r.replica_reads)
    assert paths == ["/public/listings", "/public/listings/{listing_id}"]
