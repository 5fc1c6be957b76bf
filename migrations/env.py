"""Alembic environment: async engine, one chain for PostgreSQL and SQLite (batch mode)."""

from __future__ import annotations

import asyncio
import logging.config

from alembic import context
from sqlalchemy.engine import Connection

from jiebang_api.kit.db import make_engine
from jiebang_api.models import Base
from jiebang_api.settings import Settings

config = context.config
if config.config_file_name is not None and config.get_section("loggers"):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
# The advisory lock key that serialises upgrades of one database (any fixed number).
MIGRATION_LOCK = 7390016


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else (url or "").split(":")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=dialect.startswith("sqlite"),
        compare_type=True,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop the old one, rename). With foreign keys
        # enforced, dropping the old table would delete every row that references it ON
        # DELETE CASCADE and empty every SET NULL reference. Enforcement can only change
        # outside a transaction: off before the migrations begin (on the driver's connection,
        # since SQLAlchemy would open one first), every reference checked before they commit.
        cursor = connection.connection.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Processes started together migrate one at a time: the first takes the lock and
            # upgrades; each other waits for its commit, then reads the revision: head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


async def run_online() -> None:
    engine = make_engine(_database_url(), null_pool=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
