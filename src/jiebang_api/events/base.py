"""The base of every domain event (pure: no I/O).

An event is a frozen dataclass naming one fact in the past tense (`listing.closed`). Its
fields are its public payload: they go into the outbox row, the change feed and webhooks,
and their JSON schema is part of the OpenAPI document.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any, ClassVar

_KNOWN: dict[str, type[DomainEvent]] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """A fact that happened: `type` names it, `resource_type` and `resource_id` say to what."""

    type: ClassVar[str]
    resource_type: ClassVar[str]
    summary: ClassVar[tuple[str, str]]  # (zh, en): what the fact means, for the contract

    occurred_at: datetime

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" not in cls.__dict__:
            return  # an intermediate base, not an event of its own
        if cls.type in _KNOWN:
            raise TypeError(f"event type {cls.type!r} is declared twice")
        _KNOWN[cls.type] = cls

    @property
    def resource_id(self) -> uuid.UUID:
        """The id of the resource the event is about: the `<resource_type>_id` field."""
        value: uuid.UUID = getattr(self, f"{self.resource_type}_id")
        return value

    def payload(self) -> dict[str, Any]:
        """The fields as plain JSON values (ids and instants as strings)."""
        return {name: _plain(value) for name, value in dataclasses.asdict(self).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def known() -> list[type[DomainEvent]]:
    """Every event type declared so far (imported modules), sorted by type string."""
    return [_KNOWN[name] for name in sorted(_KNOWN)]
