"""Small query-building helpers shared by repositories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, cast, literal, tuple_

from jiebang_api.kit.pagination import Cursor

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Row-value comparisons, `(at, id) > (:at, :id)`: the database starts an index range scan at
# the cursor, so page 500 costs what page 1 costs (an OR of the two conditions would not).


def after_cursor(at: Any, id_: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Rows after `cursor` in ascending `(at, id)` order (keyset pagination)."""
    return tuple_(at, id_) > tuple_(literal(cursor.at, at.type), literal(cursor.id, id_.type))


def before_cursor(at: Any, id_: Any) -> ColumnElement[bool]:
    """Rows after a cursor in descending `(at, id)` order (newest first); the cursor goes in
    as the parameters `cursor_at` and `cursor_id` (the statement can be built once)."""
    return tuple_(at, id_) < tuple_(
        bindparam("cursor_at", type_=at.type), bindparam("cursor_id", type_=id_.type)
    )


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (:a, :b, …)` with one bound parameter per value, for a fixed set of values:
    compiled once and cached (a plain `in_([...])` is re-rendered on every execution)."""
    condition: ColumnElement[bool] = column.in_([literal(value, column.type) for value in values])
    return condition


def mentions(json_list: Any, value: str) -> ColumnElement[bool]:
    """Rows whose JSON list column mentions `value` as text (alike on SQLite and PostgreSQL).
    A coarse filter: callers check list membership exactly on the rows it returns."""
    return cast(json_list, String).contains(value, autoescape=True)
