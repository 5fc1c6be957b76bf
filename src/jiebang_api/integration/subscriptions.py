"""Use cases of webhook subscriptions: create, list, read, edit, delete, rotate the secret.

The department (admin) and the plan system's service clients (integration) manage them; a
service client sees only the subscriptions it created (anyone else's is NotFound), the
department all of them. The secret is handed out once, by the creation and by each
rotation, and never read back. Every change is audited (never the secret). A URL must pass
the address guard (`integration.addresses`) with the addresses its host resolves to now.

The few queries of the aggregate are at the end of this module.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events.base import known as known_events
from jiebang_api.integration import addresses, signing
from jiebang_api.kit.errors import InputInvalid, Message, NotFound, Violation, require_version
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.kit.querying import after_cursor
from jiebang_api.models import WebhookSubscription

RESOURCE = "webhook_subscription"
# Resolves a host and port to the addresses (as text) a connection could go to; raises
# `LookupError` when the name does not resolve (in time).
Resolver = Callable[[str, int], Awaitable[list[str]]]
DOES_NOT_RESOLVE = Message("URL 的主机名无法解析。", "The URL's host name does not resolve.")
UNKNOWN_TYPE = Message("未知的事件类型。", "Not a known event type.")
LISTED_TWICE = Message("重复列出。", "Listed twice.")


def system_resolver(timeout: float) -> Resolver:
    """The event loop's `getaddrinfo`, bounded by `timeout` seconds."""

    async def resolve(host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError, UnicodeError) as error:
            raise LookupError(host) from error
        return sorted({str(info[4][0]) for info in infos})

    return resolve


async def literal_resolver(host: str, port: int) -> list[str]:
    """A host that is an IP address resolves to itself; no name resolves (nothing is looked
    up: `JIEBANG_WEBHOOK_RESOLVE_NAMES=false`)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        raise LookupError(host) from None


def _refused(reason: Message) -> InputInvalid:
    return InputInvalid(violations=[Violation(reason, field="body.url")])


async def check_url(url: str, *, guard: addresses.Policy, resolver: Resolver) -> None:
    """The address guard on `url` with what its host resolves to now (422 at `body.url`)."""
    try:
        target = addresses.target_of(url, guard)
        try:
            resolved = await resolver(target.host, target.port)
        except LookupError:
            raise _refused(DOES_NOT_RESOLVE) from None
        addresses.check(url, resolved, guard)
    except addresses.Refused as refusal:
        raise _refused(refusal.reason) from None


def check_event_types(event_types: Sequence[str]) -> None:
    """Each a known event type (`events.base.known()`), none twice (422 per item)."""
    known = {event_class.type for event_class in known_events()}
    found: list[Violation] = []
    seen: set[str] = set()
    for n, event_type in enumerate(event_types):
        where = f"body.event_types.{n}"
        if event_type not in known:
            found.append(Violation(UNKNOWN_TYPE, field=where))
        elif event_type in seen:
            found.append(Violation(LISTED_TWICE, field=where))
        seen.add(event_type)
    if not event_types:
        found.append(
            Violation(
                Message("至少订阅一种事件类型。", "Subscribe to at least one event type."),
                field="body.event_types",
            )
        )
    if found:
        raise InputInvalid(violations=found)


def _owner(principal: Principal) -> tuple[str, str]:
    return principal.actor.type.value, str(principal.actor.id)


def _sees(principal: Principal, subscription: WebhookSubscription) -> bool:
    if principal.has(Role.ADMIN):
        return True
    return (subscription.owner_type, subscription.owner_id) == _owner(principal)


async def _record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    subscription: WebhookSubscription,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """The entry carries the changed columns (`audit.changes`), which never include a
    secret (`audit.changes.SECRETS`)."""
    await audit.record(
        session,
        actor=principal.actor,
        action=f"{RESOURCE}.{action}",
        resource_type=RESOURCE,
        resource_id=subscription.id,
        now=now,
        data=data,
    )


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    active: bool,
    now: datetime,
    guard: addresses.Policy,
    resolver: Resolver,
) -> tuple[WebhookSubscription, str]:
    """A subscription of the caller's, and its secret (returned this once)."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    check_event_types(event_types)
    await check_url(url, guard=guard, resolver=resolver)
    owner_type, owner_id = _owner(principal)
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        url=url,
        event_types=list(event_types),
        description=description,
        active=active,
        secret=signing.new_secret(),
        owner_type=owner_type,
        owner_id=owner_id,
    )
    session.add(subscription)
    await session.flush()
    await _record(session, principal, "create", subscription, now)
    return subscription, subscription.secret


async def get(
    session: AsyncSession, *, principal: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    return await _visible(session, principal, subscription_id, lock=False)


async def list_(
    session: AsyncSession, *, principal: Principal, cursor: str | None, limit: int
) -> Page[WebhookSubscription]:
    """The caller's subscriptions (the department: everyone's), oldest first."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    after = Cursor.decode(cursor) if cursor else None
    owner = None if principal.has(Role.ADMIN) else _owner(principal)
    rows = await _page(session, owner=owner, after=after, limit=limit)
    return page_of(rows, limit, by_creation)


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    subscription_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
    guard: addresses.Policy,
    resolver: Resolver,
) -> WebhookSubscription:
    """Change the given fields, validated as at creation (`If-Match` honoured)."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    subscription = await _visible(session, principal, subscription_id, lock=True)
    require_version(subscription.version, expected_version)
    if "event_types" in changes:
        check_event_types(changes["event_types"])
    if "url" in changes and changes["url"] != subscription.url:
        await check_url(changes["url"], guard=guard, resolver=resolver)
    for name, value in changes.items():
        setattr(subscription, name, list(value) if name == "event_types" else value)
    await _record(session, principal, "update", subscription, now)
    return subscription


async def delete(
    session: AsyncSession, *, principal: Principal, subscription_id: uuid.UUID, now: datetime
) -> None:
    """Delete: the row stays (for the audit trail and deliveries), no read shows it again."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    subscription = await _visible(session, principal, subscription_id, lock=True)
    subscription.deleted_at = now
    subscription.active = False
    await _record(session, principal, "delete", subscription, now)


async def rotate_secret(
    session: AsyncSession,
    *,
    principal: Principal,
    subscription_id: uuid.UUID,
    now: datetime,
) -> tuple[WebhookSubscription, str]:
    """A new secret (returned this once); the current one stays valid `signing.OVERLAP`."""
    policy.require(principal, Permission.MANAGE_WEBHOOKS)
    subscription = await _visible(session, principal, subscription_id, lock=True)
    secret, previous, expires_at = signing.rotated(subscription, now)
    subscription.secret = secret
    subscription.previous_secret = previous
    subscription.previous_secret_expires_at = expires_at
    await _record(session, principal, "rotate_secret", subscription, now)
    return subscription, secret


async def _visible(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, *, lock: bool
) -> WebhookSubscription:
    subscription = await _get(session, subscription_id, lock=lock)
    if subscription is None or not _sees(principal, subscription):
        raise NotFound()
    return subscription


# Queries ------------------------------------------------------------------------------------


def _live() -> Select[WebhookSubscription]:
    return select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))


async def _get(
    session: AsyncSession, subscription_id: uuid.UUID, *, lock: bool
) -> WebhookSubscription | None:
    statement = _live().where(WebhookSubscription.id == subscription_id)
    if lock:
        statement = statement.with_for_update()
    found: WebhookSubscription | None = await session.scalar(statement)
    return found


async def _page(
    session: AsyncSession, *, owner: tuple[str, str] | None, after: Cursor | None, limit: int
) -> list[WebhookSubscription]:
    """Up to `limit + 1` live subscriptions in `(created_at, id)` order, of `owner` if given."""
    statement = _live()
    if owner is not None:
        statement = statement.where(
            WebhookSubscription.owner_type == owner[0], WebhookSubscription.owner_id == owner[1]
        )
    if after is not None:
        statement = statement.where(
            after_cursor(WebhookSubscription.created_at, WebhookSubscription.id, after)
        )
    order = (WebhookSubscription.created_at, WebhookSubscription.id)
    return list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())
