"""Negotiation and the agreement (揭榜协议, 第九条（六）（七）): the records of the talks, the
agreed terms with each side's confirmation, and the department's waivers of "in principle"
rules on it."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity

AGREEMENT_STATUSES = (
    "draft",
    "confirmed",
    "submitted",
    "returned",
    "in_publicity",
    "publicity_passed",
    "signed",
    "annulled",
)


class Negotiation(Entity, Base):
    __tablename__ = "negotiation"
    __table_args__ = (Index("ix_negotiation_application", "application_id", "created_at"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT")
    )
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[uuid.UUID | None]


class Agreement(Entity, Base):
    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in AGREEMENT_STATUSES) + ")", name="status"
        ),
        # Upper bounds are the domain's (the stored unit differs between engines).
        CheckConstraint(
            "agreement_amount >= 0 AND total_rd_investment > 0 AND requested_subsidy >= 0",
            name="amounts",
        ),
        CheckConstraint("duration_months > 0", name="duration_positive"),
        # One live agreement per application.
        Index(
            "uq_agreement_live_application",
            "application_id",
            unique=True,
            sqlite_where=text("status <> 'annulled'"),
            postgresql_where=text("status <> 'annulled'"),
        ),
        Index("ix_agreement_next_check_at", "next_check_at"),
        CheckConstraint("open_objections >= 0", name="open_objections"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT")
    )
    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listing.id", ondelete="RESTRICT"), index=True
    )
    # The demand side is null for an emergency listing: the department stands for it.
    demand_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    supply_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(32), default="draft")
    agreement_amount: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    total_rd_investment: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    requested_subsidy: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    start_on: Mapped[date] = mapped_column(Date)
    duration_months: Mapped[int] = mapped_column(Integer)
    # [{seq, amount (decimal string), due_on, condition}]
    payment_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ip_ownership: Mapped[str] = mapped_column(Text)
    benefit_sharing: Mapped[str] = mapped_column(Text)
    # [{title, due_on, deliverable, kpi}]
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{category, amount (decimal string)}]
    budget_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    policy_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("policy_version.id", ondelete="RESTRICT")
    )
    demand_confirmed_by: Mapped[uuid.UUID | None]
    demand_confirmed_at: Mapped[datetime | None]
    supply_confirmed_by: Mapped[uuid.UUID | None]
    supply_confirmed_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # The public notice (公示): its working days, the instant objections close (the end of
    # its last day in Asia/Shanghai), and each year's calendar source ({year: source}).
    publicity_starts_on: Mapped[date | None] = mapped_column(Date)
    publicity_ends_on: Mapped[date | None] = mapped_column(Date)
    objections_close_at: Mapped[datetime | None]
    publicity_calendar: Mapped[dict[str, str] | None] = mapped_column(JSON)
    next_check_at: Mapped[datetime | None]
    # Objections filed and not yet resolved: the notice cannot pass while any is open.
    open_objections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    signed_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None]


class AgreementWaiver(Entity, Base):
    """The department lifts one "in principle" rule on one agreement, with its reasons."""

    __tablename__ = "agreement_waiver"
    __table_args__ = (UniqueConstraint("agreement_id", "rule"),)

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"))
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    document_ref: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[uuid.UUID | None]


OBJECTION_STATUSES = ("open", "upheld", "dismissed")


class Objection(Entity, Base):
    """An objection filed during an agreement's public notice (公示), by anyone; the
    department upholds or dismisses it. The contact is for the department only."""

    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint("filer_kind IN ('individual', 'organization')", name="filer_kind"),
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in OBJECTION_STATUSES) + ")", name="status"
        ),
        Index("ix_objection_agreement", "agreement_id", "created_at"),
        Index("ix_objection_status", "status", "created_at"),
    )

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"))
    filer_name: Mapped[str] = mapped_column(String(100))
    filer_kind: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(200))
    grounds: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    filed_by: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[uuid.UUID | None]
    resolved_at: Mapped[datetime | None]


class AgreementSignature(Entity, Base):
    """One party's signature on the agreement or the task book (R-WF-SIGN-ALL)."""

    __tablename__ = "agreement_signature"
    __table_args__ = (
        CheckConstraint("document IN ('agreement', 'task_book')", name="document"),
        CheckConstraint("party IN ('demand', 'supply', 'department')", name="party"),
        UniqueConstraint("agreement_id", "document", "party"),
    )

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"))
    document: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(16))
    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attachment.id", ondelete="RESTRICT")
    )
    signed_by: Mapped[uuid.UUID | None]
