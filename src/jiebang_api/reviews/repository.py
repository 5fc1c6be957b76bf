"""Queries of reviews: rounds, assignments, exclusions, and who the experts are."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor
from jiebang_api.models import Membership, ReviewAssignment, ReviewExclusion, ReviewRound, User
from jiebang_api.reviews.workflow import AssignmentStatus


async def get(session: AsyncSession, round_id: uuid.UUID) -> ReviewRound | None:
    return await session.get(ReviewRound, round_id)


async def of_listing(session: AsyncSession, listing_id: uuid.UUID) -> ReviewRound | None:
    statement = select(ReviewRound).where(ReviewRound.listing_id == listing_id)
    return (await session.execute(statement)).scalar_one_or_none()


@dataclass(frozen=True)
class Person:
    """A user as a review round needs them: roles, and every organisation they belong to."""

    id: uuid.UUID
    roles: tuple[str, ...]
    is_active: bool
    organizations: frozenset[uuid.UUID]  # the affiliation and accepted memberships


async def people(session: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Person]:
    """The users among `user_ids` that exist, each with their organisations."""
    if not user_ids:
        return {}
    users = (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars().all()
    memberships = await session.execute(
        select(Membership.user_id, Membership.organization_id).where(
            Membership.user_id.in_(user_ids), Membership.status == "accepted"
        )
    )
    belongs: dict[uuid.UUID, set[uuid.UUID]] = {}
    for user_id, org_id in memberships:
        belongs.setdefault(user_id, set()).add(org_id)
    for u in users:
        if u.affiliation_org_id is not None:
            belongs.setdefault(u.id, set()).add(u.affiliation_org_id)
    return {
        u.id: Person(u.id, tuple(u.roles), u.is_active, frozenset(belongs.get(u.id, ())))
        for u in users
    }


async def counts(session: AsyncSession, round_id: uuid.UUID) -> dict[str, int]:
    """How many assignments of the round are in each state."""
    statement = (
        select(ReviewAssignment.status, func.count())
        .where(ReviewAssignment.round_id == round_id)
        .group_by(ReviewAssignment.status)
    )
    return {status: n for status, n in await session.execute(statement)}


async def exclusions(session: AsyncSession, round_id: uuid.UUID) -> list[ReviewExclusion]:
    statement = (
        select(ReviewExclusion)
        .where(ReviewExclusion.round_id == round_id)
        .order_by(ReviewExclusion.created_at, ReviewExclusion.id)
    )
    return list((await session.execute(statement)).scalars())


async def assignments(session: AsyncSession, round_id: uuid.UUID) -> list[ReviewAssignment]:
    statement = (
        select(ReviewAssignment)
        .where(ReviewAssignment.round_id == round_id)
        .order_by(ReviewAssignment.created_at, ReviewAssignment.id)
    )
    return list((await session.execute(statement)).scalars())


async def many(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ReviewRound]:
    if not ids:
        return {}
    rows = await session.scalars(select(ReviewRound).where(ReviewRound.id.in_(list(ids))))
    return {r.id: r for r in rows}


async def assignment(session: AsyncSession, assignment_id: uuid.UUID) -> ReviewAssignment | None:
    return await session.get(ReviewAssignment, assignment_id)


async def assignment_for_update(
    session: AsyncSession, assignment_id: uuid.UUID
) -> ReviewAssignment | None:
    """The assignment, locked and read afresh (another request may have answered it)."""
    statement = (
        select(ReviewAssignment)
        .where(ReviewAssignment.id == assignment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def assignments_of(
    session: AsyncSession, expert_user_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[ReviewAssignment]:
    """Up to `limit + 1` of the expert's assignments in `(created_at, id)` order."""
    statement = select(ReviewAssignment).where(ReviewAssignment.expert_user_id == expert_user_id)
    if after is not None:
        statement = statement.where(
            after_cursor(ReviewAssignment.created_at, ReviewAssignment.id, after)
        )
    statement = statement.order_by(ReviewAssignment.created_at, ReviewAssignment.id)
    return list((await session.scalars(statement.limit(limit + 1))).all())


async def get_for_update(session: AsyncSession, round_id: uuid.UUID) -> ReviewRound | None:
    """The round, locked and read afresh."""
    statement = (
        select(ReviewRound)
        .where(ReviewRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def reviews_any(
    session: AsyncSession, expert_user_id: uuid.UUID, application_ids: Collection[uuid.UUID]
) -> bool:
    """Whether the expert holds an assignment, not declined, on one of the applications."""
    if not application_ids:
        return False
    statement = select(ReviewAssignment.id).where(
        ReviewAssignment.expert_user_id == expert_user_id,
        ReviewAssignment.application_id.in_(list(application_ids)),
        ReviewAssignment.status != AssignmentStatus.DECLINED,
    )
    return (await session.scalars(statement.limit(1))).first() is not None
