"""The movable clock of dev and test: shared through the database, audited, absent in prod."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from factories import bearer, create_user
from jiebang_api.api.deps import NowDep
from jiebang_api.api.routing import StrictRoute
from jiebang_api.models import AuditEntry

ClientFor = Callable[[FastAPI], httpx.AsyncClient]


@pytest.fixture(autouse=True)
async def real_time_after(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> AsyncIterator[None]:
    """Moves are for administrators; the clock is shared by the whole database, so it is left
    at real time."""
    client.headers.update(admin_headers)
    yield
    response = await client.post("/api/v1/sandbox/clock", json={"reset": True})
    assert response.status_code == 200


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_the_clock_starts_at_real_time(client: httpx.AsyncClient) -> None:
    before = datetime.now(UTC)
    body = (await client.get("/api/v1/sandbox/clock")).json()
    assert body["offset_seconds"] == 0
    assert before <= parse(body["now"]) <= datetime.now(UTC)


async def test_advance_accumulates(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 86400})
    body = (await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 3600})).json()
    assert body["offset_seconds"] == 90000
    assert parse(body["now"]) - parse(body["real_now"]) == timedelta(seconds=90000)


async def test_set_to_moves_now_to_that_instant(client: httpx.AsyncClient) -> None:
    target = "2027-03-01T09:00:00+08:00"
    body = (await client.post("/api/v1/sandbox/clock", json={"set_to": target})).json()
    assert abs(parse(body["now"]) - datetime.fromisoformat(target)) < timedelta(seconds=1)
    later = (await client.get("/api/v1/sandbox/clock")).json()
    assert parse(later["now"]) >= parse(body["now"])


async def test_reset_returns_to_real_time(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 500})
    body = (await client.post("/api/v1/sandbox/clock", json={"reset": True})).json()
    assert body["offset_seconds"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance_seconds": 10, "reset": True},
        {"advance_seconds": 10, "set_to": "2027-01-01T00:00:00Z"},
        {"reset": False},
        {"set_to": "2027-01-01T00:00:00"},  # no timezone
        {"advance_seconds": 3650 * 86400 + 1},
        {"advance_seconds": 1.5},
    ],
)
async def test_ambiguous_or_invalid_moves_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/sandbox/clock", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert (await client.get("/api/v1/sandbox/clock")).json()["offset_seconds"] == 0


async def test_drifting_more_than_ten_years_in_total_is_refused(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 3000 * 86400})
    response = await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 700 * 86400})
    assert response.status_code == 422
    assert (await client.get("/api/v1/sandbox/clock")).json()["offset_seconds"] == 3000 * 86400


async def test_set_to_far_beyond_ten_years_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/sandbox/clock", json={"set_to": "9999-12-31T23:59:59Z"})
    assert response.status_code == 422


async def test_every_process_sees_the_same_offset(
    client: httpx.AsyncClient, app_factory: Any, database_url: str, client_for: ClientFor
) -> None:
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 7200})
    async with client_for(app_factory(database_url)) as other_process:
        body = (await other_process.get("/api/v1/sandbox/clock")).json()
    assert body["offset_seconds"] == 7200


async def test_rules_take_now_from_the_sandbox_clock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def what_time(now: NowDep) -> dict[str, str]:
        return {"now": now.isoformat()}

    app.router.add_api_route("/what-time", what_time, route_class_override=StrictRoute)
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 30 * 86400})
    seen = parse((await client.get("/what-time")).json()["now"])
    assert seen - datetime.now(UTC) > timedelta(days=29)


async def test_moves_are_audited(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.post(
        "/api/v1/sandbox/clock", json={"advance_seconds": 60}, headers={"X-Request-ID": "move-1"}
    )
    async with app.state.sessionmaker() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.request_id == "move-1"))
    assert entry is not None
    assert entry.action == "sandbox_clock.move"
    assert entry.resource_type == "sandbox_clock"
    assert entry.data["offset_after_seconds"] - entry.data["offset_before_seconds"] == 60


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_prod_has_no_sandbox_clock(
    app_factory: Any, database_url: str, client_for: ClientFor, method: str
) -> None:
    prod = app_factory(database_url, env="prod", jwt_secret="s" * 40)
    async with client_for(prod) as http:
        response = await http.request(method, "/api/v1/sandbox/clock", json={"advance_seconds": 60})
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_prod_ignores_a_stored_offset(
    client: httpx.AsyncClient, app_factory: Any, database_url: str, client_for: ClientFor
) -> None:
    await client.post("/api/v1/sandbox/clock", json={"advance_seconds": 30 * 86400})
    prod = app_factory(database_url, env="prod", jwt_secret="s" * 40)

    async def what_time(now: NowDep) -> dict[str, str]:
        return {"now": now.isoformat()}

    prod.router.add_api_route("/what-time", what_time, route_class_override=StrictRoute)
    async with client_for(prod) as http:
        seen = parse((await http.get("/what-time")).json()["now"])
    assert abs(seen - datetime.now(UTC)) < timedelta(minutes=1)


async def test_anonymous_callers_cannot_move_the_clock(app: FastAPI, client_for: ClientFor) -> None:
    async with client_for(app) as anonymous:
        response = await anonymous.post("/api/v1/sandbox/clock", json={"advance_seconds": 60})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert (await anonymous.get("/api/v1/sandbox/clock")).json()["offset_seconds"] == 0


async def test_only_administrators_move_the_clock(
    app: FastAPI, client_for: ClientFor, sessions: Any
) -> None:
    expert = await create_user(sessions, roles=("expert",))
    async with client_for(app) as http:
        response = await http.post(
            "/api/v1/sandbox/clock", json={"advance_seconds": 60}, headers=bearer(app, expert)
        )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
