"""Queries on accounts and memberships."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit import fastread
from jiebang_api.models import Membership, Organization, ServiceClient, User
from jiebang_api.models.organization import MEMBERSHIP_ACCEPTED


@dataclass(frozen=True)
class UserAccess:
    """What authorization needs of a user: whether the account is active, its roles, and
    its accepted memberships (organisation id → membership role)."""

    is_active: bool
    roles: list[str]
    memberships: dict[uuid.UUID, str]


# Every authenticated request asks this: one round trip, plain rows, a statement built once.
_USER_ACCESS = (
    select(User.is_active, User.roles, Membership.organization_id, Membership.role)
    .outerjoin(
        Membership,
        and_(Membership.user_id == User.id, Membership.status == MEMBERSHIP_ACCEPTED),
    )
    .where(User.id == bindparam("user_id"))
)


async def user_access(session: AsyncSession, user_id: uuid.UUID) -> UserAccess | None:
    """The user's `UserAccess`, or None for an unknown user."""
    rows = await fastread.fetch(session, _USER_ACCESS, {"user_id": user_id})
    if not rows:
        return None
    return UserAccess(
        is_active=rows[0].is_active,
        roles=list(rows[0].roles),
        memberships={r.organization_id: r.role for r in rows if r.organization_id is not None},
    )


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(func.lower(User.username) == username.lower())
    return (await session.execute(statement)).scalar_one_or_none()


# `GET /me` asks this of every signed-in caller: a statement built once, plain rows.
_PROFILE = select(
    User.id,
    User.username,
    User.display_name,
    User.email,
    User.roles,
    User.affiliation_org_id,
    User.is_active,
    User.created_at,
).where(User.id == bindparam("user_id"))


async def profile(session: AsyncSession, user_id: uuid.UUID) -> Any | None:
    """The account as its owner reads it (no secrets), or None for an unknown user."""
    rows = await fastread.fetch(session, _PROFILE, {"user_id": user_id})
    return rows[0] if rows else None


async def client_by_client_id(session: AsyncSession, client_id: str) -> ServiceClient | None:
    statement = select(ServiceClient).where(ServiceClient.client_id == client_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def client_by_id(session: AsyncSession, id_: uuid.UUID) -> ServiceClient | None:
    return await session.get(ServiceClient, id_)


_MEMBERSHIPS_OF = (
    select(
        Membership.organization_id,
        Organization.name.label("organization_name"),
        Membership.role,
    )
    .join(Organization, Organization.id == Membership.organization_id)
    .where(Membership.user_id == bindparam("user_id"), Membership.status == MEMBERSHIP_ACCEPTED)
    .order_by(Organization.name, Organization.id)
)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    """The user's memberships (`organization_id`, `organization_name`, `role`), by
    organisation name: accepted ones only (an invitation not yet accepted gives no access,
    and is no membership)."""
    return await fastread.fetch(session, _MEMBERSHIPS_OF, {"user_id": user_id})
