"""Webhook subscriptions: where the service sends signed copies of its domain events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base, Entity


class WebhookSubscription(Entity, Base):
    """A receiver's URL and the event types it wants. The signing secret is kept as it is
    (it signs, so it cannot be hashed); after a rotation the previous one signs too until
    `previous_secret_expires_at`. Deleting sets `deleted_at`: the row stays, unread."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (
        CheckConstraint("owner_type IN ('user', 'service')", name="owner_type"),
        Index("ix_webhook_subscription_owner", "owner_type", "owner_id"),
    )

    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret: Mapped[str] = mapped_column(String(64))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None]
    # Who created it (an audit actor: `user` or `service`, and its id); only they (and the
    # department) see it.
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(Entity, Base):
    """One event on its way to one subscription (`integration/delivery.py`): `pending` until
    due, `in_flight` while a worker holds its lease, then `delivered` or `failed`. A worker
    that dies while holding it leaves the lease to expire; another takes it up again."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        CheckConstraint("status IN ('pending', 'in_flight', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription", "subscription_id", "created_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscription.id"))
    status: Mapped[str] = mapped_column(String(16))
    # Attempts since the delivery was created or last redelivered (the retry schedule's n).
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # While `in_flight`: when the lease ends, and the claim it belongs to.
    lease_expires_at: Mapped[datetime | None]
    lease_token: Mapped[uuid.UUID | None]


class WebhookAttempt(Base):
    """One POST of a delivery: when, the answer's status code or the error's class, how long
    it took, and when the next attempt is due (None: none is)."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (Index("ix_webhook_attempt_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_delivery.id"))
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(128))
    latency_ms: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]


class WebhookFanout(Base):
    """How far a consumer of the change feed in the worker has read it (a feed position:
    writer's transaction id and sequence), advanced with what it made of the events: row 1
    the webhook fan-out (`integration.delivery`), row 2 the plan-system sync
    (`integration.plan_system`)."""

    __tablename__ = "webhook_fanout"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    sequence: Mapped[int] = mapped_column(BigInteger)
