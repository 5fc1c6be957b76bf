"""Publish a domain event: its outbox row and its in-process reactions, in one transaction.

Reactions are registered by `jiebang_api.wiring` only, so a lower domain never learns who
reacts to it. A reaction that raises fails the whole use case: the state change, its audit
entry, the outbox row and every other reaction roll back together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.events.base import DomainEvent
from jiebang_api.kit.actor import Actor
from jiebang_api.outbox import service as outbox

E = TypeVar("E", bound=DomainEvent)
Reaction = Callable[[AsyncSession, E], Awaitable[None]]

_reactions: dict[type[DomainEvent], list[Reaction[Any]]] = defaultdict(list)


def subscribe(event_class: type[E], reaction: Reaction[E]) -> None:
    """Run `reaction` whenever an `event_class` is published (once per registration)."""
    if reaction not in _reactions[event_class]:
        _reactions[event_class].append(reaction)


def unsubscribe(event_class: type[E], reaction: Reaction[E]) -> None:
    """Forget a registration (tests use it to add and remove a reaction)."""
    if reaction in _reactions[event_class]:
        _reactions[event_class].remove(reaction)


def reactions_to(event_class: type[DomainEvent]) -> list[Reaction[Any]]:
    return list(_reactions[event_class])


async def publish(session: AsyncSession, event: DomainEvent) -> None:
    """Write the outbox row, then run the reactions in registration order."""
    await outbox.add(
        session,
        event_type=event.type,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        now=event.occurred_at,
        payload=event.payload(),
    )
    for reaction in reactions_to(type(event)):
        await reaction(session, event)


async def record(
    session: AsyncSession,
    event: DomainEvent,
    *,
    actor: Actor,
    action: str,
    to_state: str | None,
    from_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    resource: tuple[str, Any] | None = None,
) -> None:
    """A use case's audit entry, then its event, in the caller's transaction. The entry is
    on the event's resource unless `resource` names another (type, id)."""
    resource_type, resource_id = resource or (event.resource_type, event.resource_id)
    await audit.record(
        session,
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        now=event.occurred_at,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )
    await publish(session, event)
