"""The project the last signature creates (第九条（八）) and its public announcement."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity

PROJECT_STATUSES = (
    "in_progress",
    "acceptance_requested",
    "accepted",
    "acceptance_failed",
    "completed",
    "closed",
    "suspended",
    "terminating",
    "terminated",
)


def _org() -> Any:
    return mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))


class Project(Entity, Base):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in PROJECT_STATUSES) + ")", name="status"
        ),
        CheckConstraint("end_on >= start_on", name="dates"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreement.id", ondelete="RESTRICT"), unique=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT")
    )
    # One project per listing: a listing is awarded once.
    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listing.id", ondelete="RESTRICT"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    demand_org_id: Mapped[uuid.UUID | None] = _org()
    supply_org_id: Mapped[uuid.UUID] = _org()
    lead_org_id: Mapped[uuid.UUID] = _org()
    policy_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("policy_version.id", ondelete="RESTRICT")
    )
    agreement_amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    total_rd_investment: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    requested_subsidy: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), default="in_progress")
    signed_at: Mapped[datetime]


class Announcement(Entity, Base):
    """The public announcement of a signed project (揭榜结果公告)."""

    __tablename__ = "announcement"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), unique=True
    )
    title: Mapped[str] = mapped_column(String(300))
    # What the public reads: codes, names, figures and dates; no personal data.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime]
