"""The change feed (`GET /api/v1/events`): who reads it, its parameters, and that a reader
following `next_after` sees every event exactly once — also on PostgreSQL when transactions
commit out of sequence order (two writers, and many at random)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conftest import AppFactory
from factories import bearer, create_organization, create_service_client, create_user
from jiebang_api.kit.db import make_engine, make_sessionmaker
from jiebang_api.outbox import service as outbox

Sessions = async_sessionmaker[AsyncSession]
EVENTS = "/api/v1/events"
# How long an event may wait for older transactions elsewhere on the server (other test
# runs share the PostgreSQL cluster, and its horizon) before the test gives up.
SETTLE_SECONDS = 30.0


async def add_event(session: AsyncSession, resource: str, n: int = 0) -> int:
    """An outbox row about `resource` in the session's transaction; its sequence."""
    event = await outbox.add(
        session,
        event_type="listing.published",
        resource_type="listing",
        resource_id=resource,
        now=datetime.now(UTC),
        payload={"n": n},
    )
    return event.sequence


async def write(sessions: Sessions, resource: str, count: int = 1) -> list[int]:
    async with sessions() as session:
        sequences = [await add_event(session, resource, n) for n in range(count)]
        await session.commit()
    return sequences


async def page(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(EVENTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def follow(
    client: httpx.AsyncClient, headers: dict[str, str], after: int, limit: int = 500
) -> tuple[list[dict[str, Any]], int]:
    """Every item from `after` until a page comes back empty, and the cursor then."""
    items: list[dict[str, Any]] = []
    while True:
        body = await page(client, headers, after=after, limit=limit)
        if not body["items"]:
            assert body["next_after"] == after
            return items, after
        assert body["next_after"] == body["items"][-1]["sequence"]
        items += body["items"]
        after = body["next_after"]


async def follow_until(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    after: int,
    done: Callable[[list[dict[str, Any]]], bool],
) -> tuple[list[dict[str, Any]], int]:
    """Follow the feed, polling, until `done(items so far)`."""
    items: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while True:
        more, after = await follow(client, headers, after)
        items += more
        if done(items):
            return items, after
        assert asyncio.get_running_loop().time() < deadline, f"the feed stalled: {items}"
        await asyncio.sleep(0.05)


def of(items: list[dict[str, Any]], *resources: str) -> list[dict[str, Any]]:
    return [item for item in items if item["resource_id"] in resources]


@pytest.fixture
async def reader(app: FastAPI, sessions: Sessions) -> dict[str, str]:
    return bearer(app, await create_service_client(sessions))


# --- the contract of the operation ------------------------------------------------------


async def test_a_reader_gets_each_event_once_in_order_with_its_payload(
    client: httpx.AsyncClient, sessions: Sessions, reader: dict[str, str]
) -> None:
    _, start = await follow(client, reader, 0)
    resource = str(uuid.uuid4())
    sequences = await write(sessions, resource, 3)
    items, end = await follow_until(client, reader, start, lambda got: len(of(got, resource)) == 3)
    mine = of(items, resource)
    assert [item["sequence"] for item in mine] == sequences
    assert [item["data"]["n"] for item in mine] == [0, 1, 2]
    first = mine[0]
    assert first["type"] == "listing.published"
    assert first["resource_type"] == "listing"
    assert set(first) == {
        "id", "sequence", "type", "resource_type", "resource_id", "occurred_at", "data"
    }  # fmt: skip
    # Nothing new: the cursor stays where it is.
    assert (await page(client, reader, after=end)) == {"items": [], "next_after": end}
    # Small pages give the same events.
    paged: list[dict[str, Any]] = []
    after = start
    while len(of(paged, resource)) < 3:
        body = await page(client, reader, after=after, limit=1)
        assert len(body["items"]) == 1
        paged += body["items"]
        after = body["next_after"]
    assert of(paged, resource) == mine


async def test_types_narrow_the_feed(
    client: httpx.AsyncClient, sessions: Sessions, reader: dict[str, str]
) -> None:
    _, start = await follow(client, reader, 0)
    resource = str(uuid.uuid4())
    await write(sessions, resource)
    await follow_until(client, reader, start, lambda got: bool(of(got, resource)))
    only = await page(client, reader, after=start, types="project.created,listing.published")
    assert of(only["items"], resource)
    assert {item["type"] for item in only["items"]} <= {"project.created", "listing.published"}
    other = await page(client, reader, after=start, types="project.created")
    assert not of(other["items"], resource)


@pytest.mark.parametrize(
    ("types", "named"),
    [
        ("listing.nonsense", "`listing.nonsense`"),
        ("listing.closed,nope,nope", "`nope`"),
        ("listing.closed,", "``"),
        ("", "``"),
    ],
)
async def test_an_unknown_type_is_refused_naming_it(
    client: httpx.AsyncClient, reader: dict[str, str], types: str, named: str
) -> None:
    response = await client.get(
        EVENTS, params={"types": types}, headers={**reader, "Accept-Language": "en"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    [violation] = problem["violations"]
    assert violation["field"] == "query.types"
    assert named in violation["message"]


async def test_after_must_name_an_event(
    client: httpx.AsyncClient, sessions: Sessions, reader: dict[str, str]
) -> None:
    [sequence] = await write(sessions, str(uuid.uuid4()))
    async with sessions() as session:
        await add_event(session, "never")  # a sequence drawn, then rolled back
        await session.rollback()
    async with sessions() as session:
        gap = await add_event(session, "never")
        await session.rollback()
    response = await client.get(EVENTS, params={"after": gap}, headers=reader)
    assert response.status_code == 422
    assert response.json()["violations"][0]["field"] == "query.after"
    assert (await client.get(EVENTS, params={"after": sequence}, headers=reader)).status_code == 200


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"after": -1}, {"after": 2**63}])
async def test_out_of_range_parameters_are_refused(
    client: httpx.AsyncClient, reader: dict[str, str], params: dict[str, int]
) -> None:
    response = await client.get(EVENTS, params=params, headers=reader)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_the_department_reads_it_and_nobody_else(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    admin = bearer(app, await create_user(sessions, roles=("admin",)))
    assert (await client.get(EVENTS, headers=admin)).status_code == 200
    manager = await create_user(sessions)
    await create_organization(sessions, manager=manager)
    for account in (manager, await create_user(sessions, roles=("expert",))):
        response = await client.get(EVENTS, headers=bearer(app, account))
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"
    anonymous = await client.get(EVENTS)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "UNAUTHENTICATED"


# --- out-of-order commits on PostgreSQL --------------------------------------------------


@pytest.fixture
async def own_postgres(
    postgres_database: str, app_factory: AppFactory, client_for: Callable[[FastAPI], Any]
) -> AsyncIterator[tuple[Sessions, httpx.AsyncClient, dict[str, str]]]:
    """Writers on an engine of their own, and a reader through the API, on a PostgreSQL
    database of the test's own."""
    app = app_factory(postgres_database)
    engine = make_engine(postgres_database, pool_size=20)
    writers = make_sessionmaker(engine)
    headers = bearer(app, await create_service_client(app.state.sessionmaker))
    async with client_for(app) as client:
        yield writers, client, headers
    await engine.dispose()


async def test_a_lower_sequence_in_flight_holds_back_a_higher_committed_one(
    own_postgres: tuple[Sessions, httpx.AsyncClient, dict[str, str]],
) -> None:
    writers, client, reader = own_postgres
    _, start = await follow(client, reader, 0)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    async with writers() as writer_a:
        sequence_a = await add_event(writer_a, a)  # drawn first, not committed
        [sequence_b] = await write(writers, b)  # drawn after, committed
        assert sequence_a < sequence_b
        for _ in range(5):
            seen, cursor = await follow(client, reader, start)
            assert not of(seen, a, b), "B came while A, older, was still in flight"
            assert cursor == start
            await asyncio.sleep(0.05)
        await writer_a.commit()
    items, _ = await follow_until(client, reader, start, lambda got: len(of(got, a, b)) == 2)
    assert [item["sequence"] for item in of(items, a, b)] == [sequence_a, sequence_b]


async def test_an_older_transaction_committing_a_higher_sequence_does_not_skip_a_lower_one(
    own_postgres: tuple[Sessions, httpx.AsyncClient, dict[str, str]],
) -> None:
    """The case a sequence-ordered feed gets wrong: A takes its transaction id first (it
    writes something else), B draws the lower sequence and stays open, A draws the higher
    one and commits. A's event may come first; B's must still come, once, when B commits."""
    writers, client, reader = own_postgres
    _, start = await follow(client, reader, 0)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    async with writers() as writer_a, writers() as writer_b:
        await writer_a.execute(text("SELECT pg_current_xact_id()"))  # A's id comes first
        sequence_b = await add_event(writer_b, b)
        sequence_a = await add_event(writer_a, a)
        assert sequence_b < sequence_a
        await writer_a.commit()
        first, cursor = await follow_until(client, reader, start, lambda got: bool(of(got, a)))
        assert not of(first, b)
        await writer_b.commit()
    rest, _ = await follow_until(client, reader, cursor, lambda got: bool(of(got, b)))
    seen = [item["sequence"] for item in of(first + rest, a, b)]
    assert seen == [sequence_a, sequence_b]


async def test_random_concurrent_writers_are_each_seen_exactly_once(
    own_postgres: tuple[Sessions, httpx.AsyncClient, dict[str, str]],
) -> None:
    writers, client, reader = own_postgres
    _, start = await follow(client, reader, 0)
    rng = random.Random(17)  # noqa: S311 - a test's schedule
    resources = [str(uuid.uuid4()) for _ in range(12)]
    committed: set[int] = set()
    writing = True

    async def writer(resource: str) -> None:
        async with writers() as session:
            if rng.random() < 0.5:  # its transaction id before others draw their sequences
                await session.execute(text("SELECT pg_current_xact_id()"))
            await asyncio.sleep(rng.random() * 0.05)
            sequences = [await add_event(session, resource, n) for n in range(rng.randint(1, 3))]
            await asyncio.sleep(rng.random() * 0.2)
            if rng.random() < 0.2:
                await session.rollback()
                return
            await session.commit()
            committed.update(sequences)

    seen: list[int] = []

    async def poll() -> None:
        after = start
        while writing:
            body = await page(client, reader, after=after, limit=rng.randint(1, 4))
            seen.extend(item["sequence"] for item in of(body["items"], *resources))
            after = body["next_after"]
            await asyncio.sleep(0.005)
        items, _ = await follow_until(
            client, reader, after, lambda got: committed <= set(seen) | _seqs(got, resources)
        )
        seen.extend(item["sequence"] for item in of(items, *resources))

    polling = asyncio.create_task(poll())
    await asyncio.gather(*(writer(resource) for resource in resources))
    writing = False
    await polling
    assert len(seen) == len(set(seen)), "an event came twice"
    assert set(seen) == committed


def _seqs(items: list[dict[str, Any]], resources: list[str]) -> set[int]:
    return {item["sequence"] for item in of(items, *resources)}
