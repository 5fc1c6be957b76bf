"""Accounts: users (people) and service clients (the plan management system)."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from jiebang_api.models.base import Base, Entity


class User(Entity, Base):
    __tablename__ = "user_account"
    # Usernames are unique regardless of case ("Zhang" and "zhang" are one account).
    __table_args__ = (Index("uq_user_account_username_lower", func.lower("username"), unique=True),)

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    # Global roles only (admin, expert, agency); organisation membership lives in Membership.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    affiliation_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceClient(Entity, Base):
    __tablename__ = "service_client"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
