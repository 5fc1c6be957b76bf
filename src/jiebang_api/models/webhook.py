"""Webhook subscriptions: where the service sends signed copies of its domain events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, String, Text
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
