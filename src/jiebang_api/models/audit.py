"""AuditEntry: append-only, hash-chained per resource (tamper-evident)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        # One chain per resource: two writers can never both extend the same link.
        UniqueConstraint("resource_type", "resource_id", "resource_seq"),
        Index("ix_audit_entry_occurred_at", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    resource_seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Changed fields with their old and new values, taken from the ORM's history.
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
