"""Real `jiebang-api serve` processes starting and stopping (PostgreSQL, which holds the
locks these stories need): four processes starting together on an empty database migrate it
once and become ready; SIGTERM during a burst of writes lets every write in flight finish
and commit before the process exits, and answers no new one; past the grace period, the
writes still waiting are cut and leave nothing behind.

The slow request is made by the test, not by the service: it holds a lock on the listings
table, so each creation waits inside its transaction (seen waiting in `pg_stat_activity`)
until the test lets go."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from conftest import AppFactory
from factories import VERIFIED, bearer, create_organization, create_user, listing_body
from jiebang_api.kit.migrations import head_revision
from processes import MIGRATIONS, Service, environment, start_api, wait_ready

BURST = 12
# uvicorn ends by raising the signal it caught again once its shutdown is complete, so a
# process stopped by SIGTERM reports it as its status even when it stopped gracefully.
STOPPED = -signal.SIGTERM
LISTINGS = "/api/v1/listings"
# A connection for every request of the burst, so that each waits inside its transaction.
ROOMY_POOL = {"database_pool_size": str(BURST + 2)}

pytestmark = pytest.mark.usefixtures("reap_processes")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _rows(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def test_four_api_processes_starting_together_migrate_once(
    empty_postgres_database: str, tmp_path: Path
) -> None:
    """Each `serve` migrates before it listens; the advisory lock in migrations/env.py lets
    one at a time in, and the others find the database at head."""
    environ = environment(empty_postgres_database, tmp_path / "files")
    services = [
        await start_api(f"api-{n}", environ, tmp_path / "logs", migrate=True) for n in range(4)
    ]
    try:
        await asyncio.gather(*(wait_ready(s) for s in services))
        versions = await _rows(empty_postgres_database, "SELECT version_num FROM alembic_version")
        assert [row["version_num"] for row in versions] == [head_revision(MIGRATIONS)]
    finally:
        codes = await asyncio.gather(*(s.stop() for s in services))
    assert codes == [STOPPED] * 4, [s.tail() for s in services]


@pytest.fixture
async def proposer(
    postgres_database: str, app_factory: AppFactory
) -> tuple[FastAPI, dict[str, str], str]:
    """A verified proposer's manager, with an app on the same database (and the same JWT
    secret as the served process) to mint the token: the app, headers, organisation id."""
    app = app_factory(postgres_database)
    sessions = app.state.sessionmaker
    manager = await create_user(sessions)
    org = await create_organization(sessions, manager=manager, **VERIFIED)
    return app, bearer(app, manager), str(org.id)


async def _waiting_on_locks(url: str) -> int:
    rows = await _rows(
        url,
        "SELECT count(*) AS n FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return int(rows[0]["n"])


async def _burst_held_by_a_lock(
    url: str, served: Service, headers: dict[str, str], org_id: str
) -> tuple[asyncpg.Connection, list[asyncio.Task[httpx.Response]], httpx.AsyncClient]:
    """`BURST` listing creations, each waiting inside its transaction on the test's lock."""
    holder = await asyncpg.connect(_dsn(url))
    await holder.execute("BEGIN; LOCK TABLE listing IN SHARE ROW EXCLUSIVE MODE")
    http = httpx.AsyncClient(base_url=served.base_url, timeout=120, trust_env=False)
    requests = [
        asyncio.create_task(http.post(LISTINGS, json=listing_body(org_id), headers=headers))
        for _ in range(BURST)
    ]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while await _waiting_on_locks(url) < BURST:
        assert loop.time() < deadline, "the requests never reached the lock"
        await asyncio.sleep(0.1)
    return holder, requests, http


async def _served_with_a_held_burst(
    url: str, proposer: tuple[FastAPI, dict[str, str], str], tmp_path: Path, *, grace_seconds: int
) -> tuple[Service, asyncpg.Connection, list[asyncio.Task[httpx.Response]], httpx.AsyncClient]:
    """A `serve` process with this shutdown grace, ready, and a burst of writes held inside
    their transactions by the test's lock (`_burst_held_by_a_lock`)."""
    _, headers, org_id = proposer
    environ = environment(
        url, tmp_path / "files", shutdown_grace_seconds=str(grace_seconds), **ROOMY_POOL
    )
    served = await start_api("api", environ, tmp_path / "logs")
    await wait_ready(served)
    return (served, *await _burst_held_by_a_lock(url, served, headers, org_id))


async def _listings_of(url: str, org_id: str) -> list[asyncpg.Record]:
    return await _rows(
        url, "SELECT id::text AS id, code FROM listing WHERE proposer_org_id = $1::uuid", org_id
    )


async def test_sigterm_lets_every_write_in_flight_finish(
    postgres_database: str, proposer: tuple[FastAPI, dict[str, str], str], tmp_path: Path
) -> None:
    _, headers, org_id = proposer
    served, holder, requests, http = await _served_with_a_held_burst(
        postgres_database, proposer, tmp_path, grace_seconds=30
    )
    try:
        served.send(signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert served.running, "the process left its requests behind"
        with pytest.raises(httpx.TransportError):  # no new request once it is stopping
            async with httpx.AsyncClient(base_url=served.base_url, trust_env=False) as late:
                await late.post(LISTINGS, json=listing_body(org_id), headers=headers)
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    responses = await asyncio.gather(*requests)
    await http.aclose()
    assert await served.stop() == STOPPED, served.tail()

    assert [r.status_code for r in responses] == [201] * BURST, [r.text for r in responses]
    acknowledged = {r.json()["id"] for r in responses}
    stored = await _listings_of(postgres_database, org_id)
    assert {row["id"] for row in stored} == acknowledged
    audited = await _rows(
        postgres_database,
        "SELECT resource_id FROM audit_entry WHERE resource_type = 'listing' "
        "AND action = 'listing.create' AND resource_id = ANY($1::text[])",
        list(acknowledged),
    )
    events = await _rows(
        postgres_database,
        "SELECT resource_id FROM event WHERE type = 'listing.created' "
        "AND resource_id = ANY($1::text[])",
        list(acknowledged),
    )
    assert sorted(r["resource_id"] for r in audited) == sorted(acknowledged)
    assert sorted(r["resource_id"] for r in events) == sorted(acknowledged)


async def test_writes_still_waiting_past_the_grace_are_cut_and_leave_nothing(
    postgres_database: str, proposer: tuple[FastAPI, dict[str, str], str], tmp_path: Path
) -> None:
    _, _, org_id = proposer
    served, holder, requests, http = await _served_with_a_held_burst(
        postgres_database, proposer, tmp_path, grace_seconds=1
    )
    try:
        code = await served.stop()  # the grace ends while every request still waits
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    outcomes = await asyncio.gather(*requests, return_exceptions=True)
    await http.aclose()

    assert code == STOPPED, served.tail()
    answered = [o for o in outcomes if isinstance(o, httpx.Response)]
    assert all(isinstance(o, httpx.TransportError) for o in outcomes if o not in answered)
    assert all(r.status_code >= 500 for r in answered), [r.text for r in answered]
    assert await _listings_of(postgres_database, org_id) == []
