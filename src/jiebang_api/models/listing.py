"""Listings (榜单), their assessment opinions and the per-year code counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity, utcnow

LISTING_KINDS = ("tech_breakthrough", "achievement_transfer", "emergency")
LISTING_STATUSES = (
    "draft",
    "submitted",
    "under_assessment",
    "returned",
    "approved",
    "confirmed",
    "published",
    "closed",
    "awarded",
    "failed",
    "rejected",
    "withdrawn",
    "cancelled",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Listing(Entity, Base):
    __tablename__ = "listing"
    __table_args__ = (
        CheckConstraint(_in("kind", LISTING_KINDS), name="kind"),
        CheckConstraint(_in("status", LISTING_STATUSES), name="status"),
        CheckConstraint(
            "proposer_org_id IS NOT NULL OR kind = 'emergency'", name="proposer_unless_emergency"
        ),
        CheckConstraint(
            "total_rd_investment IS NULL OR total_rd_investment >= 0", name="rd_nonneg"
        ),
        CheckConstraint(
            "application_closes_at IS NULL OR application_closes_at > application_opens_at",
            name="window_order",
        ),
        Index("ix_listing_status_created", "status", "created_at", "id"),
        Index("ix_listing_proposer", "proposer_org_id"),
        Index("ix_listing_kind", "kind"),
        Index("ix_listing_industry", "industry"),
        Index("ix_listing_public_order", "published_at", "id"),
        Index("ix_listing_closes_at", "application_closes_at"),
        Index("ix_listing_opens_at", "application_opens_at"),
        Index("ix_listing_next_check_at", "next_check_at"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    # An import of the plan management system's (PUT /api/v1/integration/…/{external_ref}):
    # its reference, and the digest of the body it last sent (a repeat changes nothing).
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    import_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="draft")
    proposer_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    title: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    background: Mapped[str | None] = mapped_column(Text)
    key_technologies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transfer_content: Mapped[str | None] = mapped_column(Text)
    transfer_form: Mapped[str | None] = mapped_column(String(200))
    # 第七条（一）: the application direction and the expected industrial effect.
    application_direction: Mapped[str | None] = mapped_column(Text)
    industrial_effect: Mapped[str | None] = mapped_column(Text)
    # 第七条（三）: the transfer service team or the supporting third-party institution.
    transfer_service: Mapped[str | None] = mapped_column(Text)
    time_requirement_months: Mapped[int | None] = mapped_column(Integer)
    total_rd_investment: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    demand_requirements: Mapped[str | None] = mapped_column(Text)
    supply_requirements: Mapped[str | None] = mapped_column(Text)
    ip_ownership: Mapped[str | None] = mapped_column(Text)
    benefit_sharing: Mapped[str | None] = mapped_column(Text)
    ip_records: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[uuid.UUID | None]
    application_opens_at: Mapped[datetime | None]
    application_closes_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # When a time-driven transition falls due next (listings/deadlines.py); the worker's
    # sweep claims rows whose moment has come.
    next_check_at: Mapped[datetime | None]
    eligibility_warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Title, background and key technologies in one column, for keyword search; on PostgreSQL
    # a pg_trgm index (made by migration 20261128_0004, not declared here) serves it.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class ListingAssessment(Entity, Base):
    __tablename__ = "listing_assessment"
    __table_args__ = (
        CheckConstraint("conclusion IN ('support', 'oppose', 'revise')", name="conclusion"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), index=True
    )
    assessor: Mapped[str] = mapped_column(String(100))
    conclusion: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    # 第七条（一）: the department's judgement of an achievement's fit with the region's
    # development layout; null when the opinion does not judge it.
    layout_fit: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by: Mapped[uuid.UUID | None]


class CodeCounter(Base):
    """The last number handed out per scope and year (e.g. `JB-TB`, 2026)."""

    __tablename__ = "code_counter"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
