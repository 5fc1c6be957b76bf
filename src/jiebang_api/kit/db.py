"""Database plumbing: engine, sessions, and column types that behave alike on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

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
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 10, null_pool: bool = False
) -> AsyncEngine:
    """An async engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    kwargs: dict[str, Any] = {"echo": echo}
    if null_pool:
        kwargs["poolclass"] = NullPool
    elif not url.startswith("sqlite"):
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built from them)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
