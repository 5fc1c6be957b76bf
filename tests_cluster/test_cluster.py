"""The service as a cluster on this machine: two API processes and two workers, on loopback,
against one PostgreSQL database (seeded with the demo data) and the machine's Redis. Requests
are spread over both API processes; each test proves one invariant and adds it, with its
figures, to the run's summary. Every wait is bounded; nothing leaves loopback.

The tests run in file order on one cluster (module scope): later ones use what earlier ones
made (the listings created, the subscriptions)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from factories import listing_body
from jiebang_api.demo import cast
from jiebang_api.demo.stories import DECISION, PDF
from processes import Service, environment, reap, start_api, start_worker, wait_ready
from receiver import Receiver, serving

POSTGRES = os.environ.get(
    "JIEBANG_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
).replace("postgresql+asyncpg://", "postgresql://")
# A Redis database of the cluster run's own: emptied before it starts.
REDIS = os.environ.get("JIEBANG_CLUSTER_REDIS_URL", "async+redis://127.0.0.1:6379/8")
API = "/api/v1"
LEASE_SECONDS = 15  # the shortest lease the settings allow: a killed worker's rows lapse soon
WAIT_SECONDS = 120.0
TRANCHE_REQUESTS = 50
LISTING_REQUESTS = 40
HOOKED = "listing.created"
EVENTS = 20  # listings created for each webhook test

pytestmark = pytest.mark.timeout(900)


@dataclass
class Cluster:
    database: str  # asyncpg DSN
    environ: dict[str, str]
    logs: Path
    apis: list[Service]
    workers: list[Service]
    receiver: Receiver
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    hooks: dict[str, str] = field(default_factory=dict)  # path → subscription id

    def client(self, n: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.apis[n % len(self.apis)].base_url + API, timeout=60, trust_env=False
        )

    async def rows(self, query: str, *args: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database)
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


async def _until(what: str, check: Any, within: float = WAIT_SECONDS) -> None:
    """Poll `check()` until it is true, for at most `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.5)


def _run(environ: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jiebang_api", *arguments],
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


async def _admin_execute(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _empty_redis_database() -> None:
    number = REDIS.rsplit("/", 1)[1]
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-n", number, "FLUSHDB"], check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"jiebang_cluster_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES.rsplit('/', 1)[0]}/{name}"
    asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cluster")


@pytest.fixture(scope="module")
def seeded(database: str, directory: Path) -> dict[str, str]:
    """The environment every process shares, on a database seeded with the demo data."""
    environ = environment(
        database.replace("postgresql://", "postgresql+asyncpg://"),
        directory / "files",
        rate_limit_storage_url=REDIS,
        webhook_allowed_addresses="127.0.0.1",
        webhook_resolve_names="false",
        webhook_lease_seconds=str(LEASE_SECONDS),
        # (the plan system sync is off; its timeouts must still end before a lease does)
        plan_connect_timeout_seconds="2",
        plan_read_timeout_seconds="5",
        webhook_delivery_batch="10",
        shutdown_grace_seconds="20",
    )
    _empty_redis_database()
    _run(environ, "seed-demo")
    return environ


@pytest.fixture(scope="module")
async def cluster(database: str, seeded: dict[str, str], directory: Path) -> AsyncIterator[Cluster]:
    logs = directory / "logs"
    apis = [await start_api(f"api-{n}", seeded, logs) for n in (1, 2)]
    workers = [await start_worker(f"worker-{n}", seeded, logs) for n in (1, 2)]
    async with serving() as receiver:
        cluster = Cluster(database, seeded, logs, apis, workers, receiver)
        try:
            await asyncio.gather(*(wait_ready(api) for api in apis))
            for n, account in enumerate((cast.ADMIN, cast.PROPOSER)):
                cluster.tokens[account.username] = await _sign_in(cluster, n, account.username)
            cluster.tokens[cast.CLIENT_ID] = await _client_token(cluster)
            yield cluster
        finally:
            services = cluster.workers + cluster.apis
            codes = await asyncio.gather(*(s.stop() for s in services), return_exceptions=True)
            await reap()
    assert codes[: len(cluster.workers)] == [0] * len(cluster.workers), codes


async def _sign_in(cluster: Cluster, n: int, username: str) -> dict[str, str]:
    form = {"grant_type": "password", "username": username, "password": cast.PASSWORD}
    async with cluster.client(n) as http:
        response = await http.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _client_token(cluster: Cluster) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": cast.CLIENT_ID,
        "client_secret": cast.CLIENT_SECRET,
    }
    async with cluster.client(1) as http:
        response = await http.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _call(
    cluster: Cluster, n: int, method: str, path: str, who: str, expect: int = 200, **kw: Any
) -> Any:
    async with cluster.client(n) as http:
        response = await http.request(method, path, headers=cluster.tokens[who], **kw)
    assert response.status_code == expect, f"{method} {path}: {response.text}"
    return response.json()


# 1. Money moves once ----------------------------------------------------------------------------


async def _project_without_money(cluster: Cluster) -> str:
    admin = cast.ADMIN.username
    projects = await _call(cluster, 0, "GET", "/projects?limit=100", admin)
    for project in projects["items"]:
        paid = await _call(cluster, 1, "GET", f"/projects/{project['id']}/disbursements", admin)
        if project["status"] == "in_progress" and not paid["items"]:
            return f"/projects/{project['id']}"
    raise AssertionError("the demo data has no signed project without a disbursement")


async def _first_payment_verified(cluster: Cluster, project: str) -> None:
    admin, demand = cast.ADMIN.username, cast.PROPOSER.username
    await _call(cluster, 0, "POST", f"{project}/funding-decision", admin, 201, json=DECISION)
    read = await _call(cluster, 1, "GET", project, admin)
    proof = await _call(
        cluster,
        0,
        "POST",
        "/attachments",
        demand,
        201,
        files={"file": ("付款凭证.pdf", PDF, "application/pdf")},
    )
    clock = await _call(cluster, 1, "GET", "/sandbox/clock", admin)
    payment = {
        "instalment_seq": 1,
        "amount": "1000000.00",
        "paid_on": clock["now"][:10],
        "payee_org_id": read["supply_org_id"],
        "proof_attachment_id": proof["id"],
    }
    paid = await _call(cluster, 1, "POST", f"{project}/payments", demand, 201, json=payment)
    await _call(
        cluster, 0, "POST", f"/payments/{paid['id']}/verify", admin, json={"accepted": True}
    )


async def test_fifty_concurrent_first_tranche_requests_disburse_once(
    cluster: Cluster, findings: list[str]
) -> None:
    project = await _project_without_money(cluster)
    await _first_payment_verified(cluster, project)
    admin = cluster.tokens[cast.ADMIN.username]
    clients = [cluster.client(n) for n in range(2)]
    try:
        responses = await asyncio.gather(
            *(
                clients[n % 2].post(
                    f"{project}/disbursements", json={"tranche": "first"}, headers=admin | _key()
                )
                for n in range(TRANCHE_REQUESTS)
            )
        )
    finally:
        for http in clients:
            await http.aclose()
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1, statuses
    assert statuses[409] == TRANCHE_REQUESTS - 1, [r.text for r in responses]
    refusals = Counter(r.json()["code"] for r in responses if r.status_code == 409)
    assert len(refusals) == 1, refusals
    paid = await _call(cluster, 0, "GET", f"{project}/disbursements", cast.ADMIN.username)
    # S × P1 / A = 1,000,000.00 × 1,000,000.00 / 3,000,000.00, rounded down (R-DISB-FIRST-RATIO)
    assert [(d["tranche"], Decimal(d["amount"])) for d in paid["items"]] == [
        ("first", Decimal("333333.33"))
    ]
    findings.append(
        f"first tranche: {TRANCHE_REQUESTS} concurrent requests over 2 API processes -> "
        f"{statuses[201]} x 201, {statuses[409]} x 409 {', '.join(refusals)}; "
        f"{len(paid['items'])} disbursement "
        f"of {paid['items'][0]['amount']}"
    )


# 2. Codes are handed out once, in order ---------------------------------------------------------


async def _create_listings(cluster: Cluster, count: int) -> list[httpx.Response]:
    """`count` listings created at once by the proposer, spread over both API processes;
    every one must be answered 201."""
    me = await _call(cluster, 0, "GET", "/me", cast.PROPOSER.username)
    org = next(m["organization_id"] for m in me["memberships"] if m["role"] == "manager")
    headers = cluster.tokens[cast.PROPOSER.username]
    clients = [cluster.client(n) for n in range(2)]
    try:
        responses = await asyncio.gather(
            *(
                clients[n % 2].post("/listings", json=listing_body(org), headers=headers)
                for n in range(count)
            )
        )
    finally:
        for http in clients:
            await http.aclose()
    assert [r.status_code for r in responses] == [201] * count, [
        r.text for r in responses if r.status_code != 201
    ]
    return list(responses)


async def test_forty_concurrent_listing_creations_get_forty_consecutive_codes(
    cluster: Cluster, findings: list[str]
) -> None:
    responses = await _create_listings(cluster, LISTING_REQUESTS)
    codes = sorted(r.json()["code"] for r in responses)
    numbers = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert len(set(codes)) == LISTING_REQUESTS
    assert numbers == list(range(numbers[0], numbers[0] + LISTING_REQUESTS)), codes
    findings.append(
        f"listing codes: {LISTING_REQUESTS} concurrent creations -> {len(set(codes))} distinct "
        f"codes, consecutive {codes[0]} .. {codes[-1]}"
    )


# 3. Sign-in throttling is shared ----------------------------------------------------------------


async def test_sign_in_failures_count_across_both_processes(
    cluster: Cluster, findings: list[str]
) -> None:
    """Five failures are free (JIEBANG_LOGIN_FAILURE_LIMIT 5/15minutes); six spread over the
    two processes make the owner's next attempt wait, on either."""
    username = cast.EXPERTS[1].username
    statuses = []
    for n in range(6):
        async with cluster.client(n) as http:
            form = {"grant_type": "password", "username": username, "password": "wrong-password-1"}
            statuses.append((await http.post("/auth/token", data=form)).status_code)
    async with cluster.client(1) as http:
        form = {"grant_type": "password", "username": username, "password": cast.PASSWORD}
        owner = await http.post("/auth/token", data=form)
    assert statuses == [401] * 6
    assert owner.status_code == 429, owner.text
    assert owner.json()["code"] == "RATE_LIMITED"
    findings.append(
        f"sign-in throttling: 6 failures alternating over 2 API processes {statuses} -> the "
        f"owner's next attempt {owner.status_code} (Retry-After {owner.headers.get('retry-after')})"
    )


# 4. Webhooks: once per subscription, at least once after a kill ----------------------------------


async def _subscribe(cluster: Cluster, path: str) -> None:
    body = {"url": cluster.receiver.url(path), "event_types": [HOOKED]}
    made = await _call(cluster, 1, "POST", "/webhook-subscriptions", cast.CLIENT_ID, 201, json=body)
    cluster.hooks[path] = made["id"]


async def _new_events(cluster: Cluster, count: int) -> set[str]:
    """`count` listings created now: the ids of their `HOOKED` events."""
    listings = [r.json()["id"] for r in await _create_listings(cluster, count)]
    rows = await cluster.rows(
        "SELECT id::text AS id FROM event WHERE type = $1 AND resource_id = ANY($2::text[])",
        HOOKED,
        listings,
    )
    assert len(rows) == count
    return {row["id"] for row in rows}


def _received(cluster: Cluster, path: str) -> list[str]:
    return [r.headers["webhook-id"] for r in cluster.receiver.at(path)]


async def _statuses(cluster: Cluster, path: str, events: set[str]) -> Counter[str]:
    """The states of the subscription's deliveries of `events`."""
    rows = await cluster.rows(
        "SELECT status FROM webhook_delivery WHERE subscription_id = $1::uuid "
        "AND event_id = ANY($2::uuid[])",
        cluster.hooks[path],
        list(events),
    )
    return Counter(row["status"] for row in rows)


async def test_every_event_is_delivered_once_per_subscription_by_two_workers(
    cluster: Cluster, findings: list[str]
) -> None:
    """Each subscription receives each event of the listings created after it once, and
    no event twice (the feed's position is shared: events before a subscription existed
    are not sent to it)."""
    paths = ["/hooks/a", "/hooks/b"]
    for path in paths:
        await _subscribe(cluster, path)
    expected = await _new_events(cluster, EVENTS)

    async def all_delivered() -> bool:
        counts = [await _statuses(cluster, path, expected) for path in paths]
        return all(c["delivered"] == len(expected) for c in counts)

    await _until("every delivery delivered", all_delivered)
    await asyncio.sleep(3)  # three more ticks of each worker: nothing may come again
    for path in paths:
        received = Counter(_received(cluster, path))
        assert set(received) >= expected, path
        assert set(received.values()) == {1}, path
    findings.append(
        f"webhooks: {len(expected)} new {HOOKED} events x 2 subscriptions, 2 workers -> "
        + ", ".join(
            f"{p} received {len(_received(cluster, p))} (distinct "
            f"{len(set(_received(cluster, p)))})"
            for p in paths
        )
    )


async def test_after_a_worker_is_killed_mid_batch_every_event_arrives_at_least_once(
    cluster: Cluster, findings: list[str]
) -> None:
    """With one worker left running, its request to a new subscription is held; it is
    killed with SIGKILL; two new workers take over and, once the lease lapses, send the
    held delivery again."""
    second = cluster.workers[1]
    assert await second.stop() == 0, second.tail()
    path = "/hooks/c"
    cluster.receiver.hold.add(path)
    await _subscribe(cluster, path)
    expected = await _new_events(cluster, EVENTS)
    first = cluster.workers[0]

    async def held() -> bool:
        return bool(cluster.receiver.at(path))

    await _until("the worker's first request", held)
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    in_flight = (await _statuses(cluster, path, expected))["in_flight"]
    cluster.receiver.release.set()
    cluster.workers = [
        await start_worker(f"worker-{n}-again", cluster.environ, cluster.logs) for n in (1, 2)
    ]

    async def all_delivered() -> bool:
        return (await _statuses(cluster, path, expected))["delivered"] == len(expected)

    await _until("every delivery delivered after the kill", all_delivered, LEASE_SECONDS + 60)
    received = Counter(_received(cluster, path))
    assert set(received) >= expected
    findings.append(
        f"webhooks after SIGKILL: {in_flight} deliveries in flight at the kill; "
        f"{len(expected)} events all delivered, {sum(received.values())} requests received, "
        f"{sum(1 for c in received.values() if c > 1)} event(s) twice (same webhook-id)"
    )


# 5. Deadlines are processed once ---------------------------------------------------------------


async def test_deadlines_are_processed_once_whichever_worker_sees_them(
    cluster: Cluster, findings: list[str]
) -> None:
    """The demo's objection dismissed, the sandbox clock moved 40 days on: every published
    listing's window has ended and the notice has run out; both workers sweep."""
    admin = cast.ADMIN.username
    objections = await _call(cluster, 0, "GET", "/objections?limit=100", admin)
    for objection in objections["items"]:
        if objection["status"] == "open":
            decision = {"outcome": "dismissed", "reason": "经核查不属实。"}
            await _call(
                cluster, 1, "POST", f"/objections/{objection['id']}/resolve", admin, json=decision
            )
    published = await cluster.rows("SELECT id::text AS id FROM listing WHERE status = 'published'")
    noticed = await cluster.rows(
        "SELECT id::text AS id FROM agreement WHERE status = 'in_publicity'"
    )
    assert published
    assert noticed
    await _call(cluster, 0, "POST", "/sandbox/clock", admin, json={"advance_seconds": 40 * 86_400})

    async def swept() -> bool:
        due = await cluster.rows(
            "SELECT count(*) AS n FROM listing WHERE status = 'published' "
            "UNION ALL SELECT count(*) FROM agreement WHERE status = 'in_publicity'"
        )
        return all(row["n"] == 0 for row in due)

    await _until("the deadlines swept", swept)
    await asyncio.sleep(3)
    closed = await _events_per_resource(cluster, "listing.closed", [r["id"] for r in published])
    passed = await _events_per_resource(
        cluster, "agreement.notice_passed", [r["id"] for r in noticed]
    )
    assert closed == dict.fromkeys((r["id"] for r in published), 1)
    assert passed == dict.fromkeys((r["id"] for r in noticed), 1)
    await _call(cluster, 1, "POST", "/sandbox/clock", admin, json={"reset": True})
    findings.append(
        f"deadlines: {len(closed)} listing windows closed and {len(passed)} notice(s) passed by "
        f"2 workers, each exactly once (listing.closed / agreement.notice_passed events per row: "
        f"{sorted(set(closed.values()) | set(passed.values()))})"
    )


async def _events_per_resource(cluster: Cluster, kind: str, ids: list[str]) -> dict[str, int]:
    rows = await cluster.rows(
        "SELECT resource_id, count(*) AS n FROM event WHERE type = $1 "
        "AND resource_id = ANY($2::text[]) GROUP BY resource_id",
        kind,
        ids,
    )
    return {row["resource_id"]: row["n"] for row in rows}


# 6. The audit trail holds -----------------------------------------------------------------------


async def test_the_audit_trail_verifies_afterwards(cluster: Cluster, findings: list[str]) -> None:
    report = (await asyncio.to_thread(_run, cluster.environ, "audit", "verify")).strip()
    assert report.startswith("OK: "), report
    findings.append(f"audit verify: {report}")
