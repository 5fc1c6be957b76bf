"""Expert review (第九条（五）): a listing's review round, each expert's assignment to an
application, and the assignments a conflict of interest kept from being made."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity

REVIEW_ROUND_STATUSES = ("open", "closed", "recommendation_proposed", "recommendation_confirmed")
REVIEW_ASSIGNMENT_STATUSES = ("assigned", "scored", "declined")


class ReviewRound(Entity, Base):
    __tablename__ = "review_round"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in REVIEW_ROUND_STATUSES) + ")", name="status"
        ),
    )

    # One round per listing: its recommendation decides the listing.
    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listing.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(String(32), default="open")
    # [{key, name_zh, name_en, max_score}], max_score a decimal string; they add up to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    expert_user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposer_reviewer_user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    policy_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("policy_version.id", ondelete="RESTRICT")
    )
    # The ranked results kept at closing, and the recommendation proposed and confirmed.
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    recommendation: Mapped[list[str] | None] = mapped_column(JSON)
    opened_by: Mapped[uuid.UUID | None]
    closed_at: Mapped[datetime | None]
    proposed_by: Mapped[uuid.UUID | None]
    proposed_at: Mapped[datetime | None]
    confirmed_by: Mapped[uuid.UUID | None]
    confirmed_at: Mapped[datetime | None]


class ReviewAssignment(Entity, Base):
    __tablename__ = "review_assignment"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(s) for s in REVIEW_ASSIGNMENT_STATUSES) + ")",
            name="status",
        ),
        # At most 100 too (the sheet adds up to 100): the domain checks that, as the stored
        # unit differs between engines (kit.db.ExactDecimal).
        CheckConstraint("total IS NULL OR total >= 0", name="total_nonneg"),
        UniqueConstraint("round_id", "expert_user_id", "application_id"),
        Index("ix_review_assignment_expert", "expert_user_id", "created_at"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_round.id", ondelete="RESTRICT"), index=True
    )
    expert_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    # {criterion key: score as a decimal string with at most one place}
    scores: Mapped[dict[str, str] | None] = mapped_column(JSON)
    total: Mapped[Decimal | None] = mapped_column(ExactDecimal(4, 1))
    comment: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class ReviewExclusion(Entity, Base):
    """An assignment not made: the expert's organisation and the party it conflicts with."""

    __tablename__ = "review_exclusion"
    __table_args__ = (
        CheckConstraint("role IN ('applicant', 'member', 'proposer')", name="role"),
        CheckConstraint("reason IN ('same_organization', 'same_ownership_tree')", name="reason"),
        Index("ix_review_exclusion_round", "round_id", "expert_user_id", "application_id"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_round.id", ondelete="RESTRICT"))
    expert_user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT")
    )
    expert_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    party_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
