"""Every revision upgrades, downgrades and upgrades again, on every backend; at head the
schema is exactly what the models declare."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
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


def _row(table: sa.Table, **given: Any) -> dict[str, Any]:
    """A row for `table` as it stands at some revision: `given`, and a plain value of its type
    for every other required column."""
    plain: dict[type, Any] = {
        sa.Uuid: uuid.uuid4(),
        sa.Boolean: False,
        sa.Integer: 1,
        sa.JSON: [],
        sa.DateTime: datetime.now(UTC),
        sa.Date: date(2026, 1, 1),
        sa.String: "x",
        sa.Text: "x",
        sa.Numeric: 0,
    }
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        type_ = column.type.impl if isinstance(column.type, sa.TypeDecorator) else column.type
        kind = next(k for k in plain if isinstance(type_, k))
        row[column.name] = uuid.uuid4() if kind is sa.Uuid else plain[kind]
    return row


@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
async def test_rows_that_reference_a_rebuilt_table_survive_every_migration(
    empty_database: str,
) -> None:
    """SQLite batch mode rebuilds `organization` (0007 on): its memberships, credit records and
    subsidiaries must come through, not be cascaded away with the old table."""
    before_rebuilds = "20261129_0006"
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, before_rebuilds)
    engine = make_engine(empty_database, null_pool=True)
    parent, child, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def fill(connection: Any) -> None:
        tables = sa.MetaData()
        tables.reflect(
            connection, only=["organization", "user_account", "membership", "credit_record"]
        )
        for table in tables.tables.values():  # the models' types: how values are bound
            for column in table.columns:
                if (declared := Base.metadata.tables[table.name].c.get(column.name)) is not None:
                    column.type = declared.type
        org, account = tables.tables["organization"], tables.tables["user_account"]
        for org_id, parent_id, code in (
            (parent, None, "91150000000000001X"),
            (child, parent, "91150000000000002X"),
        ):
            connection.execute(
                org.insert().values(
                    _row(org, id=org_id, parent_org_id=parent_id, uscc=code, type="enterprise")
                )
            )
        connection.execute(
            account.insert().values(_row(account, id=user, username=f"u{user.hex[:8]}"))
        )
        membership = tables.tables["membership"]
        connection.execute(
            membership.insert().values(
                _row(membership, user_id=user, organization_id=child, role="manager")
            )
        )
        credit = tables.tables["credit_record"]
        connection.execute(
            credit.insert().values(
                _row(credit, organization_id=child, kind="serious_dishonesty", ends_on=None)
            )
        )

    def survivors(connection: Any) -> tuple[Any, ...]:
        return (
            connection.exec_driver_sql("SELECT count(*) FROM membership").scalar(),
            connection.exec_driver_sql("SELECT count(*) FROM credit_record").scalar(),
            connection.exec_driver_sql(
                "SELECT count(*) FROM organization WHERE parent_org_id IS NOT NULL"
            ).scalar(),
        )

    try:
        async with engine.begin() as connection:
            await connection.run_sync(fill)
        await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "head")
        async with engine.connect() as connection:
            assert await connection.run_sync(survivors) == (1, 1, 1)
    finally:
        await engine.dispose()
