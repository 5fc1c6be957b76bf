"""A database the service cannot reach: every endpoint answers 503 with `Retry-After` (an
outage, retry later), not 500 (a bug); errors that are not outages keep their answer."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import exc as sa
from sqlalchemy.engine import make_url

from conftest import AppFactory
from jiebang_api.api.outage import RETRY_AFTER_SECONDS, is_outage

PUBLIC = "/api/v1/public/listings"


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (sa.OperationalError("SELECT 1", {}, Exception("unable to open database file")), True),
        (sa.InterfaceError("SELECT 1", {}, Exception("connection is closed")), True),
        (sa.ProgrammingError("SELECT 1", {}, _PgError("3D000")), True),  # database dropped
        (sa.DBAPIError("SELECT 1", {}, _PgError("57P01")), True),  # admin shutdown
        (sa.DBAPIError("SELECT 1", {}, _PgError("08006")), True),  # connection failure
        (sa.TimeoutError("QueuePool limit reached"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (sa.ProgrammingError("SELEC 1", {}, _PgError("42601")), False),  # a syntax error: a bug
        (sa.IntegrityError("INSERT", {}, _PgError("23505")), False),
        (ValueError("not a database error"), False),
    ],
)
def test_what_counts_as_an_outage(error: Exception, outage: bool) -> None:
    assert is_outage(error) is outage


@pytest.fixture
def throwaway(database_factory: Callable[[], str]) -> str:
    """A migrated database of this test's own (made outside the event loop)."""
    return database_factory()


def _make_unopenable(path: Path) -> None:
    path.unlink()
    path.mkdir()  # a directory where the file was: no connection can open it


async def _lose(backend: str, url: str) -> None:
    """Take the throwaway database away from under the running app (never another one)."""
    parsed = make_url(url)
    if backend == "sqlite":
        await asyncio.to_thread(_make_unopenable, Path(str(parsed.database)))
        return
    assert str(parsed.database).startswith("jiebang_test_")
    admin = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database="postgres"
    )
    try:
        await admin.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_a_lost_database_answers_503_with_retry_after(
    backend: str, throwaway: str, app_factory: AppFactory, client_for: Callable[..., Any]
) -> None:
    url = throwaway
    app = app_factory(url)
    async with client_for(app) as http:
        assert (await http.get(PUBLIC)).status_code == 200
        await _lose(backend, url)
        await app.state.engine.dispose()  # SQLite: no pooled handle to the old file survives
        for _ in range(2):  # the next request is answered the same way, not with a 500
            response = await http.get(PUBLIC, headers={"Accept-Language": "en"})
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            assert response.headers["Content-Type"] == "application/problem+json"
            problem = response.json()
            assert problem["code"] == "SERVICE_UNAVAILABLE"
            assert "database" in problem["detail"]
            assert "asyncpg" not in response.text
            assert "sqlite" not in response.text.lower()
    if backend == "sqlite":
        await asyncio.to_thread(shutil.rmtree, Path(str(make_url(url).database)))
