"""The department's management of a project (第十四条, 第十七条): entrustments to a
third-party agency, the acceptance, and misconduct cases."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity


def _project() -> Any:
    return mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))


class Entrustment(Entity, Base):
    """An agency may act on one project within a scope (R-MGMT-AGENCY) until revoked; a
    revoked entrustment stays as history."""

    __tablename__ = "entrustment"
    __table_args__ = (
        # One live entrustment per project and agency.
        Index(
            "uq_entrustment_live",
            "project_id",
            "agency_org_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_entrustment_agency", "agency_org_id"),
    )

    project_id: Mapped[uuid.UUID] = _project()
    agency_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    # Any of "reports", "acceptance", "audit".
    scope: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None]


class Acceptance(Entity, Base):
    """The demand side's request for acceptance and its result (第十二条, 第十四条)."""

    __tablename__ = "acceptance"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('passed', 'failed')", name="outcome"),
        CheckConstraint(
            "method IS NULL OR method IN ('acceptance', 'performance_evaluation')", name="method"
        ),
        CheckConstraint("score IS NULL OR score >= 0", name="score"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_by: Mapped[uuid.UUID | None]
    requested_at: Mapped[datetime]
    method: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
    comments: Mapped[str | None] = mapped_column(Text)
    result_attachment_ids: Mapped[list[str] | None] = mapped_column(JSON)
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]


class MisconductCase(Entity, Base):
    """A case of suspected fraud or collusion on a project (第十七条): the project is
    suspended while it is open (R-INTEG-MISCONDUCT, a reading)."""

    __tablename__ = "misconduct_case"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'cleared', 'sanctioned')", name="status"),
        Index("ix_misconduct_case_project", "project_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = _project()
    allegation: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by: Mapped[uuid.UUID | None]
    closed_by: Mapped[uuid.UUID | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    credit_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("credit_record.id", ondelete="RESTRICT")
    )
