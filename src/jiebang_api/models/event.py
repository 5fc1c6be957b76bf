"""Event: the transactional outbox, ordered by a monotonically increasing sequence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import BigIntKey
from jiebang_api.models.base import Base


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_resource", "resource_type", "resource_id"),)

    sequence: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    request_id: Mapped[str | None] = mapped_column(String(128))
