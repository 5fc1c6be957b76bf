"""The project the last signature creates (第九条（八）) and its public announcement."""

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
        # R-DISB-NEVER-EXCEED, in the database too: what is paid never passes the subsidy.
        CheckConstraint(
            "disbursed >= 0 AND (disbursed = 0 OR (subsidy IS NOT NULL AND disbursed <= subsidy))",
            name="never_exceed",
        ),
        Index("ix_project_next_check_at", "next_check_at"),
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
    # The funding decision's subsidy, and the sum of the tranches paid (kept on the locked
    # row with each disbursement).
    subsidy: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    disbursed: Mapped[Decimal] = mapped_column(
        ExactDecimal(18, 2), default=Decimal(0), server_default="0"
    )
    # When the project passed acceptance (set by the acceptance use case).
    accepted_at: Mapped[datetime | None]
    # Where a misconduct case suspended it from; a cleared case returns it there.
    suspended_from: Mapped[str | None] = mapped_column(String(32))
    # When a pending milestone falls due next and is not yet recorded overdue (the sweep's
    # moment: projects/milestones.py).
    next_check_at: Mapped[datetime | None]
    # When the sweep recorded that the project ran to its end without asking for acceptance;
    # cleared when an extension moves the end.
    acceptance_overdue_at: Mapped[datetime | None]
    # The plan management system's id for the project, recorded from its answer to our push
    # (integration/plan_system.py); None until it has accepted one.
    plan_system_id: Mapped[str | None] = mapped_column(String(64))


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


class FundingDecision(Entity, Base):
    """The department's decision on a project's subsidy (第十二条: T and the agreement
    verified), with the case-by-case decision that lifts the caps when there is one."""

    __tablename__ = "funding_decision"
    __table_args__ = (
        CheckConstraint("subsidy > 0", name="subsidy_positive"),
        CheckConstraint(
            "first_tranche IS NULL OR (first_tranche >= 0 AND first_tranche <= subsidy)",
            name="first_tranche",
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), unique=True
    )
    subsidy: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    # Set by the decision for an emergency project only (no demand-side payment to scale by).
    first_tranche: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    case_by_case_reason: Mapped[str | None] = mapped_column(Text)
    case_by_case_document_ref: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[uuid.UUID | None]


class Payment(Entity, Base):
    """A payment of the demand side to the supply side under the agreement, with its proof;
    the department verifies it (R-DISB-FIRST-PAYMENT)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("instalment_seq > 0", name="seq_positive"),
        CheckConstraint("status IN ('submitted', 'accepted', 'rejected')", name="status"),
        Index("ix_payment_project", "project_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    instalment_seq: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    payee_org_id: Mapped[uuid.UUID] = _org()
    proof_attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    recorded_by: Mapped[uuid.UUID | None]
    verified_by: Mapped[uuid.UUID | None]
    verified_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class Disbursement(Entity, Base):
    """A tranche of the subsidy paid to the recipient; one per tranche (R-DISB-NEVER-EXCEED)."""

    __tablename__ = "disbursement"
    __table_args__ = (
        CheckConstraint("tranche IN ('first', 'final')", name="tranche"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("project_id", "tranche"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    tranche: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    recipient_org_id: Mapped[uuid.UUID] = _org()
    disbursed_by: Mapped[uuid.UUID | None]
