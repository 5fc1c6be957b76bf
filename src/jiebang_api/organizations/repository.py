"""Queries on organisations, their ownership tree, members and credit records."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import bindparam, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from jiebang_api.kit import fastread
from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import LIKE_ESCAPE, after_cursor, contains_pattern
from jiebang_api.models import CreditRecord, Membership, Organization, User
from jiebang_api.models.organization import MEMBERSHIP_INVITED


async def get(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, organization_id)


_EXISTS = select(Organization.id).where(Organization.id == bindparam("organization_id"))


async def exists(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    """Whether the organisation exists (one indexed row, no entity loaded)."""
    return bool(await fastread.fetch(session, _EXISTS, {"organization_id": organization_id}))


async def get_for_update(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    """The organisation, locked, as the database holds it now: an earlier read of it in this
    session (taken before another transaction's change committed) is refreshed."""
    statement = (
        select(Organization)
        .where(Organization.id == organization_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def by_uscc(session: AsyncSession, uscc: str) -> Organization | None:
    statement = select(Organization).where(Organization.uscc == uscc)
    return (await session.execute(statement)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    *,
    q: str | None,
    type_: str | None,
    verified: bool | None,
    after: Cursor | None,
    limit: int,
) -> list[Organization]:
    """Up to `limit + 1` organisations in `(created_at, id)` order (the extra one means more)."""
    statement = select(Organization)
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(
                Organization.name.ilike(pattern, escape=LIKE_ESCAPE),
                Organization.uscc.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    if type_:
        statement = statement.where(Organization.type == type_)
    if verified is not None:
        statement = statement.where(Organization.verified == verified)
    if after is not None:
        statement = statement.where(after_cursor(Organization.created_at, Organization.id, after))
    statement = statement.order_by(Organization.created_at, Organization.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def ancestors(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Parent, grandparent, … up to the root (nearest first)."""
    start = (
        select(Organization.parent_org_id.label("id"), literal_column("1").label("depth"))
        .where(Organization.id == organization_id, Organization.parent_org_id.is_not(None))
        .cte("ancestors", recursive=True)
    )
    parent = aliased(Organization)
    chain = start.union_all(
        select(parent.parent_org_id, start.c.depth + 1)
        .join(start, parent.id == start.c.id)
        .where(parent.parent_org_id.is_not(None))
    )
    statement = select(chain.c.id).order_by(chain.c.depth)
    return [row for row in (await session.execute(statement)).scalars()]


async def descendants(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Every organisation below, at any depth (breadth first)."""
    start = (
        select(Organization.id.label("id"), literal_column("1").label("depth"))
        .where(Organization.parent_org_id == organization_id)
        .cte("descendants", recursive=True)
    )
    child = aliased(Organization)
    tree = start.union_all(
        select(child.id, start.c.depth + 1).join(start, child.parent_org_id == start.c.id)
    )
    statement = select(tree.c.id).order_by(tree.c.depth, tree.c.id)
    return [row for row in (await session.execute(statement)).scalars()]


async def lock_ownership_tree(session: AsyncSession) -> None:
    """Serialise ownership changes, so two concurrent moves cannot close a cycle together.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: writers are serial already.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(7390015)"))


async def membership(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    statement = select(Membership).where(
        Membership.organization_id == organization_id, Membership.user_id == user_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def membership_for_update(
    session: AsyncSession, organization_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    """The membership (or invitation), locked and as the database holds it now."""
    statement = (
        select(Membership)
        .where(Membership.organization_id == organization_id, Membership.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def invitations_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Membership, Organization]]:
    """The user's invitations not yet accepted, with their organisations, oldest first."""
    statement = (
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id, Membership.status == MEMBERSHIP_INVITED)
        .order_by(Membership.created_at, Membership.id)
    )
    return [(m, o) for m, o in (await session.execute(statement)).all()]


async def parent_claims_on(session: AsyncSession, parent_id: uuid.UUID) -> list[Organization]:
    """The organisations that name `parent_id` as their parent, not yet accepted, oldest
    claim first."""
    statement = (
        select(Organization)
        .where(Organization.pending_parent_org_id == parent_id)
        .order_by(Organization.parent_claimed_at, Organization.id)
    )
    return list((await session.scalars(statement)).all())


async def members(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[tuple[Membership, User]]:
    statement = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.username)
    )
    return [(m, u) for m, u in (await session.execute(statement)).all()]


async def credit_records(session: AsyncSession, organization_id: uuid.UUID) -> list[CreditRecord]:
    statement = (
        select(CreditRecord)
        .where(CreditRecord.organization_id == organization_id)
        .order_by(CreditRecord.starts_on, CreditRecord.id)
    )
    return list((await session.execute(statement)).scalars())


async def names(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Organisation names by id, in one query."""
    if not ids:
        return {}
    statement = select(Organization.id, Organization.name).where(Organization.id.in_(list(ids)))
    return {id_: name for id_, name in (await session.execute(statement)).all()}
