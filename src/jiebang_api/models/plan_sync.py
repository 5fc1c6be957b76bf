"""The push of each project to the region's plan management system (Art. 9 (8)): one row per
project, `integration/plan_system.py`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base


class PlanSync(Base):
    """Where a project's copy in the plan system stands. `pending` until due, `in_flight`
    while a worker holds its lease, then `synced` or `failed`. Every change the fan-out sees
    bumps `changes`; a push that started before the last change leaves the row `pending`
    again (each push sends the project's current state, so one push covers every change
    seen before it started)."""

    __tablename__ = "plan_sync"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'in_flight', 'synced', 'failed')", name="status"),
        Index("ix_plan_sync_due", "status", "next_attempt_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    # Changes the fan-out has seen, and how many of them the claim in flight covers.
    changes: Mapped[int] = mapped_column(Integer, default=0)
    claimed_changes: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts since the last change (the retry schedule's n).
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    lease_token: Mapped[uuid.UUID | None]
    # The last attempt: the plan system's status code or the error's class, and when.
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(128))
    last_attempt_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
