"""Small query-building helpers shared by repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from jiebang_api.kit.pagination import Cursor

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def after_cursor(at: Any, id_: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Rows after `cursor` in ascending `(at, id)` order (keyset pagination)."""
    return or_(at > cursor.at, and_(at == cursor.at, id_ > cursor.id))


def before_cursor(at: Any, id_: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Rows after `cursor` in descending `(at, id)` order (newest first)."""
    return or_(at < cursor.at, and_(at == cursor.at, id_ < cursor.id))
