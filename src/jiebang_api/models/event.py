"""Event: the transactional outbox, ordered by a monotonically increasing sequence.

On PostgreSQL each row also carries `txid`, the id of the transaction that wrote it (a server
default, `pg_current_xact_id()`); the change feed orders and releases events by it
(`integration/feed.py`). SQLite serialises its writers and leaves it NULL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, FetchedValue, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.kit.db import BigIntKey
from jiebang_api.models.base import Base


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_resource", "resource_type", "resource_id"),
        Index("ix_event_txid_sequence", "txid", "sequence"),
    )

    sequence: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]
    request_id: Mapped[str | None] = mapped_column(String(128))
    # The writing transaction's id on PostgreSQL (set by the database: the migration's server
    # default), NULL on SQLite.
    txid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())
