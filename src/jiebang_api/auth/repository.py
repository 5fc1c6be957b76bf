"""Queries on accounts and memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import Membership, Organization, ServiceClient, User
from jiebang_api.models.organization import MEMBERSHIP_ACCEPTED


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(func.lower(User.username) == username.lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def client_by_client_id(session: AsyncSession, client_id: str) -> ServiceClient | None:
    statement = select(ServiceClient).where(ServiceClient.client_id == client_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def client_by_id(session: AsyncSession, id_: uuid.UUID) -> ServiceClient | None:
    return await session.get(ServiceClient, id_)


async def memberships_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Membership, Organization]]:
    """The user's memberships with their organisations, by organisation name: accepted ones
    only (an invitation not yet accepted gives no access, and is no membership)."""
    statement = (
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id, Membership.status == MEMBERSHIP_ACCEPTED)
        .order_by(Organization.name, Organization.id)
    )
    return [(m, o) for m, o in (await session.execute(statement)).all()]
