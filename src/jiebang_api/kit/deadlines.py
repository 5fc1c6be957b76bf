"""One mechanism for time-driven transitions (window ends, notice period ends, …).

Each aggregate with deadlines has a pure `next_deadline(row) -> Deadline | None`, stores the
earliest due moment in an indexed `next_check_at` column, and registers a `DeadlineSource`
(from `jiebang_api.wiring`) whose `run` applies whatever is due through the aggregate's own
use case. Reads compute the effective state without writing; `kit.sweep.sweep` is the one
worker pass that runs what is due. This module is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

A = TypeVar("A", bound=StrEnum)


@dataclass(frozen=True)
class Deadline(Generic[A]):
    """The next time-driven step of one aggregate: at `due_at`, take `action`."""

    due_at: datetime
    action: A


def due_at(deadline: Deadline[Any] | None) -> datetime | None:
    """What goes into `next_check_at`."""
    return deadline.due_at if deadline is not None else None
