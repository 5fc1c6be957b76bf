"""Webhook delivery: the worker turns outbox events into signed POSTs to subscriptions.

**Fan-out.** `fan_out` reads the change feed from the worker's stored position
(`WebhookFanout`, one row) and makes one `WebhookDelivery` per (event, active subscription
that lists the event's type), advancing the position in the same transaction. It follows
the feed's commit-safe order (`integration/feed.py`), so no event is passed over while an
older transaction is still writing. The position row is locked `FOR UPDATE SKIP LOCKED`: of
several workers one fans out at a time, the others skip the step (SQLite serialises its
writers anyway); `(event_id, subscription_id)` is unique besides.

**Delivery, in three transactions.** `claim` takes due rows (`pending` and due, or
`in_flight` whose lease has expired: a worker died holding them) with
`FOR UPDATE SKIP LOCKED`, marks them `in_flight` with a lease and a token, and the caller
commits. Then `send` POSTs each one, with no transaction open. Then `record` stores the
attempt and the outcome in a new transaction, if the lease is still the sender's. A worker
killed between the claim and the record loses nothing: the lease expires, another worker
sends again, with the same `webhook-id` (the event's id), and receivers drop duplicates by
it. Two workers never hold the same row, so a normal run sends each event once per
subscription.

**Outcomes.** 2xx: `delivered`. 410 Gone: the subscription is switched off (audited) and the
delivery `failed`. Anything else (another status, a redirect, a timeout, a refused address)
is retried by `integration.retry`'s schedule, or a longer `Retry-After`, up to
`retry.MAX_ATTEMPTS` attempts, then `failed`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.integration import addresses, outbound, retry, signing
from jiebang_api.integration import subscriptions as subscriptions_service
from jiebang_api.integration.subscriptions import Resolver
from jiebang_api.kit.actor import Actor
from jiebang_api.kit.errors import Conflict, Message, NotFound
from jiebang_api.kit.labels import labelled
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.kit.querying import after_cursor
from jiebang_api.models import (
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


@labelled(
    {
        "pending": ("待发送", "Waiting for its next attempt"),
        "in_flight": ("发送中", "Being sent by a worker"),
        "delivered": ("已送达", "Delivered (the receiver answered 2xx)"),
        "failed": ("失败", "Failed for good (attempts used up, 410 Gone, or subscription off)"),
    }
)
class DeliveryStatus(StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    FAILED = "failed"


PENDING, IN_FLIGHT = DeliveryStatus.PENDING.value, DeliveryStatus.IN_FLIGHT.value
DELIVERED, FAILED = DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value
TIMEOUT_SECONDS = 10.0
FANOUT_ROW = 1
IN_FLIGHT_NOW = Message(
    "该投递正在发送中，请待其结束后再重新投递。",
    "This delivery is being sent right now; redeliver it once that attempt has ended.",
)
SUBSCRIPTION_INACTIVE = Message(
    "该订阅已停用，无法重新投递。", "The subscription is not active: nothing can be sent to it."
)


@dataclass(frozen=True)
class Claimed:
    """A delivery held by this worker: what to send, where, signed with which secrets."""

    delivery_id: uuid.UUID
    lease_token: uuid.UUID
    message_id: str
    url: str
    secrets: list[str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: the status code, or the error's class, and its time."""

    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    retry_after: str | None = None


@dataclass
class DeliveryView:
    """A delivery with its attempts, oldest first (for the deliveries list)."""

    delivery: WebhookDelivery
    attempts: list[WebhookAttempt] = field(default_factory=list)


def body_of(event: Event) -> bytes:
    """The JSON a receiver gets: the event as the change feed shows it, without `sequence`."""
    document = {
        "id": str(event.id),
        "type": event.type,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# Fan-out ------------------------------------------------------------------------------------


async def fan_out(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Deliveries for up to `limit` events past the stored position; returns how many were
    made. Does nothing while another worker holds the position. The caller commits."""
    position = await outbound.hold_position(session, FANOUT_ROW)
    if position is None:
        return 0
    events = await outbound.events_past(session, position, (), limit)
    if not events:
        return 0
    subscriptions = await _active_subscriptions(session)
    # Pairs that exist already (a position restored behind, rows made by hand) are skipped:
    # a fan-out never doubles a delivery, nor fails on the unique pair.
    existing = await _existing_pairs(session, [e.id for e in events])
    made = 0
    for event in events:
        for subscription in subscriptions:
            if (event.id, subscription.id) in existing:
                continue
            if event.type in subscription.event_types:
                session.add(
                    WebhookDelivery(
                        id=uuid.uuid4(),
                        event_id=event.id,
                        event_type=event.type,
                        subscription_id=subscription.id,
                        status=PENDING,
                        attempt_count=0,
                        next_attempt_at=now,
                    )
                )
                made += 1
    outbound.advance(position, events)
    await session.flush()
    return made


# Claim, send, record -----------------------------------------------------------------------


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Take up to `limit` due deliveries (`pending` and due, or `in_flight` past their lease)
    for this worker; those of a subscription switched off or deleted meanwhile are `failed`
    instead. The caller commits before sending."""
    statement = outbound.due(WebhookDelivery, tiebreak=WebhookDelivery.id, now=now, limit=limit)
    deliveries = list((await session.scalars(statement)).all())
    if not deliveries:
        return []
    subscriptions = {
        s.id: s
        for s in await session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.id.in_({d.subscription_id for d in deliveries})
            )
        )
    }
    events = {
        e.id: e
        for e in await session.scalars(
            select(Event).where(Event.id.in_({d.event_id for d in deliveries}))
        )
    }
    claimed: list[Claimed] = []
    for delivery in deliveries:
        subscription = subscriptions[delivery.subscription_id]
        if not subscription.active or subscription.deleted_at is not None:
            delivery.status, delivery.next_attempt_at = FAILED, None
            delivery.lease_expires_at = delivery.lease_token = None
            continue
        token = uuid.uuid4()
        delivery.status = IN_FLIGHT
        delivery.lease_expires_at = now + lease
        delivery.lease_token = token
        claimed.append(
            Claimed(
                delivery_id=delivery.id,
                lease_token=token,
                message_id=str(delivery.event_id),
                url=subscription.url,
                secrets=signing.signing_secrets(subscription, now),
                body=body_of(events[delivery.event_id]),
            )
        )
    await session.flush()
    return claimed


async def send(
    claimed: Claimed,
    *,
    client: httpx.AsyncClient,
    guard: addresses.Policy,
    resolver: Resolver,
    sent_at: datetime,
) -> Outcome:
    """POST one delivery, signed at `sent_at` (real time: the receiver checks it against its
    clock). The host is resolved and every address checked by the guard right before, and
    the connection goes to the address checked (the URL's host still named in `Host` and in
    TLS), so a name that resolves elsewhere by then cannot turn the request inward.
    Redirects are not followed; `TIMEOUT_SECONDS` bounds it all."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        pinned = await outbound.pin(claimed.url, guard=guard, resolver=resolver)
    except outbound.Unreachable as unreachable:
        return Outcome(elapsed(), error=unreachable.error)
    headers = {
        **signing.headers(
            claimed.secrets, message_id=claimed.message_id, timestamp=sent_at, body=claimed.body
        ),
        "content-type": "application/json",
        "host": pinned.host_header,
        # The connection goes to an address, not a name: never reuse it for another
        # subscription's host that happens to resolve to the same address (another TLS name).
        "connection": "close",
    }
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            response = await client.post(
                pinned.url,
                content=claimed.body,
                headers=headers,
                extensions={"sni_hostname": pinned.sni_hostname},
                follow_redirects=False,
                timeout=TIMEOUT_SECONDS,
            )
    except TimeoutError:
        return Outcome(elapsed(), error="timeout")
    except httpx.HTTPError as error:
        return Outcome(elapsed(), error=outbound.error_class(error))
    return Outcome(
        elapsed(),
        status_code=response.status_code,
        retry_after=response.headers.get("retry-after"),
    )


async def record(
    session: AsyncSession,
    claimed: Claimed,
    outcome: Outcome,
    *,
    now: datetime,
    random: retry.RandomSource,
) -> WebhookDelivery | None:
    """Store the attempt and, while the lease is still this worker's, the delivery's new
    state (a lease lost meanwhile: only the attempt). The caller commits."""
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == claimed.delivery_id).with_for_update()
    )
    if delivery is None:
        return None
    attempt = WebhookAttempt(
        id=uuid.uuid4(),
        delivery_id=delivery.id,
        attempted_at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        latency_ms=outcome.latency_ms,
        next_attempt_at=None,
    )
    session.add(attempt)
    succeeded = outcome.status_code is not None and 200 <= outcome.status_code < 300
    mine = delivery.status == IN_FLIGHT and delivery.lease_token == claimed.lease_token
    if not mine:  # the lease expired and another worker took it up: theirs to settle
        await session.flush()
        return delivery
    delivery.attempt_count += 1
    delivery.lease_expires_at = delivery.lease_token = None
    if succeeded:
        delivery.status, delivery.next_attempt_at = DELIVERED, None
    elif outcome.status_code == 410:
        delivery.status, delivery.next_attempt_at = FAILED, None
        await _disable(session, delivery, now)
    else:
        asked = retry.retry_after(outcome.retry_after, now=now)
        wait = retry.next_delay(delivery.attempt_count, random=random, asked=asked)
        if wait is None:
            delivery.status, delivery.next_attempt_at = FAILED, None
        else:
            delivery.status, delivery.next_attempt_at = PENDING, now + wait
    attempt.next_attempt_at = delivery.next_attempt_at
    await session.flush()
    return delivery


async def _disable(session: AsyncSession, delivery: WebhookDelivery, now: datetime) -> None:
    """A 410 Gone: the receiver asks for nothing more; switch the subscription off."""
    subscription = await session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == delivery.subscription_id)
        .with_for_update()
    )
    if subscription is None or not subscription.active:
        return
    subscription.active = False
    await audit.record(
        session,
        actor=Actor.system(),
        action=f"{subscriptions_service.RESOURCE}.disable",
        resource_type=subscriptions_service.RESOURCE,
        resource_id=subscription.id,
        now=now,
        reason="410 Gone",
        data={"delivery_id": str(delivery.id), "event_id": str(delivery.event_id)},
    )


@dataclass(frozen=True)
class Sender:
    """What sending needs besides the database: the HTTP client, the guard, the resolver."""

    client: httpx.AsyncClient
    guard: addresses.Policy
    resolver: Resolver


async def deliver_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    sender: Sender,
    now: datetime,
    sent_at: datetime,
    limit: int,
    lease: timedelta,
    random: retry.RandomSource,
) -> list[WebhookDelivery]:
    """One delivery pass (`outbound.run_pass`): claim and commit, send them all at once (no
    transaction open), then record each outcome in its own transaction. Returns the
    deliveries recorded."""
    return await outbound.run_pass(
        sessions,
        claim=lambda session: claim(session, now=now, limit=limit, lease=lease),
        send=lambda one: send(
            one, client=sender.client, guard=sender.guard, resolver=sender.resolver, sent_at=sent_at
        ),
        record=lambda session, one, outcome: record(session, one, outcome, now=now, random=random),
    )


# The deliveries of a subscription -----------------------------------------------------------


async def list_for_subscription(
    session: AsyncSession,
    *,
    principal: Principal,
    subscription_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryView]:
    """A subscription's deliveries, oldest first, each with its attempts (the subscription's
    owner and the department; anyone else's is NotFound)."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    await subscriptions_service.get(session, principal=principal, subscription_id=subscription_id)
    after = Cursor.decode(cursor) if cursor else None
    rows = await _page(session, subscription_id, after, limit)
    attempts = await _attempts_of(session, [row.id for row in rows[:limit]])
    views = [DeliveryView(row, attempts.get(row.id, [])) for row in rows]
    return page_of(views, limit, lambda view: by_creation(view.delivery))


async def redeliver(
    session: AsyncSession, *, principal: Principal, delivery_id: uuid.UUID, now: datetime
) -> DeliveryView:
    """Send a delivery again, now, with a fresh retry schedule (409 while an attempt is in
    flight, or when the subscription is switched off)."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if delivery is None:
        raise NotFound()
    try:
        subscription = await subscriptions_service.get(
            session, principal=principal, subscription_id=delivery.subscription_id
        )
    except NotFound:
        raise NotFound() from None
    if delivery.status == IN_FLIGHT and (
        delivery.lease_expires_at is None or delivery.lease_expires_at > now
    ):
        raise Conflict(IN_FLIGHT_NOW)
    if not subscription.active:
        raise Conflict(SUBSCRIPTION_INACTIVE)
    delivery.status, delivery.next_attempt_at, delivery.attempt_count = PENDING, now, 0
    delivery.lease_expires_at = delivery.lease_token = None
    await session.flush()
    await audit.record(
        session,
        actor=principal.actor,
        action="webhook_delivery.redeliver",
        resource_type="webhook_delivery",
        resource_id=delivery.id,
        now=now,
    )
    attempts = await _attempts_of(session, [delivery.id])
    return DeliveryView(delivery, attempts.get(delivery.id, []))


# Queries ------------------------------------------------------------------------------------


async def _existing_pairs(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    statement = select(WebhookDelivery.event_id, WebhookDelivery.subscription_id).where(
        WebhookDelivery.event_id.in_(list(event_ids))
    )
    return {(row.event_id, row.subscription_id) for row in await session.execute(statement)}


async def _active_subscriptions(session: AsyncSession) -> list[WebhookSubscription]:
    statement = select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True), WebhookSubscription.deleted_at.is_(None)
    )
    return list((await session.scalars(statement)).all())


async def _page(
    session: AsyncSession, subscription_id: uuid.UUID, after: Cursor | None, limit: int
) -> list[WebhookDelivery]:
    statement = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if after is not None:
        statement = statement.where(
            after_cursor(WebhookDelivery.created_at, WebhookDelivery.id, after)
        )
    order = (WebhookDelivery.created_at, WebhookDelivery.id)
    return list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())


async def _attempts_of(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    found: dict[uuid.UUID, list[WebhookAttempt]] = {}
    if not delivery_ids:
        return found
    statement = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
    )
    for attempt in await session.scalars(statement):
        found.setdefault(attempt.delivery_id, []).append(attempt)
    return found
