"""The department's entrustment of a project to a third-party agency (第十四条)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base, Entity


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

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    agency_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT")
    )
    # Any of "reports", "acceptance", "audit".
    scope: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None]
