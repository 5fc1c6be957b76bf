"""A project's milestones (from its agreement) and the progress and expenditure reports its
sides submit, which the department (or an entrusted agency) reviews (第十三条, 第十四条)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity


class ProjectMilestone(Entity, Base):
    """One milestone of the agreement, copied when the project is created; a report's `met`
    update marks it met. Whether it is overdue is computed on reading (never stored); the
    sweep records, once, that it became overdue (`overdue_recorded_at`)."""

    __tablename__ = "project_milestone"
    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("status IN ('pending', 'met')", name="status"),
        CheckConstraint(
            "last_progress IS NULL OR last_progress IN ('met', 'on_track', 'delayed')",
            name="last_progress",
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    deliverable: Mapped[str] = mapped_column(Text)
    kpi: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    met_on: Mapped[date | None] = mapped_column(Date)
    # What the last report said of it, and its note.
    last_progress: Mapped[str | None] = mapped_column(String(16))
    last_note: Mapped[str | None] = mapped_column(Text)
    last_report_id: Mapped[uuid.UUID | None]
    # When the sweep recorded that it became overdue (once per milestone).
    overdue_recorded_at: Mapped[datetime | None]


class ProjectReport(Entity, Base):
    """A progress or expenditure report of either side of a project, reviewed once."""

    __tablename__ = "project_report"
    __table_args__ = (
        CheckConstraint("kind IN ('progress', 'expenditure')", name="kind"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("spent >= 0", name="spent"),
        CheckConstraint("kind = 'expenditure' OR spent = 0", name="spent_on_expenditure"),
        CheckConstraint(
            "review_outcome IS NULL OR review_outcome IN ('accepted', 'needs_revision')",
            name="review_outcome",
        ),
        Index("ix_project_report_project", "project_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    # [{milestone_id, status, note}] as submitted.
    milestone_updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{category, amount}] (amounts as decimal strings); an expenditure report only.
    expenditures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The sum of `expenditures`: the subsidy the report says was spent (R-FUND-USE).
    spent: Mapped[Decimal] = mapped_column(
        ExactDecimal(18, 2), default=Decimal(0), server_default="0"
    )
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    submitted_by: Mapped[uuid.UUID | None]
    submitted_on: Mapped[date] = mapped_column(Date)
    review_outcome: Mapped[str | None] = mapped_column(String(16))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID | None]
    reviewed_at: Mapped[datetime | None]
