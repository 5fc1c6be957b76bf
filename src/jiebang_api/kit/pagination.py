"""Keyset pagination: opaque cursors over a stable `(instant, id)` order."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from jiebang_api.kit.errors import InputInvalid, Message, Violation

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    """The position after (or before) the row with this instant and id."""

    at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Parse a cursor from a previous page; a damaged one is the caller's error."""
        try:
            padded = token + "=" * (-len(token) % 4)
            at, id_ = json.loads(base64.urlsafe_b64decode(padded))
            parsed = cls(datetime.fromisoformat(at), uuid.UUID(id_))
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
            raise InputInvalid(
                violations=[
                    Violation(
                        Message("分页游标无效。", "The cursor is not valid."), field="query.cursor"
                    )
                ]
            ) from None
        if parsed.at.tzinfo is None:
            raise InputInvalid(Message("分页游标无效。", "The cursor is not valid."))
        return parsed


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_of(
    rows: list[T], limit: int, key: Callable[[T], tuple[datetime | None, uuid.UUID]]
) -> Page[T]:
    """A page from up to `limit + 1` rows (the extra one says there is more); the cursor
    points after the last row shown, by its `key` (instant, id)."""
    items = rows[:limit]
    if len(rows) > limit and items:
        at, id_ = key(items[-1])
        if at is not None:
            return Page(items, Cursor(at, id_).encode())
    return Page(items, None)


def by_creation(row: Any) -> tuple[datetime | None, uuid.UUID]:
    """The `(created_at, id)` key most lists page by."""
    return row.created_at, row.id
