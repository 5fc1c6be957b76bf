"""A project's change requests, its special audit and the recovery of its subsidy (第十六条)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity

OPEN_CHANGE = "status IN ('awaiting_consent', 'awaiting_approval')"


class ChangeRequest(Entity, Base):
    """A side's request to extend or terminate its project (R-CHG-FORCE-MAJEURE): the other
    side's consent, then the department's decision. One open request per project."""

    __tablename__ = "change_request"
    __table_args__ = (
        CheckConstraint("kind IN ('extension', 'termination')", name="kind"),
        CheckConstraint(
            "status IN ('awaiting_consent', 'awaiting_approval', 'approved', 'rejected')",
            name="status",
        ),
        CheckConstraint("filed_by_side IN ('demand', 'supply')", name="side"),
        CheckConstraint(
            "(kind = 'extension' AND new_end_on IS NOT NULL)"
            " OR (kind = 'termination' AND new_end_on IS NULL)",
            name="new_end_on",
        ),
        Index("ix_change_request_project", "project_id", "created_at"),
        Index(
            "uq_change_request_open",
            "project_id",
            unique=True,
            sqlite_where=text(OPEN_CHANGE),
            postgresql_where=text(OPEN_CHANGE),
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    reason_category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    new_end_on: Mapped[date | None] = mapped_column(Date)
    # The end date when the request was filed (an approved extension moves it).
    end_on_at_filing: Mapped[date] = mapped_column(Date)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))
    filed_by_side: Mapped[str] = mapped_column(String(8))
    filed_by: Mapped[uuid.UUID | None]
    consented_by: Mapped[uuid.UUID | None]
    consented_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class SpecialAudit(Entity, Base):
    """The special audit of a terminating project and where the recovery of its subsidy
    stands (R-CHG-TERMINATION-AUDIT): due, recovered (kept on the project's row lock with
    each recovery, never above due) and any amount written off by the department."""

    __tablename__ = "special_audit"
    __table_args__ = (
        CheckConstraint("audited_eligible_spending >= 0", name="spending"),
        CheckConstraint("recovery_due >= 0", name="due"),
        CheckConstraint("recovered >= 0 AND recovered <= recovery_due", name="recovered"),
        CheckConstraint(
            "written_off IS NULL OR (written_off > 0 AND recovered + written_off = recovery_due)",
            name="written_off",
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), unique=True
    )
    disbursed: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    audited_eligible_spending: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    recovery_due: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    recovered: Mapped[Decimal] = mapped_column(
        ExactDecimal(18, 2), default=Decimal(0), server_default="0"
    )
    auditor: Mapped[str] = mapped_column(String(200))
    report_attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="RESTRICT")
    )
    audited_by: Mapped[uuid.UUID | None]
    written_off: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    write_off_reason: Mapped[str | None] = mapped_column(Text)
    write_off_document_ref: Mapped[str | None] = mapped_column(String(200))
    written_off_by: Mapped[uuid.UUID | None]
    written_off_at: Mapped[datetime | None]


class Recovery(Entity, Base):
    """A repayment of subsidy by the recipient after the special audit, with its proof."""

    __tablename__ = "recovery"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_recovery_project", "project_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    paid_on: Mapped[date] = mapped_column(Date)
    proof_attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="RESTRICT")
    )
    recorded_by: Mapped[uuid.UUID | None]
