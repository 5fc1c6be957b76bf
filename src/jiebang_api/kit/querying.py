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


def after_cursor(created_at: Any, id_: Any, cursor: Cursor) -> ColumnElement[bool]:
    """Rows after `cursor` in `(created_at, id)` order (keyset pagination)."""
    return or_(
        created_at > cursor.created_at, and_(created_at == cursor.created_at, id_ > cursor.id)
    )
