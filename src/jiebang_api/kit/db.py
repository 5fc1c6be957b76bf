"""Database plumbing: engine, sessions, and column types that behave alike on both engines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, Numeric, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, TypeEngine

AUTOCOMMIT = "AUTOCOMMIT"
READ_ONLY = "jiebang_read_only"  # an execution option: the connection serves a read-only session

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant: `timestamptz` on PostgreSQL, ISO text on SQLite.

    Naive datetimes are refused on the way in; values come back aware on both engines.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC(precision, scale) on PostgreSQL; on SQLite, which has no exact
    decimal type (it would store a float), an integer count of the smallest unit (cents for
    money), so amounts stay exact to the last digit and still compare and sum numerically."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self.unit = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(self.unit)
        if exact != Decimal(value):
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self.unit)
        return Decimal(value).quantize(self.unit)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, open transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction starts, so transactions run one after another.

    With SQLite's default deferred BEGIN, two transactions that read and then write fail with
    "database is locked" instead of waiting; an immediate BEGIN waits (busy_timeout) instead.
    A read-only session's BEGIN is deferred: a consistent snapshot that never waits for the
    write lock (in WAL mode readers and the writer do not block each other).
    """
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    null_pool: bool = False,
    pre_ping: bool = False,
) -> AsyncEngine:
    """An async engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    Without `pre_ping` a pooled connection the server has dropped fails the one request that
    meets it (an outage answer, 503), and that failure renews every pooled connection: no
    round trip is spent on every checkout to spare that one request.
    """
    kwargs: dict[str, Any] = {"echo": echo}
    if null_pool:
        kwargs["poolclass"] = NullPool
    elif not url.startswith("sqlite"):
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built from them)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class ReadOnlyViolation(RuntimeError):
    """A write inside a read-only session (a bug: safe methods change nothing)."""


class _ReadOnlySyncSession(Session):
    """The synchronous session under `ReadOnlySession` (its events are its own)."""


@event.listens_for(_ReadOnlySyncSession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("a read-only session was asked to write")


@event.listens_for(_ReadOnlySyncSession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyViolation("a read-only session was asked to write")


class ReadOnlySession(AsyncSession):
    """A session for safe requests: each statement runs on its own (autocommit: no BEGIN or
    COMMIT round trips), and anything that would write is refused before it reaches SQL."""

    sync_session_class = _ReadOnlySyncSession

    async def close(self) -> None:
        # A session that never took a connection (its reads borrowed one each, kit.fastread)
        # has nothing to give back: closing it awaits nothing, so it needs no greenlet.
        if not self.sync_session.in_transaction():
            self.sync_session.close()
            return
        await super().close()


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[ReadOnlySession]:
    """Read-only sessions on the same pool. On PostgreSQL they autocommit, so a read costs its
    queries only; SQLite's driver connection keeps its own transaction handling (switching
    it per checkout would undo `_sqlite_pragmas`), with a deferred BEGIN."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name != "sqlite":
        options["isolation_level"] = AUTOCOMMIT
    return async_sessionmaker(
        engine.execution_options(**options),
        class_=ReadOnlySession,
        expire_on_commit=False,
        autoflush=False,
    )


class ReadSessions:
    """The read-only sessions of safe requests, each kept for a later request once closed.

    SQLAlchemy resets a session on `close()` for use again; building one instead (an
    `AsyncSession` over a `Session`, their registries and transaction state) cost a tenth of
    the CPU of a public read under load. A session whose request failed is not kept, and at
    most `keep` wait idle (no more are in use at once than requests hold a database turn)."""

    def __init__(self, maker: async_sessionmaker[ReadOnlySession], keep: int) -> None:
        self._maker = maker
        self._keep = keep
        self._idle: list[ReadOnlySession] = []

    def take(self) -> ReadOnlySession:
        """An idle session, or a new one."""
        return self._idle.pop() if self._idle else self._maker()

    async def give_back(self, session: ReadOnlySession) -> None:
        """Close `session` and keep it for the next `take` (if fewer than `keep` are idle)."""
        await session.close()
        session.info.clear()
        if len(self._idle) < self._keep:
            self._idle.append(session)


@dataclass(frozen=True)
class Replica:
    """A read replica of the primary database, for anonymous public reads: a pool of its own,
    the read sessions on it, and the turns for its connections (`api.deps.unit_of_work`)."""

    engine: AsyncEngine
    read_sessions: ReadSessions
    turns: asyncio.Semaphore | None
