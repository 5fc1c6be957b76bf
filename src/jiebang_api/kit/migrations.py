"""Alembic configuration and revision look-ups shared by the CLI, readiness and tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    """An alembic Config that needs no alembic.ini (the CLI and tests use it)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision(migrations_dir: Path) -> str | None:
    """The newest revision of the single chain."""
    return ScriptDirectory(str(migrations_dir)).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    async with engine.connect() as connection:
        has_table = await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, "alembic_version")
        )
        if not has_table:
            return None
        value = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        return str(value) if value is not None else None


def upgrade(database_url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Migrate up (blocking; alembic's env runs its own event loop)."""
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def downgrade(database_url: str, migrations_dir: Path, revision: str) -> None:
    command.downgrade(alembic_config(database_url, migrations_dir), revision)


async def upgrade_async(database_url: str, migrations_dir: Path) -> None:
    """Migrate up from async code, in a worker thread with its own loop."""
    await asyncio.to_thread(upgrade, database_url, migrations_dir)
