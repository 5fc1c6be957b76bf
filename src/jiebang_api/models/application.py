"""Applications (揭榜申请): a lead organisation, optional consortium members, plan and
declarations, and the eligibility report kept at submission."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity

APPLICATION_STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "recommended",
    "not_recommended",
    "selected",
    "unsuccessful",
    "withdrawn",
    "cancelled",
)


class Application(Entity, Base):
    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in APPLICATION_STATUSES) + ")", name="status"
        ),
        # One live application per lead organisation per listing.
        Index(
            "uq_application_live_lead",
            "listing_id",
            "lead_org_id",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        Index("ix_application_listing_status", "listing_id", "status"),
        # The confirmed recommendation ranks a listing's applications 1, 2, … (第九条（五）).
        CheckConstraint(
            "recommendation_rank IS NULL OR recommendation_rank > 0", name="recommendation_rank"
        ),
        Index("uq_application_listing_rank", "listing_id", "recommendation_rank", unique=True),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listing.id", ondelete="RESTRICT"))
    lead_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(32), default="draft")
    lead_budget_share: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    declarations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None]
    recommendation_rank: Mapped[int | None]
    created_by: Mapped[uuid.UUID | None]
    # An import of the plan management system's (PUT /api/v1/integration/…/{external_ref}):
    # its reference, and the digest of the body it last sent (a repeat changes nothing).
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    import_digest: Mapped[str | None] = mapped_column(String(64))
