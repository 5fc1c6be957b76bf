"""Organisations with their legal facts, members, ownership tree and credit records."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base, Entity

ORGANIZATION_TYPES = (
    "enterprise",
    "university",
    "research_institute",
    "consortium",
    "agency",
    "other",
)
# A membership is an invitation until the invited user accepts it; only accepted ones count.
MEMBERSHIP_INVITED = "invited"
MEMBERSHIP_ACCEPTED = "accepted"
MEMBERSHIP_STATUSES = (MEMBERSHIP_INVITED, MEMBERSHIP_ACCEPTED)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organization(Entity, Base):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(_in("type", ORGANIZATION_TYPES), name="type"),
        CheckConstraint("parent_org_id IS NULL OR parent_org_id <> id", name="not_own_parent"),
        CheckConstraint(
            "pending_parent_org_id IS NULL OR pending_parent_org_id <> id",
            name="not_own_pending_parent",
        ),
        CheckConstraint(
            "(pending_parent_org_id IS NULL) = (parent_claimed_at IS NULL)", name="parent_claim"
        ),
        Index("ix_organization_created_at_id", "created_at", "id"),
        Index("ix_organization_type", "type"),
    )

    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    in_region: Mapped[bool] = mapped_column(Boolean)
    type: Mapped[str] = mapped_column(String(32))
    independent_legal_person: Mapped[bool] = mapped_column(Boolean, default=False)
    central_enterprise_branch: Mapped[bool] = mapped_column(Boolean, default=False)
    pays_tax_in_region: Mapped[bool] = mapped_column(Boolean, default=False)
    high_tech: Mapped[bool] = mapped_column(Boolean, default=False)
    # 第四条（一）（二）: a technology-based enterprise (科技型企业); a high-tech enterprise
    # (`high_tech`, 高新技术企业) is one too, but not every technology-based one is high-tech.
    tech_based: Mapped[bool] = mapped_column(Boolean, default=False)
    # 第五条（一）: of considerable influence and scale in its field (有较大影响和规模).
    large_influential: Mapped[bool] = mapped_column(Boolean, default=False)
    partner_4_8_n: Mapped[bool] = mapped_column(Boolean, default=False)
    strategic_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    # The parent the organisation names but whose managers have not accepted yet (a claim);
    # `parent_org_id` changes only once they do (or the department sets it).
    pending_parent_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    parent_claimed_at: Mapped[datetime | None]
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[uuid.UUID | None]


class Membership(Entity, Base):
    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("role IN ('manager', 'member')", name="role"),
        CheckConstraint(_in("status", MEMBERSHIP_STATUSES), name="status"),
        Index("uq_membership_user_org", "user_id", "organization_id", unique=True),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    # `invited` until the user accepts; only `accepted` memberships give any access.
    status: Mapped[str] = mapped_column(String(16))


class CreditRecord(Entity, Base):
    __tablename__ = "credit_record"
    __table_args__ = (
        CheckConstraint("kind IN ('serious_dishonesty')", name="kind"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
