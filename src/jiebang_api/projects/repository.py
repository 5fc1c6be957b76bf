"""Queries of projects and their announcements."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor, mentions
from jiebang_api.models import (
    Acceptance,
    Announcement,
    Disbursement,
    Entrustment,
    FundingDecision,
    MisconductCase,
    Payment,
    Project,
    ProjectMilestone,
    ProjectReport,
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


async def milestones(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectMilestone]:
    """The project's milestones in order (changed only under the project's row lock)."""
    statement = (
        select(ProjectMilestone)
        .where(ProjectMilestone.project_id == project_id)
        .order_by(ProjectMilestone.seq)
    )
    return list((await session.scalars(statement)).all())


async def report(session: AsyncSession, report_id: uuid.UUID) -> ProjectReport | None:
    return await session.get(ProjectReport, report_id)


async def reports(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectReport]:
    """Every report of the project, oldest first."""
    statement = (
        select(ProjectReport)
        .where(ProjectReport.project_id == project_id)
        .order_by(ProjectReport.created_at, ProjectReport.id)
    )
    return list((await session.scalars(statement)).all())


async def reports_page(
    session: AsyncSession, project_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[ProjectReport]:
    """Up to `limit + 1` reports of the project, oldest first."""
    statement = select(ProjectReport).where(ProjectReport.project_id == project_id)
    if after is not None:
        statement = statement.where(after_cursor(ProjectReport.created_at, ProjectReport.id, after))
    statement = statement.order_by(ProjectReport.created_at, ProjectReport.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def reported_spending(session: AsyncSession, project_id: uuid.UUID) -> list[Decimal]:
    """What the project's expenditure reports not returned for revision say was spent."""
    statement = select(ProjectReport.spent).where(
        ProjectReport.project_id == project_id,
        ProjectReport.kind == "expenditure",
        or_(
            ProjectReport.review_outcome.is_(None),
            ProjectReport.review_outcome != "needs_revision",
        ),
    )
    return list((await session.scalars(statement)).all())


async def reports_linking(session: AsyncSession, attachment_id: uuid.UUID) -> list[ProjectReport]:
    """Reports whose `attachment_ids` name the attachment."""
    key = str(attachment_id)
    statement = select(ProjectReport).where(mentions(ProjectReport.attachment_ids, key))
    rows = (await session.scalars(statement)).all()
    return [report for report in rows if key in (report.attachment_ids or [])]


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
    overdue_on: tuple[bool, date] | None = None,
    after: Cursor | None,
    limit: int,
) -> list[Project]:
    """Up to `limit + 1` projects, oldest first: all of them (`org_ids` None) or those where
    one of `org_ids` is the demand or the supply side or one of `agency_org_ids` a live
    entrustee; narrowed by status, kind, a party (`org_id`) and, with `overdue_on` (wanted,
    the region's day), whether a milestone not met was due before that day or the project
    ended before it still in progress (its acceptance overdue)."""
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
    if overdue_on is not None:
        wanted, day = overdue_on
        late = or_(
            exists().where(
                ProjectMilestone.project_id == Project.id,
                ProjectMilestone.status != "met",
                ProjectMilestone.due_on < day,
            ),
            # Past its end, still in progress: its acceptance is overdue.
            and_(Project.status == "in_progress", Project.end_on < day),
        )
        statement = statement.where(late if wanted else ~late)
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
