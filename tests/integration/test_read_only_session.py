"""Safe requests read through a read-only session: no transaction round trips on
PostgreSQL, and any attempt to write is refused before it reaches SQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from conftest import AppFactory, _asyncpg_dsn
from factories import Sessions, create_organization
from jiebang_api.api import deps
from jiebang_api.api import v1 as api_v1
from jiebang_api.api.routing import StrictRoute, _dependants
from jiebang_api.kit.db import ReadOnlySession, ReadOnlyViolation, ReadSessions
from jiebang_api.models import Organization
from jiebang_api.settings import Environment


def _request(app: FastAPI, method: str) -> Request:
    return Request({"type": "http", "method": method, "app": app, "headers": []})


@pytest.mark.parametrize(("method", "read_only"), [("GET", True), ("HEAD", True), ("POST", False)])
async def test_safe_methods_get_the_read_only_session(
    app: FastAPI, method: str, read_only: bool
) -> None:
    async with deps.unit_of_work(_request(app, method)) as session:
        assert isinstance(session, ReadOnlySession) is read_only


def test_every_operation_with_a_session_opens_its_unit_of_work(app: FastAPI) -> None:
    """Whatever reads the session (`SessionDep`, the clock, the caller) runs in the unit of
    work `StrictRoute` opens around the operation."""
    routes = [r for router in (app.router, *api_v1.ROUTERS) for r in router.routes]
    with_session = [
        route
        for route in routes
        if isinstance(route, APIRoute)
        and any(d.call in deps.SESSION_DEPENDENCIES for d in _dependants(route.dependant))
    ]
    assert len(with_session) > 50
    assert [r.path for r in with_session if not isinstance(r, StrictRoute)] == []


async def test_a_read_session_is_reused_clean_by_the_next_safe_request(
    app: FastAPI, sessions: Sessions
) -> None:
    org = await create_organization(sessions)
    async with deps.unit_of_work(_request(app, "GET")) as first:
        assert await first.get(Organization, org.id) is not None
        first.info["left behind"] = True
    async with deps.unit_of_work(_request(app, "GET")) as second:
        assert second is first
        assert (len(second.identity_map), second.info, second.in_transaction()) == (0, {}, False)
        reloaded = await second.get(Organization, org.id)
        assert reloaded is not None
        assert reloaded.name == org.name


async def _fail_in(app: FastAPI) -> AsyncSession:
    async with deps.unit_of_work(_request(app, "GET")) as failed:
        await failed.execute(select(1))
        raise LookupError(failed)


async def test_a_read_session_whose_request_failed_is_not_reused(app: FastAPI) -> None:
    with pytest.raises(LookupError) as raised:
        await _fail_in(app)
    failed = raised.value.args[0]
    async with deps.unit_of_work(_request(app, "GET")) as following:
        assert following is not failed


async def test_no_more_read_sessions_wait_idle_than_kept(app: FastAPI) -> None:
    readers = ReadSessions(app.state.read_sessionmaker, keep=2)
    taken = [readers.take() for _ in range(3)]
    for session in taken:
        await readers.give_back(session)
    again = [readers.take() for _ in range(3)]
    assert sum(any(s is t for t in taken) for s in again) == 2


async def test_a_read_only_session_refuses_to_write(app: FastAPI, sessions: Sessions) -> None:
    org = await create_organization(sessions)
    async with app.state.read_sessionmaker() as reader:
        loaded = await reader.get(Organization, org.id)
        assert loaded is not None
        assert loaded.name == org.name
        loaded.name = "改名"
        with pytest.raises(ReadOnlyViolation):
            await reader.flush()
    async with app.state.read_sessionmaker() as reader:
        with pytest.raises(ReadOnlyViolation):
            await reader.execute(
                update(Organization).where(Organization.id == org.id).values(name="改名")
            )
        with pytest.raises(ReadOnlyViolation):
            await reader.execute(insert(Organization).values(id=uuid.uuid4(), name="新"))
    async with sessions() as session:  # nothing changed
        assert (await session.get(Organization, org.id)).name == org.name  # type: ignore[union-attr]


async def _in_transaction(session: AsyncSession) -> bool:
    await session.execute(select(1))
    raw = await (await session.connection()).get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())  # type: ignore[union-attr]


async def test_a_read_opens_no_transaction_and_never_waits_for_the_writer(
    backend: str, app: FastAPI, sessions: Sessions
) -> None:
    """PostgreSQL: no BEGIN/COMMIT around a read. SQLite: a read while a writer holds the
    write lock reads the last committed state at once (a deferred BEGIN, not IMMEDIATE)."""
    org = await create_organization(sessions)
    async with app.state.sessionmaker() as writer:
        await writer.execute(select(1))  # the writer's transaction (SQLite: the write lock)
        if backend == "postgresql":
            assert await _in_transaction(writer) is True
        async with app.state.read_sessionmaker() as reader:
            found = await reader.get(Organization, org.id)
            assert found is not None
            assert found.name == org.name
            if backend == "postgresql":
                assert await _in_transaction(reader) is False
        await writer.rollback()


# The sandbox clock (test) reads through the session first; production's first statement is
# the catalogue's own, on a connection borrowed from the pool (kit.fastread).
@pytest.mark.parametrize("env", [Environment.TEST, Environment.PROD])
async def test_a_dropped_pooled_connection_costs_one_answer_at_most(
    env: Environment,
    postgres_database: str,
    app_factory: AppFactory,
    client_for: Callable[..., Any],
) -> None:
    """Without a ping before every checkout (`JIEBANG_DATABASE_POOL_PRE_PING` off), a
    connection the server has closed fails the request that meets it with a 503 (an outage,
    retry later), and that renews the pool: the next requests are answered."""
    app = app_factory(postgres_database, env=env, jwt_secret="s" * 48)
    async with client_for(app) as http:
        # several requests at once: the pool holds several connections
        warm = await asyncio.gather(*(http.get("/api/v1/public/listings") for _ in range(6)))
        assert [r.status_code for r in warm] == [200] * 6
        admin = await asyncpg.connect(_asyncpg_dsn(postgres_database))
        try:
            dropped = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        assert dropped >= 2  # the app's pooled connections: each would fail if kept
        answers = [await http.get("/api/v1/public/listings") for _ in range(4)]
    statuses = [a.status_code for a in answers]
    assert statuses[0] in (200, 503), statuses  # never a 500
    if statuses[0] == 503:
        assert answers[0].json()["code"] == "SERVICE_UNAVAILABLE"
        assert answers[0].headers["Retry-After"]
    assert statuses[1:] == [200, 200, 200], statuses


async def test_requests_past_the_pool_size_wait_rather_than_open_connections(
    postgres_database: str, app_factory: AppFactory, client_for: Callable[..., Any]
) -> None:
    """Under load the pool opens no more connections than it keeps: an overflow connection
    is closed on return to a full pool, so each would be opened again and again."""
    app = app_factory(postgres_database, database_pool_size=2)
    opened: list[object] = []
    event.listen(app.state.engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    async with client_for(app) as http:
        for _ in range(3):
            answers = await asyncio.gather(
                *(http.get("/api/v1/public/listings") for _ in range(12))
            )
            assert [a.status_code for a in answers] == [200] * 12
    assert 1 <= len(opened) <= 2, len(opened)


async def test_requests_take_their_database_turn_in_arrival_order(
    database_url: str, app_factory: AppFactory
) -> None:
    """As many turns as the pool keeps (its size); a request that arrives while others wait
    queues behind them, even at the moment a turn is freed."""
    app = app_factory(database_url, database_pool_size=2)  # two turns
    holding = [deps.unit_of_work(_request(app, method)) for method in ("GET", "POST")]
    for unit in holding:
        await unit.__aenter__()
    order: list[str] = []

    async def request(name: str) -> None:
        async with deps.unit_of_work(_request(app, "GET")):
            order.append(name)

    first = asyncio.create_task(request("first"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(request("second"))
    await asyncio.sleep(0.01)
    assert order == []  # both wait: every turn is taken
    await holding[0].__aexit__(None, None, None)
    late = asyncio.create_task(request("late"))  # a newcomer, the moment a turn is free
    await holding[1].__aexit__(None, None, None)
    await asyncio.wait_for(asyncio.gather(first, second, late), timeout=5)
    assert order == ["first", "second", "late"]
