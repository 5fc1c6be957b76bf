"""Webhook delivery by the worker (`integration.delivery`), against a real receiver on
127.0.0.1 run in the test process: every signature verifies (a tampered body does not), the
retry schedule under an explicit service clock (no sleeping), 410 disables, `Retry-After`,
a lost lease (a worker killed mid-batch) redelivered with the same `webhook-id`, two workers
side by side sending each event once, and the deliveries API (list, redeliver).

Tests share the database: the worker passes here also see other tests' deliveries, so every
assertion is filtered by this test's own subscription, and every loop is bounded."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conftest import AppFactory
from factories import bearer, create_service_client, create_user
from jiebang_api import worker
from jiebang_api.integration import addresses, delivery, signing
from jiebang_api.kit.clock import SystemClock
from jiebang_api.models import AuditEntry, WebhookAttempt, WebhookDelivery, WebhookSubscription
from jiebang_api.outbox import service as outbox
from jiebang_api.sandbox import service as sandbox
from processes import Service, environment, start_worker
from receiver import Receiver, serving

Sessions = async_sessionmaker[AsyncSession]
SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"
EVENT_TYPE = "listing.published"
# How long fan-out may wait for older transactions elsewhere on the PostgreSQL cluster (the
# feed holds events back behind them) before the test gives up.
SETTLE_SECONDS = 30.0
LEASE = timedelta(seconds=60)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
GUARD = addresses.Policy.of(https_only=False, allowed=["127.0.0.1"])

pytestmark = pytest.mark.usefixtures("reap_processes")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving() as running:
        yield running


# The app, subscriptions and events -----------------------------------------------------------


@pytest.fixture(scope="module")
def hooks_database(database_factory: Callable[[], str]) -> str:
    """A database of the module's own: a delivery pass takes every due delivery, so other
    modules' (the matrix's, the fuzzer's seeds) must not be in the way of these tests'."""
    return database_factory()


@pytest.fixture
async def hooks_app(hooks_database: str, app_factory: AppFactory) -> FastAPI:
    return app_factory(hooks_database, webhook_allowed_addresses=["127.0.0.1"])


@pytest.fixture
def hooks_sessions(hooks_app: FastAPI) -> Sessions:
    maker: Sessions = hooks_app.state.sessionmaker
    return maker


@pytest.fixture
async def http(
    hooks_app: FastAPI, client_for: Callable[[FastAPI], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(hooks_app) as client:
        yield client


@pytest.fixture(autouse=True)
async def _switch_off_afterwards(
    receiver: Receiver, hooks_sessions: Sessions
) -> AsyncIterator[None]:
    """The test's subscriptions are switched off after it, so that later tests' events
    are not fanned out to receivers that are gone."""
    yield
    async with hooks_sessions() as session:
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.url.startswith(receiver.url("/hook/")))
            .values(active=False)
        )
        await session.commit()


async def loopback_only(host: str, port: int) -> list[str]:
    """The tests' resolver: 127.0.0.1 is itself; nothing else resolves, so a pass that picks
    up another test's delivery never dials (nor looks up) anything but loopback."""
    if host != "127.0.0.1":
        raise LookupError(host)
    return [host]


@pytest.fixture
async def sender() -> AsyncIterator[delivery.Sender]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield delivery.Sender(client=client, guard=GUARD, resolver=loopback_only)


@dataclass
class Hook:
    id: uuid.UUID
    secret: str
    path: str
    headers: dict[str, str]


@pytest.fixture
async def hook(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions, receiver: Receiver
) -> Hook:
    """A subscription of a service client's own to `EVENT_TYPE` at a path of the receiver's."""
    return await subscribe(http, hooks_app, hooks_sessions, receiver)


async def subscribe(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions, receiver: Receiver
) -> Hook:
    owner = await create_service_client(hooks_sessions)
    headers = bearer(hooks_app, owner)
    path = f"/hook/{uuid.uuid4().hex}"
    response = await http.post(
        SUBSCRIPTIONS,
        json={"url": receiver.url(path), "event_types": [EVENT_TYPE]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    return Hook(uuid.UUID(created["id"]), created["secret"], path, headers)


async def write_events(sessions: Sessions, count: int = 1) -> list[uuid.UUID]:
    async with sessions() as session:
        events = [
            await outbox.add(
                session,
                event_type=EVENT_TYPE,
                resource_type="listing",
                resource_id=str(uuid.uuid4()),
                now=datetime.now(UTC),
                payload={"n": n, "名称": "稀土"},
            )
            for n in range(count)
        ]
        await session.commit()
    return [event.id for event in events]


async def deliveries_of(sessions: Sessions, hook: Hook) -> list[WebhookDelivery]:
    async with sessions() as session:
        statement = select(WebhookDelivery).where(WebhookDelivery.subscription_id == hook.id)
        return list((await session.scalars(statement)).all())


async def attempts_of(sessions: Sessions, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    async with sessions() as session:
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.attempted_at)
        )
        return list((await session.scalars(statement)).all())


async def fan_out_until(
    sessions: Sessions, hook: Hook, count: int, *, now: datetime | None = None
) -> list[WebhookDelivery]:
    """Fan-out passes until the hook has `count` deliveries (bounded in time)."""
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while True:
        async with sessions() as session:
            await delivery.fan_out(session, now=now or datetime.now(UTC), limit=500)
            await session.commit()
        found = await deliveries_of(sessions, hook)
        if len(found) >= count:
            return found
        assert asyncio.get_running_loop().time() < deadline, "events were not fanned out"
        await asyncio.sleep(0.05)


async def deliver(
    sessions: Sessions, sender: delivery.Sender, now: datetime
) -> list[WebhookDelivery]:
    return await delivery.deliver_once(
        sessions,
        sender=sender,
        now=now,
        sent_at=datetime.now(UTC),
        limit=500,
        lease=LEASE,
        random=lambda: 0.0,
    )


# Acceptance 1: signatures ---------------------------------------------------------------------


async def test_the_receiver_verifies_every_signature_and_a_tampered_body_fails(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    event_ids = await write_events(hooks_sessions, 3)
    made = await fan_out_until(hooks_sessions, hook, 3)
    assert {d.event_id for d in made} == set(event_ids)
    assert all(d.status == "pending" for d in made)

    await deliver(hooks_sessions, sender, datetime.now(UTC))

    got = receiver.at(hook.path)
    assert sorted(r.headers["webhook-id"] for r in got) == sorted(map(str, event_ids))
    for request in got:
        assert request.headers["content-type"] == "application/json"
        signing.verify(
            hook.secret, body=request.body, headers=request.headers, now=datetime.now(UTC)
        )
        document = json.loads(request.body)
        assert document["id"] == request.headers["webhook-id"]
        assert document["type"] == EVENT_TYPE
        assert set(document) == {
            "id",
            "type",
            "resource_type",
            "resource_id",
            "occurred_at",
            "data",
        }
        assert document["data"]["名称"] == "稀土"
        tampered = request.body.replace(b'"n":', b'"m":')
        with pytest.raises(signing.SignatureInvalid):
            signing.verify(
                hook.secret, body=tampered, headers=request.headers, now=datetime.now(UTC)
            )
    assert all(d.status == "delivered" for d in await deliveries_of(hooks_sessions, hook))


async def test_during_a_rotation_both_secrets_verify(
    http: httpx.AsyncClient,
    hooks_sessions: Sessions,
    receiver: Receiver,
    sender: delivery.Sender,
    hook: Hook,
) -> None:
    rotated = await http.post(f"{SUBSCRIPTIONS}/{hook.id}/rotate-secret", headers=hook.headers)
    assert rotated.status_code == 200, rotated.text
    await write_events(hooks_sessions)
    await fan_out_until(hooks_sessions, hook, 1)
    await deliver(hooks_sessions, sender, datetime.now(UTC))
    (request,) = receiver.at(hook.path)
    for secret in (hook.secret, rotated.json()["secret"]):
        signing.verify(secret, body=request.body, headers=request.headers, now=datetime.now(UTC))


async def test_fan_out_again_makes_no_second_delivery(hooks_sessions: Sessions, hook: Hook) -> None:
    await write_events(hooks_sessions, 2)
    await fan_out_until(hooks_sessions, hook, 2)
    async with hooks_sessions() as session:
        await delivery.fan_out(session, now=datetime.now(UTC), limit=500)
        await session.commit()
    assert len(await deliveries_of(hooks_sessions, hook)) == 2


async def test_a_pair_delivered_already_is_skipped_not_doubled(
    hooks_sessions: Sessions, hook: Hook
) -> None:
    """A delivery that exists before the fan-out reaches its event (a position restored
    behind, a row made by hand) is left alone: no second one, no failure on the pair."""
    first, second = await write_events(hooks_sessions, 2)
    async with hooks_sessions() as session:
        session.add(
            WebhookDelivery(
                id=uuid.uuid4(),
                event_id=second,
                event_type=EVENT_TYPE,
                subscription_id=hook.id,
                status="pending",
                attempt_count=0,
                next_attempt_at=datetime.now(UTC),
            )
        )
        await session.commit()
    made = await fan_out_until(hooks_sessions, hook, 2)
    assert sorted(str(d.event_id) for d in made) == sorted([str(first), str(second)])


# Acceptance 4: the schedule, 410, Retry-After --------------------------------------------------


async def test_500_twice_then_200_makes_three_attempts_with_growing_delays(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    receiver.scripts[hook.path] = [(500, {}), (500, {})]
    await write_events(hooks_sessions)
    start = datetime.now(UTC)
    (made,) = await fan_out_until(hooks_sessions, hook, 1, now=start)

    await deliver(hooks_sessions, sender, start)
    (first,) = await deliveries_of(hooks_sessions, hook)
    assert (first.status, first.next_attempt_at) == ("pending", start + timedelta(seconds=5))
    await deliver(hooks_sessions, sender, start + timedelta(seconds=4))  # not yet due
    assert len(receiver.at(hook.path)) == 1

    second_at = start + timedelta(seconds=5)
    await deliver(hooks_sessions, sender, second_at)
    (second,) = await deliveries_of(hooks_sessions, hook)
    assert second.next_attempt_at == second_at + timedelta(minutes=5)

    await deliver(hooks_sessions, sender, second.next_attempt_at)
    (done,) = await deliveries_of(hooks_sessions, hook)
    assert done.status == "delivered"
    attempts = await attempts_of(hooks_sessions, made.id)
    assert [a.status_code for a in attempts] == [500, 500, 200]
    gaps = [b.attempted_at - a.attempted_at for a, b in itertools.pairwise(attempts)]
    assert gaps == [timedelta(seconds=5), timedelta(minutes=5)]
    assert all(a.latency_ms >= 0 for a in attempts)
    assert len({r.headers["webhook-id"] for r in receiver.at(hook.path)}) == 1


async def test_a_delivery_fails_after_the_last_attempt(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    receiver.scripts[hook.path] = [(503, {})] * 10
    await write_events(hooks_sessions)
    now = datetime.now(UTC)
    await fan_out_until(hooks_sessions, hook, 1, now=now)
    for _ in range(8):
        await deliver(hooks_sessions, sender, now)
        (row,) = await deliveries_of(hooks_sessions, hook)
        if row.next_attempt_at is None:
            break
        now = row.next_attempt_at
    assert row.status == "failed"
    assert len(receiver.at(hook.path)) == 8


async def test_410_disables_the_subscription_and_fails_the_delivery(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    receiver.scripts[hook.path] = [(410, {})]
    await write_events(hooks_sessions)
    await fan_out_until(hooks_sessions, hook, 1)
    await deliver(hooks_sessions, sender, datetime.now(UTC))
    (row,) = await deliveries_of(hooks_sessions, hook)
    assert (row.status, row.next_attempt_at) == ("failed", None)
    # Later events are not fanned out to it any more.
    await write_events(hooks_sessions)
    for _ in range(3):
        async with hooks_sessions() as session:
            await delivery.fan_out(session, now=datetime.now(UTC), limit=500)
            await session.commit()
    assert len(await deliveries_of(hooks_sessions, hook)) == 1
    async with hooks_sessions() as session:
        subscription = await session.get(WebhookSubscription, hook.id)
        assert subscription is not None
        assert subscription.active is False
        entries = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.resource_id == str(hook.id),
                    AuditEntry.action == "webhook_subscription.disable",
                )
            )
        ).all()
    assert len(entries) == 1


async def test_retry_after_is_honoured_when_longer_than_the_schedule(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    receiver.scripts[hook.path] = [(503, {"Retry-After": "120"})]
    await write_events(hooks_sessions)
    now = datetime.now(UTC)
    await fan_out_until(hooks_sessions, hook, 1, now=now)
    await deliver(hooks_sessions, sender, now)
    (row,) = await deliveries_of(hooks_sessions, hook)
    assert row.next_attempt_at == now + timedelta(seconds=120)


async def test_a_redirect_is_not_followed(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    receiver.scripts[hook.path] = [(307, {"Location": receiver.url("/elsewhere")})]
    await write_events(hooks_sessions)
    now = datetime.now(UTC)
    (made,) = await fan_out_until(hooks_sessions, hook, 1, now=now)
    await deliver(hooks_sessions, sender, now)
    assert receiver.at("/elsewhere") == []
    assert [a.status_code for a in await attempts_of(hooks_sessions, made.id)] == [307]


async def test_the_address_is_checked_again_right_before_sending(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    """Allowed when subscribed; by sending time loopback is no longer allowed: nothing is
    sent, the attempt says why, and the delivery is retried later."""
    await write_events(hooks_sessions)
    now = datetime.now(UTC)
    (made,) = await fan_out_until(hooks_sessions, hook, 1, now=now)
    strict = delivery.Sender(
        client=sender.client,
        guard=addresses.Policy.of(https_only=False, allowed=[]),
        resolver=sender.resolver,
    )
    await deliver(hooks_sessions, strict, now)
    assert receiver.at(hook.path) == []
    (attempt,) = await attempts_of(hooks_sessions, made.id)
    assert (attempt.status_code, attempt.error) == (None, "address_refused")
    assert attempt.next_attempt_at == now + timedelta(seconds=5)


# Acceptance 2 and 3: a lost lease, two workers ---------------------------------------------------


async def test_a_worker_killed_after_sending_leaves_a_lease_that_another_worker_takes_up(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    event_ids = await write_events(hooks_sessions, 3)
    now = datetime.now(UTC)
    await fan_out_until(hooks_sessions, hook, 3, now=now)
    # The "killed" worker: claims the batch, sends one, dies before recording anything.
    async with hooks_sessions() as session:
        claimed = await delivery.claim(session, now=now, limit=500, lease=LEASE)
        await session.commit()
    mine = [c for c in claimed if c.url == receiver.url(hook.path)]
    assert len(mine) == 3
    await delivery.send(
        mine[0],
        client=sender.client,
        guard=sender.guard,
        resolver=sender.resolver,
        sent_at=datetime.now(UTC),
    )
    # While the lease lasts no other worker touches them.
    await deliver(hooks_sessions, sender, now + LEASE - timedelta(seconds=1))
    assert len(receiver.at(hook.path)) == 1
    assert {d.status for d in await deliveries_of(hooks_sessions, hook)} == {"in_flight"}
    # Past it, another worker sends every one; the duplicate carries the same webhook-id.
    await deliver(hooks_sessions, sender, now + LEASE)
    got = receiver.at(hook.path)
    assert len(got) == 4
    assert {r.headers["webhook-id"] for r in got} == {str(e) for e in event_ids}
    assert got[0].headers["webhook-id"] == mine[0].message_id
    assert [r.headers["webhook-id"] for r in got].count(mine[0].message_id) == 2
    assert {d.status for d in await deliveries_of(hooks_sessions, hook)} == {"delivered"}
    # The dead worker's late record (had it woken up) would not override the new state.
    async with hooks_sessions() as session:
        await delivery.record(
            session,
            mine[1],
            delivery.Outcome(latency_ms=1, status_code=500),
            now=now + LEASE,
            random=lambda: 0.0,
        )
        await session.commit()
    assert {d.status for d in await deliveries_of(hooks_sessions, hook)} == {"delivered"}


async def test_two_workers_side_by_side_send_each_event_once(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    event_ids = await write_events(hooks_sessions, 12)
    now = datetime.now(UTC)

    async def fan_out() -> None:
        async with hooks_sessions() as session:
            await delivery.fan_out(session, now=now, limit=5)
            await session.commit()

    for _ in range(10):  # two fan-outs at a time, small batches, until all are made
        await asyncio.gather(fan_out(), fan_out())
        if len(await deliveries_of(hooks_sessions, hook)) >= 12:
            break
    await fan_out_until(hooks_sessions, hook, 12, now=now)

    async def worker() -> None:
        await delivery.deliver_once(
            hooks_sessions,
            sender=sender,
            now=now,
            sent_at=datetime.now(UTC),
            limit=4,
            lease=LEASE,
            random=lambda: 0.0,
        )

    # Other tests' due deliveries may be claimed too (each at most once: a failure is
    # scheduled past `now`), so the rounds are bounded generously.
    for _ in range(50):
        await asyncio.gather(worker(), worker())
        if len(receiver.at(hook.path)) >= 12:
            break
    ids = [r.headers["webhook-id"] for r in receiver.at(hook.path)]
    assert sorted(ids) == sorted(str(e) for e in event_ids)  # each once
    assert len(await deliveries_of(hooks_sessions, hook)) == 12


# The deliveries API ----------------------------------------------------------------------------


async def test_deliveries_are_listed_for_their_owner_and_the_department_only(
    http: httpx.AsyncClient,
    hooks_app: FastAPI,
    hooks_sessions: Sessions,
    receiver: Receiver,
    sender: delivery.Sender,
    hook: Hook,
) -> None:
    receiver.scripts[hook.path] = [(500, {})]
    await write_events(hooks_sessions, 3)
    await fan_out_until(hooks_sessions, hook, 3)
    await deliver(hooks_sessions, sender, datetime.now(UTC))
    url = f"{SUBSCRIPTIONS}/{hook.id}/deliveries"

    first = await http.get(url, params={"limit": 2}, headers=hook.headers)
    assert first.status_code == 200, first.text
    rest = await http.get(
        url, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=hook.headers
    )
    items = first.json()["items"] + rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert len(items) == 3
    assert sorted(i["status"] for i in items) == ["delivered", "delivered", "pending"]
    for item in items:
        assert item["event_type"] == EVENT_TYPE
        (attempt,) = item["attempts"]
        assert attempt["status_code"] in (200, 500)
        assert attempt["latency_ms"] >= 0

    admin = await create_user(hooks_sessions, roles=("admin",))
    assert (await http.get(url, headers=bearer(hooks_app, admin))).status_code == 200
    stranger = await create_service_client(hooks_sessions)
    hidden = await http.get(url, headers=bearer(hooks_app, stranger))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "NOT_FOUND"


async def test_redeliver_sends_again_and_refuses_while_in_flight(
    http: httpx.AsyncClient,
    hooks_app: FastAPI,
    hooks_sessions: Sessions,
    receiver: Receiver,
    sender: delivery.Sender,
    hook: Hook,
) -> None:
    (event_id,) = await write_events(hooks_sessions)
    now = datetime.now(UTC)
    (made,) = await fan_out_until(hooks_sessions, hook, 1, now=now)
    await deliver(hooks_sessions, sender, now)
    url = f"/api/v1/webhook-deliveries/{made.id}/redeliver"

    stranger = await create_service_client(hooks_sessions)
    assert (await http.post(url, headers=bearer(hooks_app, stranger))).status_code == 404

    again = await http.post(url, headers=hook.headers)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "pending"
    assert len(again.json()["attempts"]) == 1
    # A worker has it in flight: 409.
    async with hooks_sessions() as session:
        await delivery.claim(
            session, now=datetime.now(UTC) + timedelta(seconds=1), limit=500, lease=LEASE
        )
        await session.commit()
    busy = await http.post(url, headers=hook.headers)
    assert busy.status_code == 409, busy.text
    assert busy.json()["code"] == "CONFLICT"
    await deliver(hooks_sessions, sender, datetime.now(UTC) + LEASE * 2)
    got = receiver.at(hook.path)
    assert [r.headers["webhook-id"] for r in got] == [str(event_id)] * 2
    assert (await deliveries_of(hooks_sessions, hook))[0].status == "delivered"


async def test_redeliver_of_an_unknown_delivery_is_404(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = await create_service_client(hooks_sessions)
    response = await http.post(
        f"/api/v1/webhook-deliveries/{uuid.uuid4()}/redeliver", headers=bearer(hooks_app, client)
    )
    assert response.status_code == 404


# The worker ----------------------------------------------------------------------------------


async def test_the_worker_tick_fans_out_and_delivers(
    hooks_sessions: Sessions, receiver: Receiver, sender: delivery.Sender, hook: Hook
) -> None:
    (event_id,) = await write_events(hooks_sessions)
    webhooks = worker.Webhooks(sender=sender, delivery_batch=500, random=lambda: 0.0)
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while not receiver.at(hook.path):  # the feed may hold the event back a moment
        await worker.deliver_webhooks(
            hooks_sessions, clock=SystemClock(), sandbox_enabled=True, webhooks=webhooks
        )
        assert asyncio.get_running_loop().time() < deadline, "nothing was delivered"
        await asyncio.sleep(0.05)
    assert [r.headers["webhook-id"] for r in receiver.at(hook.path)] == [str(event_id)]


async def _worker_sending_one_at_a_time(database_url: str, tmp_path: Path) -> Service:
    """`jiebang-api worker` (a real process) on the test's database, one delivery a tick."""
    environ = environment(
        database_url,
        tmp_path / "files",
        webhook_allowed_addresses="127.0.0.1",
        webhook_resolve_names="false",
        webhook_delivery_batch="1",
    )
    return await start_worker("worker", environ, tmp_path / "logs")


async def _until_received(receiver: Receiver, hook: Hook, worker: Service) -> None:
    deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
    while not receiver.at(hook.path):
        assert worker.running, f"the worker exited:\n{worker.tail()}"
        assert asyncio.get_running_loop().time() < deadline, "the worker sent nothing"
        await asyncio.sleep(0.1)


@pytest.fixture
def own_database(database_factory: Callable[[], str]) -> str:
    """A migrated database of the test's own (made outside the event loop)."""
    return database_factory()


async def test_a_worker_process_killed_mid_batch_loses_nothing(
    own_database: str,
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
    receiver: Receiver,
    sender: delivery.Sender,
    tmp_path: Path,
) -> None:
    """`jiebang-api worker` (a real process, on a database of this test's own) sends the
    first event to a receiver that holds the request; the process is killed with SIGKILL
    mid-batch. Once its claim lapses, a worker pass delivers every event, the one sent twice
    with the same `webhook-id`."""
    url = own_database
    app = app_factory(url, webhook_allowed_addresses=["127.0.0.1"])
    sessions: Sessions = app.state.sessionmaker
    async with client_for(app) as client:
        hook = await subscribe(client, app, sessions, receiver)
    event_ids = await write_events(sessions, 3)
    receiver.hold.add(hook.path)
    process = await _worker_sending_one_at_a_time(url, tmp_path)
    try:
        await _until_received(receiver, hook, process)
    finally:
        await process.stop(signal.SIGKILL)  # no cleanup of any kind
    receiver.release.set()
    (first,) = receiver.at(hook.path)
    states = {d.status for d in await deliveries_of(sessions, hook)}
    assert "in_flight" in states

    async with sessions() as session:
        offset = await sandbox.current_offset(session)
    later = datetime.now(UTC) + offset + LEASE
    for _ in range(5):
        await delivery.deliver_once(
            sessions,
            sender=sender,
            now=later,
            sent_at=datetime.now(UTC),
            limit=500,
            lease=LEASE,
            random=lambda: 0.0,
        )
        if {d.status for d in await deliveries_of(sessions, hook)} == {"delivered"}:
            break
    assert {d.status for d in await deliveries_of(sessions, hook)} == {"delivered"}
    ids = [r.headers["webhook-id"] for r in receiver.at(hook.path)]
    assert set(ids) == {str(e) for e in event_ids}
    assert ids.count(first.headers["webhook-id"]) == 2


async def test_a_worker_told_to_stop_mid_batch_finishes_it_and_claims_nothing_more(
    own_database: str,
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    """SIGTERM while the receiver holds the worker's request: the worker waits for the
    answer, records the delivery as delivered, starts no further pass and exits 0; the other
    events stay pending for the next worker (none is left in flight)."""
    app = app_factory(own_database, webhook_allowed_addresses=["127.0.0.1"])
    sessions: Sessions = app.state.sessionmaker
    async with client_for(app) as client:
        hook = await subscribe(client, app, sessions, receiver)
    await write_events(sessions, 3)
    receiver.hold.add(hook.path)
    process = await _worker_sending_one_at_a_time(own_database, tmp_path)
    try:
        await _until_received(receiver, hook, process)
        process.send(signal.SIGTERM)
        await asyncio.sleep(1.5)
        assert process.running, "the worker left its request behind"
        receiver.release.set()
    finally:
        code = await process.stop(within=30)
    assert code == 0, process.tail()
    assert len(receiver.at(hook.path)) == 1
    states = sorted(d.status for d in await deliveries_of(sessions, hook))
    assert states == ["delivered", "pending", "pending"]


async def test_a_switched_off_subscription_gets_nothing_more_and_no_redelivery(
    http: httpx.AsyncClient,
    hooks_sessions: Sessions,
    receiver: Receiver,
    sender: delivery.Sender,
    hook: Hook,
) -> None:
    await write_events(hooks_sessions)
    now = datetime.now(UTC)
    (made,) = await fan_out_until(hooks_sessions, hook, 1, now=now)
    off = await http.patch(
        f"{SUBSCRIPTIONS}/{hook.id}", json={"active": False}, headers=hook.headers
    )
    assert off.status_code == 200, off.text
    await deliver(hooks_sessions, sender, now)
    assert receiver.at(hook.path) == []
    (row,) = await deliveries_of(hooks_sessions, hook)
    assert (row.status, row.next_attempt_at) == ("failed", None)
    refused = await http.post(
        f"/api/v1/webhook-deliveries/{made.id}/redeliver", headers=hook.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "CONFLICT"
