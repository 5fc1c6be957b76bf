"""PolicyVersion: the measures' parameters as versioned data (R-POLICY-VERSION)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import ExactDecimal
from jiebang_api.models.base import Base, Entity


class PolicyVersion(Entity, Base):
    __tablename__ = "policy_version"
    # Ratios are at most 1 too, and review weights at most 100: the API checks those (the
    # stored unit differs between engines).
    __table_args__ = (
        CheckConstraint("agreement_min_ratio >= 0", name="agreement_ratio"),
        CheckConstraint("subsidy_max_ratio >= 0", name="subsidy_ratio"),
        CheckConstraint("subsidy_cap >= 0", name="cap_nonneg"),
        CheckConstraint("publicity_working_days > 0", name="publicity_positive"),
        CheckConstraint("review_qualification_max >= 0", name="review_weight_nonneg"),
    )

    name: Mapped[str] = mapped_column(String(200))
    document_reference: Mapped[str | None] = mapped_column(String(200))
    effective_on: Mapped[date] = mapped_column(Date, unique=True)
    agreement_min_ratio: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    subsidy_max_ratio: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    subsidy_cap: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    tech_breakthrough_max_months: Mapped[int] = mapped_column(Integer)
    achievement_transfer_max_months: Mapped[int] = mapped_column(Integer)
    publicity_working_days: Mapped[int] = mapped_column(Integer)
    # 第九条（五） names two review criteria and weighs neither: `qualification`'s share of 100
    # (`feasibility` takes the rest), the department's to set.
    review_qualification_max: Mapped[Decimal] = mapped_column(
        ExactDecimal(4, 1), default=Decimal(40)
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
