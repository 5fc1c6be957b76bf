"""Readiness: the database answers and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from jiebang_api.kit.migrations import current_revision, head_revision


@dataclass(frozen=True)
class Readiness:
    database: bool
    current_revision: str | None
    head_revision: str | None

    @property
    def ready(self) -> bool:
        at_head = self.head_revision is not None and self.current_revision == self.head_revision
        return self.database and at_head


async def check(engine: AsyncEngine, migrations_dir: Path) -> Readiness:
    """Never raises: an unreachable database reads as not ready."""
    head = head_revision(migrations_dir)
    try:
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError, TimeoutError):
        return Readiness(database=False, current_revision=None, head_revision=head)
    return Readiness(database=True, current_revision=current, head_revision=head)
