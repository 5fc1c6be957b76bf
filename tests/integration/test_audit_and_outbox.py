"""The audit chain and the outbox on real databases; `jiebang-api audit verify` end to end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api.audit import repository as audit_repository
from jiebang_api.audit import service as audit
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.db import make_engine, make_sessionmaker
from jiebang_api.kit.migrations import upgrade
from jiebang_api.models import AuditEntry
from jiebang_api.outbox import repository as outbox_repository
from jiebang_api.outbox import service as outbox
from jiebang_api.settings import Settings

MIGRATIONS = Settings(_env_file=None).resolved_migrations_dir()  # type: ignore[call-arg]
ALICE = Actor(ActorType.USER, "alice")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def own_database(empty_database: str) -> str:
    """A database of this test's own, so tampering cannot disturb other tests."""
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS)
    return empty_database


async def record_steps(
    sessions: async_sessionmaker[AsyncSession], resource_id: str, steps: int
) -> None:
    for step in range(steps):
        async with sessions() as session:
            await audit.record(
                session,
                actor=ALICE,
                action="listing.step",
                resource_type="listing",
                resource_id=resource_id,
                now=datetime.now(UTC),
                from_state=f"s{step}",
                to_state=f"s{step + 1}",
                reason="审核通过" if step else None,
                data={"step": step, "amount": "1500000.00"},
            )
            await session.commit()


def audit_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JIEBANG_DATABASE_URL": database_url, "JIEBANG_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-m", "jiebang_api", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_entries_chain_per_resource(sessions: async_sessionmaker[AsyncSession]) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await record_steps(sessions, first, 3)
    await record_steps(sessions, second, 2)
    async with sessions() as session:
        chain = await audit_repository.list_for(session, "listing", first)
        other = await audit_repository.list_for(session, "listing", second)
    assert [e.resource_seq for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash is None
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert other[0].prev_hash is None, "each resource starts its own chain"
    assert chain[2].actor_id == "alice"
    assert (chain[2].from_state, chain[2].to_state) == ("s2", "s3")


async def test_two_writers_cannot_fork_one_chain(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A writer that read a stale chain end would reuse a sequence number: the database refuses."""
    resource = str(uuid.uuid4())
    await record_steps(sessions, resource, 2)
    async with sessions() as session:
        session.add(
            AuditEntry(
                resource_type="listing",
                resource_id=resource,
                resource_seq=2,
                action="forked",
                actor_type="user",
                data={},
                occurred_at=datetime.now(UTC),
                hash="0" * 64,
            )
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_verify_reports_ok_on_a_fresh_database(own_database: str) -> None:
    result = await asyncio.to_thread(audit_verify, own_database)
    assert result.returncode == 0, result.stderr
    assert "OK: 0 entries" in result.stdout


async def test_verify_names_the_entry_altered_by_hand(own_database: str) -> None:
    engine = make_engine(own_database)
    sessions = make_sessionmaker(engine)
    resource = str(uuid.uuid4())
    await record_steps(sessions, resource, 4)
    async with sessions() as session:
        chain = await audit_repository.list_for(session, "listing", resource)
    target = chain[2]

    ok = await asyncio.to_thread(audit_verify, own_database)
    assert ok.returncode == 0, ok.stderr
    assert "OK: 4 entries in 1 chains" in ok.stdout

    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE audit_entry SET reason = :reason WHERE id = :id"),
            {
                "reason": "改过的理由",
                "id": target.id if engine.dialect.name != "sqlite" else target.id.hex,
            },
        )
    await engine.dispose()

    broken = await asyncio.to_thread(audit_verify, own_database)
    assert broken.returncode == 1
    assert str(target.id) in broken.stderr
    assert "#3" in broken.stderr


async def test_outbox_sequence_increases(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        start = max(
            (e.sequence for e in await outbox_repository.after(session, 0, 10_000)), default=0
        )
        resource = uuid.uuid4()
        for n in range(3):
            await outbox.add(
                session,
                event_type="listing.published",
                resource_type="listing",
                resource_id=resource,
                now=datetime.now(UTC),
                payload={"n": n, "amount": "10.00"},
            )
        await session.commit()
    async with sessions() as session:
        events = await outbox_repository.after(session, start, 100)
    mine = [e for e in events if e.resource_id == str(resource)]
    assert [e.payload["n"] for e in mine] == [0, 1, 2]
    assert [e.sequence for e in mine] == sorted(e.sequence for e in mine)
    assert len({e.sequence for e in mine}) == 3


async def test_a_rolled_back_change_leaves_no_audit_entry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    resource = str(uuid.uuid4())
    async with sessions() as session:
        await audit.record(
            session,
            actor=ALICE,
            action="x",
            resource_type="listing",
            resource_id=resource,
            now=datetime.now(UTC),
        )
        await session.rollback()
    async with sessions() as session:
        assert await audit_repository.list_for(session, "listing", resource) == []
