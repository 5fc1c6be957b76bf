"""Every revision upgrades, downgrades and upgrades again, on every backend; at head the
schema is exactly what the models declare."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from jiebang_api.kit.db import make_engine
from jiebang_api.kit.migrations import current_revision, downgrade, upgrade
from jiebang_api.models import Base
from jiebang_api.settings import Settings

MIGRATIONS = Settings(_env_file=None).resolved_migrations_dir()  # type: ignore[call-arg]


def revisions_oldest_first() -> list[tuple[str, str]]:
    script = ScriptDirectory(str(MIGRATIONS))
    steps = [(r.revision, str(r.down_revision or "base")) for r in script.walk_revisions()]
    return list(reversed(steps))


def test_the_chain_has_one_head() -> None:
    assert len(ScriptDirectory(str(MIGRATIONS)).get_heads()) == 1


async def revision_of(url: str) -> str | None:
    engine = make_engine(url, null_pool=True)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


async def test_stairway(empty_database: str) -> None:
    steps = revisions_oldest_first()
    assert steps, "no migrations found"
    for revision, previous in steps:
        await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, revision)
        assert await revision_of(empty_database) == revision
        await asyncio.to_thread(downgrade, empty_database, MIGRATIONS, previous)
        assert await revision_of(empty_database) == (None if previous == "base" else previous)
        await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, revision)
    await asyncio.to_thread(downgrade, empty_database, MIGRATIONS, "base")
    assert await revision_of(empty_database) is None


# Indexes only one engine has, made by migrations on purpose (PostgreSQL trigram search).
ENGINE_SPECIFIC_INDEXES = {"ix_listing_search_trgm"}


def _not_engine_specific(obj: Any, name: str | None, type_: str, reflected: bool, _: Any) -> bool:
    return not (type_ == "index" and name in ENGINE_SPECIFIC_INDEXES)


# SQLite cannot reflect expression indexes (lower(username)); PostgreSQL compares them.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning",
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)
async def test_head_schema_matches_the_models(empty_database: str) -> None:
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "head")
    engine = make_engine(empty_database, null_pool=True)

    def differences(connection: Any) -> list[Any]:
        options = {"compare_type": True, "include_object": _not_engine_specific}
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, Base.metadata))

    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
