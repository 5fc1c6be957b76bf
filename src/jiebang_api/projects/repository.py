"""Queries of projects and their announcements."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor
from jiebang_api.models import (
    Acceptance,
    Announcement,
    Disbursement,
    Entrustment,
    FundingDecision,
    MisconductCase,
    Payment,
    Project,
)


async def get(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.get(Project, project_id)


async def get_for_update(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project, locked and read afresh: money use cases take their turn on it."""
    statement = (
        select(Project)
        .where(Project.id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def decision(session: AsyncSession, project_id: uuid.UUID) -> FundingDecision | None:
    statement = select(FundingDecision).where(FundingDecision.project_id == project_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def payments(session: AsyncSession, project_id: uuid.UUID) -> list[Payment]:
    statement = (
        select(Payment)
        .where(Payment.project_id == project_id)
        .order_by(Payment.created_at, Payment.id)
    )
    return list((await session.scalars(statement)).all())


async def payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id)


async def first_payment_accepted(session: AsyncSession, project_id: uuid.UUID) -> Payment | None:
    """The demand side's first instalment, verified (R-DISB-FIRST-PAYMENT)."""
    statement = select(Payment).where(
        Payment.project_id == project_id,
        Payment.instalment_seq == 1,
        Payment.status == "accepted",
    )
    return (await session.scalars(statement.limit(1))).first()


async def disbursements(session: AsyncSession, project_id: uuid.UUID) -> list[Disbursement]:
    statement = (
        select(Disbursement)
        .where(Disbursement.project_id == project_id)
        .order_by(Disbursement.created_at, Disbursement.id)
    )
    return list((await session.scalars(statement)).all())


async def of_agreement(session: AsyncSession, agreement_id: uuid.UUID) -> Project | None:
    statement = select(Project).where(Project.agreement_id == agreement_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def live_entrustments(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    agency_org_ids: Collection[uuid.UUID] | None = None,
) -> list[Entrustment]:
    """The project's entrustments not revoked, oldest first; only those of `agency_org_ids`
    when given."""
    statement = select(Entrustment).where(
        Entrustment.project_id == project_id, Entrustment.revoked_at.is_(None)
    )
    if agency_org_ids is not None:
        statement = statement.where(Entrustment.agency_org_id.in_(list(agency_org_ids)))
    statement = statement.order_by(Entrustment.created_at, Entrustment.id)
    return list((await session.scalars(statement)).all())


async def entrustments(session: AsyncSession, project_id: uuid.UUID) -> list[Entrustment]:
    """Every entrustment of the project, revoked ones too, oldest first."""
    statement = (
        select(Entrustment)
        .where(Entrustment.project_id == project_id)
        .order_by(Entrustment.created_at, Entrustment.id)
    )
    return list((await session.scalars(statement)).all())


async def entrustment(session: AsyncSession, entrustment_id: uuid.UUID) -> Entrustment | None:
    return await session.get(Entrustment, entrustment_id)


async def page(
    session: AsyncSession,
    *,
    org_ids: Collection[uuid.UUID] | None,
    agency_org_ids: Collection[uuid.UUID] = (),
    status: str | None,
    kind: str | None = None,
    org_id: uuid.UUID | None = None,
    after: Cursor | None,
    limit: int,
) -> list[Project]:
    """Up to `limit + 1` projects, oldest first: all of them (`org_ids` None) or those where
    one of `org_ids` is the demand or the supply side or one of `agency_org_ids` a live
    entrustee; narrowed by status, kind and a party (`org_id`)."""
    statement = select(Project)
    if org_ids is not None:
        ids = list(org_ids)
        entrusted = select(Entrustment.project_id).where(
            Entrustment.agency_org_id.in_(list(agency_org_ids)),
            Entrustment.revoked_at.is_(None),
        )
        statement = statement.where(
            or_(
                Project.demand_org_id.in_(ids),
                Project.supply_org_id.in_(ids),
                Project.id.in_(entrusted),
            )
        )
    if org_id is not None:
        statement = statement.where(
            or_(Project.demand_org_id == org_id, Project.supply_org_id == org_id)
        )
    if status is not None:
        statement = statement.where(Project.status == status)
    if kind is not None:
        statement = statement.where(Project.kind == kind)
    if after is not None:
        statement = statement.where(after_cursor(Project.created_at, Project.id, after))
    statement = statement.order_by(Project.created_at, Project.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def announcements(
    session: AsyncSession, *, after: Cursor | None, limit: int
) -> list[Announcement]:
    """Up to `limit + 1` announcements, oldest first."""
    statement = select(Announcement)
    if after is not None:
        statement = statement.where(after_cursor(Announcement.created_at, Announcement.id, after))
    statement = statement.order_by(Announcement.created_at, Announcement.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def acceptance(session: AsyncSession, project_id: uuid.UUID) -> Acceptance | None:
    statement = select(Acceptance).where(Acceptance.project_id == project_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def misconduct_cases(session: AsyncSession, project_id: uuid.UUID) -> list[MisconductCase]:
    statement = (
        select(MisconductCase)
        .where(MisconductCase.project_id == project_id)
        .order_by(MisconductCase.created_at, MisconductCase.id)
    )
    return list((await session.scalars(statement)).all())


async def misconduct_case(session: AsyncSession, case_id: uuid.UUID) -> MisconductCase | None:
    return await session.get(MisconductCase, case_id)


async def misconduct_case_for_update(
    session: AsyncSession, case_id: uuid.UUID
) -> MisconductCase | None:
    statement = (
        select(MisconductCase)
        .where(MisconductCase.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()
