"""Before/after values of changed columns, taken generically from SQLAlchemy's history.

A `before_flush` listener on every `Session` (an `AsyncSession` flushes through one) notes,
per object id, the columns the flush is about to write: for a new object its non-null values
(old is null), for a changed one the columns whose history changed. Several flushes of one
object merge (the first old, the latest new) until `take` hands them to the audit entry that
`audit.service.record` writes; whatever is left when the transaction ends is dropped.
Relationships are never touched (they are `lazy="raise"`), nor is anything loaded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState, Session, SessionTransaction, UOWTransaction

from jiebang_api.models import AuditEntry

# Where the pending changes live: session.info[INFO_KEY][str(object id)][field] = {old, new}.
INFO_KEY = "jiebang_api.audit.changes"
# Bookkeeping columns change with every write and tell a reader nothing; credentials must
# never reach the trail, whose entries cannot be edited afterwards without breaking the chain.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "search_text"})
SECRETS = frozenset({"password_hash", "secret_hash", "secret", "previous_secret"})
IGNORED = BOOKKEEPING | SECRETS

Changes = dict[str, dict[str, Any]]
_PLAIN = frozenset({str, int, bool, float})  # JSON as they are (exact types: not enums)


def to_json(value: Any) -> Any:
    """A column value as plain JSON: decimals keep their digits as strings, instants are ISO."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return json.loads(json.dumps(value, default=str))


def _first(values: Any) -> Any:
    return to_json(values[0]) if values else None


def _new_values(state: InstanceState[Any]) -> Changes:
    """A new object's non-null columns, as the object holds them (old is null)."""
    return {
        prop.key: {"old": None, "new": to_json(state.dict[prop.key])}
        for prop in state.mapper.column_attrs
        if prop.key not in IGNORED and state.dict.get(prop.key) is not None
    }


def _dirty_values(state: InstanceState[Any]) -> Changes:
    """A loaded object's columns whose value this flush will change."""
    found: Changes = {}
    for prop in state.mapper.column_attrs:
        if prop.key in IGNORED:
            continue
        history = state.attrs[prop.key].history
        if history.has_changes():
            found[prop.key] = {"old": _first(history.deleted), "new": _first(history.added)}
    return found


def _merge(into: Changes, found: Changes) -> None:
    """Fold one flush into the earlier ones: the first old, the latest new; no-ops vanish."""
    for field, change in found.items():
        old = into[field]["old"] if field in into else change["old"]
        if old == change["new"]:
            into.pop(field, None)
        else:
            into[field] = {"old": old, "new": change["new"]}


def _note(session: Session, obj: object, read: Callable[[InstanceState[Any]], Changes]) -> None:
    """Merge what `read` finds on `obj` into the session's pending changes, under its id."""
    state: InstanceState[Any] = inspect(obj)
    if isinstance(obj, AuditEntry) or "id" not in state.mapper.column_attrs:
        return
    key = state.dict.get("id")
    found = read(state)
    if key is None or not found:
        return
    pending: dict[str, Changes] = session.info.setdefault(INFO_KEY, {})
    merged = pending.setdefault(str(key), {})
    _merge(merged, found)
    if not merged:
        del pending[str(key)]


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: UOWTransaction, _instances: object) -> None:
    for obj in session.new:
        _note(session, obj, _new_values)
    for obj in session.dirty:
        _note(session, obj, _dirty_values)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Changes not audited by the end of their transaction must not reach a later entry.
    if transaction.parent is None:
        session.info.pop(INFO_KEY, None)


def take(session: Session, resource_id: str | uuid.UUID) -> Changes | None:
    """Remove and return the changes noted for `resource_id`; None when there are none."""
    pending: dict[str, Changes] = session.info.get(INFO_KEY, {})
    return pending.pop(str(resource_id), None) or None
