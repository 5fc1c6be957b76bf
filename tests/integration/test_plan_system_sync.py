"""The plan management system sync (`integration.plan_system`), against a small fake plan
system on 127.0.0.1 run in the test process: a project pushed through two 503s arrives once,
in its latest state, and its plan-system id is recorded; a status change pushes again; changes
coalesce into one PUT; a 400 fails without a retry; with no base URL nothing happens; two
workers side by side send one PUT per change. Time is driven with explicit `now`.

Tests share the database: other tests' projects may be pushed to the fake too, so every
assertion is filtered by this test's own project code, and every loop is bounded."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from factories import create_organization, create_project
from jiebang_api import worker
from jiebang_api.integration import addresses, plan_system
from jiebang_api.kit.clock import FixedClock
from jiebang_api.models import AuditEntry, PlanSync, Project
from jiebang_api.outbox import service as outbox
from receiver import read_request

Sessions = async_sessionmaker[AsyncSession]
GUARD = addresses.Policy.of(https_only=False, allowed=["127.0.0.1"])
LEASE = timedelta(seconds=60)
TOKEN = "plan-token-for-tests"
# How long fan-out may wait for older transactions elsewhere on the PostgreSQL cluster (the
# feed holds events back behind them) before the test gives up.
SETTLE_SECONDS = 30.0
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


# The fake plan system --------------------------------------------------------------------------


@dataclass
class Put:
    code: str
    headers: dict[str, str]
    document: dict[str, Any]


@dataclass
class FakePlanSystem:
    """`PUT /projects/{code}`: answers from the code's script (status codes in order; 200
    once used up). A 2xx stores the document under its code (a replace) and answers the
    plan system's id for the code, the same every time."""

    port: int = 0
    puts: list[Put] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, list[int]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/plan/api"

    def puts_of(self, code: str) -> list[Put]:
        return [put for put in self.puts if put.code == code]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, path, headers, body = await read_request(reader)
            prefix = "/plan/api/projects/"
            if method != "PUT" or not path.startswith(prefix):
                status, answer = 404, b""
            else:
                code = path.removeprefix(prefix)
                self.puts.append(Put(code, headers, json.loads(body)))
                script = self.scripts.get(code, [])
                status = script.pop(0) if script else 200
                answer = b""
                if 200 <= status < 300:
                    self.stored[code] = json.loads(body)
                    plan_id = self.ids.setdefault(code, f"PLAN-{len(self.ids) + 1}")
                    answer = json.dumps({"id": plan_id}).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                f"content-length: {len(answer)}\r\nconnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakePlanSystem]:
    fake = FakePlanSystem()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake
        server.close()


async def loopback_only(host: str, port: int) -> list[str]:
    """127.0.0.1 is itself; nothing else resolves: nothing but loopback is ever dialled."""
    if host != "127.0.0.1":
        raise LookupError(host)
    return [host]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield client


def client_of(http: httpx.AsyncClient, base_url: str) -> plan_system.Client:
    return plan_system.Client(
        base_url=base_url, token=TOKEN, http=http, guard=GUARD, resolver=loopback_only
    )


# Projects and their changes -------------------------------------------------------------------


async def new_project(sessions: Sessions) -> Project:
    demand = await create_organization(sessions, name="包头稀土研究院")
    supply = await create_organization(sessions)
    project = await create_project(sessions, demand, supply)
    await change(sessions, project.id, "project.created")
    return project


async def change(
    sessions: Sessions, project_id: uuid.UUID, event_type: str, status: str | None = None
) -> None:
    """The project changes (its status, when given) and the change is in the outbox, in one
    transaction, as the use cases do it."""
    async with sessions() as session:
        project = await session.scalar(
            select(Project).where(Project.id == project_id).with_for_update()
        )
        assert project is not None
        if status is not None:
            project.status = status
        await outbox.add(
            session,
            event_type=event_type,
            resource_type="project",
            resource_id=str(project_id),
            now=datetime.now(UTC),
            payload={"project_id": str(project_id)},
        )
        await session.commit()


async def row_of(sessions: Sessions, project_id: uuid.UUID) -> PlanSync | None:
    async with sessions() as session:
        return await session.get(PlanSync, project_id)


async def project_of(sessions: Sessions, project_id: uuid.UUID) -> Project:
    async with sessions() as session:
        project = await session.get(Project, project_id)
        assert project is not None
        return project


async def fan_out_until(
    sessions: Sessions, project_id: uuid.UUID, changes: int, *, now: datetime
) -> PlanSync:
    """Fan-out passes until the project's row has seen `changes` changes (bounded)."""
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while True:
        async with sessions() as session:
            await plan_system.fan_out(session, now=now, limit=500)
            await session.commit()
        row = await row_of(sessions, project_id)
        if row is not None and row.changes >= changes:
            return row
        assert asyncio.get_running_loop().time() < deadline, "changes were not fanned out"
        await asyncio.sleep(0.05)


async def push(sessions: Sessions, client: plan_system.Client, now: datetime) -> None:
    await plan_system.push_once(
        sessions, client=client, now=now, limit=500, lease=LEASE, random=lambda: 0.0
    )


# Retries: arrives once, latest state, id recorded ----------------------------------------------


async def test_a_project_pushed_through_503s_arrives_once_and_its_id_is_recorded(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    client = client_of(http, fake.base_url)
    project = await new_project(sessions)
    fake.scripts[project.code] = [503, 503]
    t0 = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=t0)

    await push(sessions, client, t0)  # 503: again after 5 s
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.attempt_count, row.last_status_code) == ("pending", 1, 503)
    assert row.next_attempt_at == t0 + timedelta(seconds=5)
    await push(sessions, client, t0 + timedelta(seconds=4))  # not due yet
    assert len(fake.puts_of(project.code)) == 1
    await push(sessions, client, t0 + timedelta(seconds=5))  # 503: again after 5 min
    row = await row_of(sessions, project.id)
    assert row is not None
    assert row.next_attempt_at == t0 + timedelta(seconds=5) + timedelta(minutes=5)
    await push(sessions, client, t0 + timedelta(minutes=6))  # 200

    puts = fake.puts_of(project.code)
    assert len(puts) == 3
    assert {put.headers["idempotency-key"] for put in puts} == {f"{project.id}:1"}
    assert all(put.headers["authorization"] == f"Bearer {TOKEN}" for put in puts)
    stored = fake.stored[project.code]
    assert stored["project_id"] == str(project.id)
    assert stored["status"] == "in_progress"
    assert stored["demand_party"]["name"] == "包头稀土研究院"
    assert stored["supply_party"]["uscc"]
    assert stored["disbursed"] == "0.00"
    assert stored["subsidy"] is None
    assert stored["start_on"] == project.start_on.isoformat()
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.next_attempt_at, row.last_status_code) == ("synced", None, 200)
    recorded = await project_of(sessions, project.id)
    assert recorded.plan_system_id == fake.ids[project.code]
    async with sessions() as session:
        (entry,) = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.resource_id == str(project.id),
                    AuditEntry.action == "project.plan_system_id",
                )
            )
        ).all()
    assert entry.changes == {"plan_system_id": {"old": None, "new": fake.ids[project.code]}}

    # Nothing more is sent later: it arrived once.
    await push(sessions, client, t0 + timedelta(days=2))
    assert len(fake.puts_of(project.code)) == 3

    # The status change after acceptance pushes again, with the new status.
    await change(sessions, project.id, "project.status_changed", status="suspended")
    t1 = t0 + timedelta(days=2)
    await fan_out_until(sessions, project.id, 2, now=t1)
    await push(sessions, client, t1)
    puts = fake.puts_of(project.code)
    assert len(puts) == 4
    assert puts[-1].document["status"] == "suspended"
    assert list(fake.stored).count(project.code) == 1
    assert fake.stored[project.code]["status"] == "suspended"
    assert (await project_of(sessions, project.id)).plan_system_id == fake.ids[project.code]


async def test_changes_waiting_together_are_sent_as_one_put_of_the_latest_state(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    client = client_of(http, fake.base_url)
    project = await new_project(sessions)
    await change(sessions, project.id, "project.status_changed", status="acceptance_requested")
    await change(sessions, project.id, "project.status_changed", status="accepted")
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 3, now=now)
    await push(sessions, client, now)
    (put,) = fake.puts_of(project.code)
    assert put.document["status"] == "accepted"


async def test_a_change_seen_while_a_push_is_in_flight_is_pushed_after_it(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    client = client_of(http, fake.base_url)
    project = await new_project(sessions)
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    async with sessions() as session:
        claimed = await plan_system.claim(session, now=now, limit=500, lease=LEASE)
        await session.commit()
    mine = [one for one in claimed if one.project_id == project.id]
    assert len(mine) == 1
    # Meanwhile the project changes; the push in flight carries the older state.
    await change(sessions, project.id, "project.status_changed", status="suspended")
    await fan_out_until(sessions, project.id, 2, now=now)
    outcomes = [await plan_system.send(one, client=client) for one in claimed]
    for one, outcome in zip(claimed, outcomes, strict=True):
        async with sessions() as session:
            await plan_system.record(session, one, outcome, now=now, random=lambda: 0.0)
            await session.commit()
    row = await row_of(sessions, project.id)
    assert row is not None
    assert row.status == "pending"
    await push(sessions, client, now)
    puts = fake.puts_of(project.code)
    assert [put.document["status"] for put in puts] == ["in_progress", "suspended"]
    assert fake.stored[project.code]["status"] == "suspended"


# Refusals and the switch ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 302])  # a redirect is not followed either
async def test_a_refusal_fails_without_a_retry(
    sessions: Sessions,
    fake: FakePlanSystem,
    http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    status: int,
) -> None:
    plan = client_of(http, fake.base_url)
    project = await new_project(sessions)
    fake.scripts[project.code] = [status]
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    await push(sessions, plan, now)
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.next_attempt_at, row.last_status_code) == ("failed", None, status)
    for later in (timedelta(seconds=5), timedelta(hours=1), timedelta(days=3)):
        await push(sessions, plan, now + later)
    assert len(fake.puts_of(project.code)) == 1
    assert project.code not in fake.stored
    assert (await project_of(sessions, project.id)).plan_system_id is None
    async with sessions() as session:
        counts = await plan_system.counts_by_status(session)
    assert set(counts) == {"pending", "in_flight", "synced", "failed"}
    assert counts["failed"] >= 1
    scraped = (await client.get("/metrics")).text
    assert 'jiebang_plan_sync_projects{status="failed"}' in scraped


@pytest.mark.parametrize("status", [429, 408, 500])
async def test_a_busy_or_broken_plan_system_is_tried_again(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient, status: int
) -> None:
    client = client_of(http, fake.base_url)
    project = await new_project(sessions)
    fake.scripts[project.code] = [status]
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    await push(sessions, client, now)
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.last_status_code) == ("pending", status)
    await push(sessions, client, now + timedelta(seconds=5))
    assert len(fake.puts_of(project.code)) == 2
    assert fake.stored[project.code]["code"] == project.code


async def test_an_unreachable_plan_system_is_tried_again(
    sessions: Sessions, http: httpx.AsyncClient
) -> None:
    # A port nothing listens on (bound, then closed): the connection is refused.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = client_of(http, f"http://127.0.0.1:{port}")
    project = await new_project(sessions)
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    await push(sessions, client, now)
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.last_error) == ("pending", "connect_error")
    assert row.next_attempt_at == now + timedelta(seconds=5)


async def test_with_no_base_url_the_sync_does_nothing(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    project = await new_project(sessions)
    plan = worker.PlanSync(client=client_of(http, ""))
    done = await worker.sync_plan_system(
        sessions, clock=FixedClock(datetime.now(UTC)), sandbox_enabled=False, plan=plan
    )
    assert done == {}
    assert await row_of(sessions, project.id) is None
    assert fake.puts == []


async def test_the_worker_pass_pushes_when_the_sync_is_on(
    sessions: Sessions,
    fake: FakePlanSystem,
    http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    project = await new_project(sessions)
    shown = await client.get(f"/api/v1/projects/{project.id}", headers=admin_headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["plan_system_id"] is None
    plan = worker.PlanSync(client=client_of(http, fake.base_url), random=lambda: 0.0)
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while not fake.puts_of(project.code):
        await worker.sync_plan_system(
            sessions, clock=FixedClock(datetime.now(UTC)), sandbox_enabled=False, plan=plan
        )
        assert asyncio.get_running_loop().time() < deadline, "the project was not pushed"
        await asyncio.sleep(0.05)
    assert len(fake.puts_of(project.code)) == 1
    assert (await project_of(sessions, project.id)).plan_system_id == fake.ids[project.code]
    shown = await client.get(f"/api/v1/projects/{project.id}", headers=admin_headers)
    assert shown.json()["plan_system_id"] == fake.ids[project.code]


async def test_a_refused_address_is_not_dialled(
    sessions: Sessions, http: httpx.AsyncClient
) -> None:
    closed = addresses.Policy.of(https_only=False, allowed=[])
    client = plan_system.Client(
        base_url="http://127.0.0.1:9/plan",
        token=None,
        http=http,
        guard=closed,
        resolver=loopback_only,
    )
    project = await new_project(sessions)
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    await push(sessions, client, now)
    row = await row_of(sessions, project.id)
    assert row is not None
    assert (row.status, row.last_error) == ("pending", "address_refused")


# Two workers side by side ---------------------------------------------------------------------


async def test_two_workers_side_by_side_send_one_put_per_change(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    client = client_of(http, fake.base_url)
    projects = [await new_project(sessions) for _ in range(6)]
    now = datetime.now(UTC)

    async def fan_out() -> None:
        async with sessions() as session:
            await plan_system.fan_out(session, now=now, limit=5)
            await session.commit()

    for _ in range(10):  # two fan-outs at a time, small batches
        await asyncio.gather(fan_out(), fan_out())
    for project in projects:
        await fan_out_until(sessions, project.id, 1, now=now)

    async def one_worker() -> None:
        await plan_system.push_once(
            sessions, client=client, now=now, limit=3, lease=LEASE, random=lambda: 0.0
        )

    codes = {project.code for project in projects}
    # Other tests' due projects may be claimed too, so the rounds are bounded generously.
    for _ in range(50):
        await asyncio.gather(one_worker(), one_worker())
        if codes <= {put.code for put in fake.puts}:
            break
    for project in projects:
        assert len(fake.puts_of(project.code)) == 1, project.code
        assert (await project_of(sessions, project.id)).plan_system_id == fake.ids[project.code]


async def test_a_push_whose_worker_died_is_made_again_after_the_lease(
    sessions: Sessions, fake: FakePlanSystem, http: httpx.AsyncClient
) -> None:
    client = client_of(http, fake.base_url)
    project = await new_project(sessions)
    now = datetime.now(UTC)
    await fan_out_until(sessions, project.id, 1, now=now)
    async with sessions() as session:  # a worker claims, then is killed before it records
        claimed = await plan_system.claim(session, now=now, limit=500, lease=LEASE)
        await session.commit()
    (dead,) = [one for one in claimed if one.project_id == project.id]
    await push(sessions, client, now + LEASE / 2)  # still the dead worker's
    assert fake.puts_of(project.code) == []
    await push(sessions, client, now + LEASE)  # the lease is over: another worker pushes
    assert len(fake.puts_of(project.code)) == 1
    # A late answer of the dead worker's claim changes nothing.
    async with sessions() as session:
        late = await plan_system.record(
            session, dead, plan_system.Outcome(status_code=400), now=now, random=lambda: 0.0
        )
        await session.commit()
    assert late is None
    row = await row_of(sessions, project.id)
    assert row is not None
    assert row.status == "synced"
    assert list(fake.stored).count(project.code) == 1


async def test_worker_once_from_the_command_line_pushes_with_the_settings(
    sessions: Sessions, fake: FakePlanSystem, database_url: str
) -> None:
    project = await new_project(sessions)
    await fan_out_until(sessions, project.id, 1, now=datetime.now(UTC))
    environment = {
        **os.environ,
        "JIEBANG_ENV": "test",
        "JIEBANG_DATABASE_URL": database_url,
        "JIEBANG_MIGRATIONS_DIR": str(MIGRATIONS),
        "JIEBANG_PLAN_BASE_URL": fake.base_url,
        "JIEBANG_PLAN_TOKEN": TOKEN,
        "JIEBANG_PLAN_SYNC_BATCH": "500",
        "JIEBANG_WEBHOOK_ALLOWED_ADDRESSES": "127.0.0.1",
        # No name is looked up: nothing but loopback is ever dialled.
        "JIEBANG_WEBHOOK_RESOLVE_NAMES": "false",
        "JIEBANG_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jiebang_api",
        "worker",
        "--once",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "plan_pushes:" in out.decode()
    (put,) = fake.puts_of(project.code)
    assert put.headers["authorization"] == f"Bearer {TOKEN}"
    assert (await project_of(sessions, project.id)).plan_system_id == fake.ids[project.code]
