"""What several processes share: sign-in failures counted in Redis (the rate-limit storage)
across two app instances, not per process. (Migrations run once when four processes start
together: test_process_lifecycle.py.)

Redis is the machine's, on loopback (`JIEBANG_TEST_REDIS_URL`, default database 7); without
it the Redis test is skipped, unless `JIEBANG_REQUIRE_REDIS=1` (as in CI) makes that a
failure. Keys are namespaced by a fresh username, so runs never meet."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from factories import PASSWORD, create_user

REDIS_URL = os.environ.get("JIEBANG_TEST_REDIS_URL", "async+redis://127.0.0.1:6379/7")
REQUIRE_REDIS = os.environ.get("JIEBANG_REQUIRE_REDIS") == "1"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
TOKEN = "/api/v1/auth/token"
WRONG = "not-the-password-1"
FREE_FAILURES = 5  # the default JIEBANG_LOGIN_FAILURE_LIMIT, 5/15minutes

AppFactory = Callable[..., FastAPI]


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _reachable(REDIS_URL):
        if REQUIRE_REDIS:
            pytest.fail(f"JIEBANG_REQUIRE_REDIS=1 but Redis at {REDIS_URL} is unreachable")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    return REDIS_URL


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def sign_in(http: httpx.AsyncClient, username: str, password: str) -> int:
    form = {"grant_type": "password", "username": username, "password": password}
    return (await http.post(TOKEN, data=form)).status_code


async def failures_then_the_owner(one: FastAPI, two: FastAPI) -> list[int]:
    """Six wrong passwords spread over the two instances, then the right one on the second:
    the statuses."""
    user = await create_user(one.state.sessionmaker)
    statuses = []
    async with client_at(one, "10.9.0.1") as a, client_at(two, "10.9.0.1") as b:
        for n in range(FREE_FAILURES + 1):
            statuses.append(await sign_in(a if n % 2 == 0 else b, user.username, WRONG))
        statuses.append(await sign_in(b, user.username, PASSWORD))
    return statuses


async def test_two_instances_on_redis_count_failures_together(
    app_factory: AppFactory, database_url: str, redis_url: str
) -> None:
    one = app_factory(database_url, rate_limit_storage_url=redis_url)
    two = app_factory(database_url, rate_limit_storage_url=redis_url)
    # Six failures in all: the owner's next attempt waits (a second), wherever it lands.
    assert await failures_then_the_owner(one, two) == [401] * 6 + [429]


async def test_two_instances_in_memory_count_apart(
    app_factory: AppFactory, database_url: str
) -> None:
    """What Redis is for: in memory, each instance saw three failures, none of them enough."""
    one, two = app_factory(database_url), app_factory(database_url)
    assert await failures_then_the_owner(one, two) == [401] * 6 + [200]
