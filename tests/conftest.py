"""Test databases: the integration, contract and migration suites run on every backend.

SQLite always runs. PostgreSQL runs when `JIEBANG_TEST_POSTGRES_URL` (default: the local
server) answers; each session creates a fresh database there and drops it at the end. When
it does not answer, the run says so loudly and goes on with SQLite only, unless
`JIEBANG_REQUIRE_POSTGRES=1`, which makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import contract_guard
import processes
from factories import bearer, create_user
from jiebang_api.kit.migrations import upgrade
from jiebang_api.main import create_app, dispose
from jiebang_api.models import User
from jiebang_api.settings import Environment, Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "JIEBANG_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("JIEBANG_REQUIRE_POSTGRES") == "1"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

_backends: list[str] = ["sqlite"]
_postgres_problem: str | None = None
_exercised: set[str] = set()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_execute(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _plain_tracebacks() -> None:
    """structlog's default console renderer prints every frame's locals through rich: about
    a minute for one logged 500 with a request's stack. Tests log plain tracebacks."""
    processors = [
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        if isinstance(p, structlog.dev.ConsoleRenderer)
        else p
        for p in structlog.get_config()["processors"]
    ]
    structlog.configure(processors=processors)


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_problem
    _plain_tracebacks()
    try:
        asyncio.run(_postgres_execute("SELECT 1"))
    except Exception as error:  # any failure to connect means "not available"
        _postgres_problem = f"{type(error).__name__}: {error}"
        if REQUIRE_POSTGRES:
            raise pytest.UsageError(
                f"JIEBANG_REQUIRE_POSTGRES=1 but PostgreSQL at {POSTGRES_ADMIN_URL} is "
                f"unreachable ({_postgres_problem})"
            ) from None
    else:
        _backends.append("postgresql")


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"database backends: {', '.join(_backends)}"]
    if _postgres_problem:
        lines.append(
            "!!! PostgreSQL UNREACHABLE — running SQLite only "
            f"({_postgres_problem}); set JIEBANG_REQUIRE_POSTGRES=1 to fail instead !!!"
        )
    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker tells the controller which backends it exercised."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["exercised"] = sorted(_exercised)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller gathers the backends its xdist workers exercised."""
    _exercised.update(getattr(node, "workeroutput", {}).get("exercised", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = ", ".join(sorted(_exercised)) or "none"
    terminalreporter.write_sep("=", f"database backends exercised: {ran}")
    if _postgres_problem:
        terminalreporter.write_line(
            "WARNING: PostgreSQL was NOT tested — it was unreachable.", red=True, bold=True
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends, scope="session")


def _create_database(backend: str, base_dir: Path) -> tuple[str, Callable[[], None]]:
    """A new empty database on `backend` and the function that removes it."""
    name = f"jiebang_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        path = base_dir / f"{name}.db"
        return f"sqlite+aiosqlite:///{path}", lambda: None
    asyncio.run(_postgres_execute(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        asyncio.run(_postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url, drop


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, shared by the session's tests on `backend`."""
    url, drop = _create_database(backend, tmp_path_factory.mktemp(backend))
    upgrade(url, MIGRATIONS)
    _exercised.add(backend)
    yield url
    drop()


@pytest.fixture(scope="session")
def database_factory(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], str]]:
    """Make further migrated databases on `backend` (dropped at the end of the session)."""
    drops: list[Callable[[], None]] = []

    def make() -> str:
        url, drop = _create_database(backend, tmp_path_factory.mktemp(f"{backend}-extra"))
        drops.append(drop)
        upgrade(url, MIGRATIONS)
        _exercised.add(backend)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture
def postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database of the test's own, for what only a database server
    shows (connections it drops). Without PostgreSQL the test is skipped, and the run says
    so loudly (above); with JIEBANG_REQUIRE_POSTGRES=1 the run fails instead."""
    if "postgresql" not in _backends:
        pytest.skip(f"PostgreSQL unreachable: {_postgres_problem}")
    url, drop = _create_database("postgresql", tmp_path_factory.mktemp("postgresql-own"))
    upgrade(url, MIGRATIONS)
    _exercised.add("postgresql")
    yield url
    drop()


@pytest.fixture
def empty_postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own (no tables); skipped as
    `postgres_database` is without PostgreSQL."""
    if "postgresql" not in _backends:
        pytest.skip(f"PostgreSQL unreachable: {_postgres_problem}")
    url, drop = _create_database("postgresql", tmp_path_factory.mktemp("postgresql-empty"))
    _exercised.add("postgresql")
    yield url
    drop()


@pytest.fixture
def empty_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A brand-new database with no tables (for migration tests)."""
    url, drop = _create_database(backend, tmp_path_factory.mktemp(f"{backend}-empty"))
    _exercised.add(backend)
    yield url
    drop()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "migrations_dir": MIGRATIONS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


AppFactory = Callable[..., FastAPI]


@pytest.fixture
async def app_factory() -> AsyncIterator[AppFactory]:
    """Build apps on other databases or settings; their engines are disposed afterwards."""
    built: list[FastAPI] = []

    def build(database_url: str, **overrides: object) -> FastAPI:
        built.append(create_app(make_settings(database_url, **overrides)))
        return built[-1]

    yield build
    for application in built:
        await dispose(application)


@pytest.fixture
async def reap_processes() -> AsyncIterator[None]:
    """No `jiebang-api` process a test started outlives it (`processes.reap`), even when the
    test failed before it could stop them."""
    yield
    await processes.reap()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


_contract_breaks: list[str] = []


async def _hold_to_the_contract(response: httpx.Response) -> None:
    await response.aread()
    _contract_breaks.extend(contract_guard.check(response))


def _client_for(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [_hold_to_the_contract]},
    )


@pytest.fixture(autouse=True)
def _responses_keep_the_contract() -> Iterator[None]:
    """Every response a test's HTTP client received keeps the committed contract
    (`tests/contract_guard.py`); the test that received one that does not fails."""
    _contract_breaks.clear()
    yield
    broken = sorted(set(_contract_breaks))
    _contract_breaks.clear()
    assert not broken, "responses that break the contract:\n" + "\n".join(broken)


@pytest.fixture
def client_for() -> Callable[[FastAPI], httpx.AsyncClient]:
    """Open an in-process HTTP client on another app (use it with `async with`)."""
    return _client_for


@pytest.fixture
def sessions(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test database (through the app's engine), for factories and checks."""
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@pytest.fixture
async def admin(sessions: async_sessionmaker[AsyncSession]) -> User:
    return await create_user(sessions, roles=("admin",))


@pytest.fixture
def admin_headers(app: FastAPI, admin: User) -> dict[str, str]:
    return bearer(app, admin)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_for(app) as http:
        yield http
