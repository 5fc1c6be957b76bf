"""A project's milestones and reports (第十三条, 第十四条): the milestones copied from the
agreement when the project is created; the progress and expenditure reports a member of
either side submits; their review by the department or an agency entrusted with reports
(R-MGMT-AGENCY); the sweep that records a milestone overdue once; and what an acceptance
waits for (`outstanding`).

The subsidy a project's reports say was spent never exceeds what was disbursed: each report
is checked on the project's row lock against the expenditure reports before it that were not
returned for revision (R-FUND-USE, the service's reading of 第十三条).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements.enums import FundingUse
from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.actor import Actor
from jiebang_api.kit.errors import (
    Conflict,
    ErrorCode,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Violation,
)
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.models import Project, ProjectMilestone, ProjectReport
from jiebang_api.projects import access, milestones
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.milestones import (
    MilestoneProgress,
    MilestoneStatus,
    ReportKind,
    ReviewOutcome,
)
from jiebang_api.projects.workflow import ProjectStatus

NOT_A_SIDE = Message(
    "只有项目供需双方的成员可以提交报告。",
    "Only a member of either side of the project submits its reports.",
)
NOT_REPORTABLE = Message(
    "项目当前状态不接受报告：实施中、已申请验收、验收通过、已暂停或终止中时方可提交。",
    "The project takes reports only while in progress, awaiting or past acceptance, "
    "suspended or being terminated.",
)
PERIOD = Message("报告期末不能早于期初。", "The period cannot end before it starts.")
EXPENDITURES_REQUIRED = Message(
    "经费支出报告须列明支出。", "An expenditure report lists its expenditures."
)
EXPENDITURES_FORBIDDEN = Message(
    "只有经费支出报告列明支出。", "Only an expenditure report lists expenditures."
)
REVIEWED_ALREADY = Message("该报告已审查。", "The report has been reviewed already.")
OVERDUE = "里程碑逾期未完成 / milestone overdue"
ACCEPTANCE_OVERDUE = "项目已到期仍未申请验收 / the project ended without asking for acceptance"


def _over_disbursed(spent: Decimal, disbursed: Decimal) -> Message:
    return Message(
        f"报告的补助支出合计 {spent} 元超过已拨付的补助 {disbursed} 元。",
        f"The subsidy reported spent, {spent} in all, exceeds what was disbursed, {disbursed}.",
    )


def _not_the_projects(milestone_id: uuid.UUID) -> Message:
    return Message(
        f"里程碑 {milestone_id} 不属于该项目。",
        f"Milestone {milestone_id} is not one of the project's.",
    )


def _twice(milestone_id: uuid.UUID) -> Message:
    return Message(
        f"里程碑 {milestone_id} 在同一报告中出现多次。",
        f"Milestone {milestone_id} is updated more than once in the report.",
    )


@dataclass(frozen=True)
class MilestoneUpdate:
    milestone_id: uuid.UUID
    status: MilestoneProgress
    note: str | None = None


@dataclass(frozen=True)
class Expenditure:
    category: FundingUse
    amount: Decimal


@dataclass(frozen=True)
class ReportDraft:
    """A report as submitted."""

    kind: ReportKind
    period_start: date
    period_end: date
    summary: str
    milestone_updates: Sequence[MilestoneUpdate] = ()
    expenditures: Sequence[Expenditure] = ()
    attachment_ids: Sequence[uuid.UUID] = field(default_factory=tuple)


@dataclass(frozen=True)
class MilestoneView:
    """A milestone with its effective status at the time it is read."""

    milestone: ProjectMilestone
    status: MilestoneStatus


# --- milestones --------------------------------------------------------------------------


def reschedule(project: Project, rows: Sequence[ProjectMilestone]) -> None:
    """Point the sweep at the project's next milestone to fall due (none on a finished
    project)."""
    status = ProjectStatus(project.status)
    if status in milestones.FINISHED:
        project.next_check_at = None
        return
    awaited = status is ProjectStatus.IN_PROGRESS and project.acceptance_overdue_at is None
    project.next_check_at = milestones.next_check(
        rows, acceptance_due_on=project.end_on if awaited else None
    )


async def plan(
    session: AsyncSession, project: Project, agreed: Sequence[dict[str, Any]]
) -> list[ProjectMilestone]:
    """The milestones of a new project, from its agreement's (`title`, `due_on`,
    `deliverable`, `kpi`), in the agreement's order."""
    rows = [
        ProjectMilestone(
            id=uuid.uuid4(),
            project_id=project.id,
            seq=seq,
            title=item["title"],
            due_on=date.fromisoformat(str(item["due_on"])),
            deliverable=item["deliverable"],
            kpi=item["kpi"],
            status="pending",
        )
        for seq, item in enumerate(agreed, start=1)
    ]
    session.add_all(rows)
    reschedule(project, rows)
    await session.flush()
    return rows


async def milestones_of(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID, now: datetime
) -> list[MilestoneView]:
    """The project's milestones with their effective status (whoever reads the project)."""
    project = await access.project(session, principal, project_id, lock=False)
    rows = await projects_repository.milestones(session, project.id)
    return [MilestoneView(m, milestones.status_at(m, now)) for m in rows]


async def run_deadlines(session: AsyncSession, project: Project, now: datetime) -> None:
    """Record, once each, the milestones that became overdue (the project's row is locked by
    the sweep): an audit entry on the project and `project.milestone_overdue`; once, a
    project in progress past its end (`project.acceptance_overdue`); then point the sweep
    at what falls due next."""
    rows = await projects_repository.milestones(session, project.id)
    if ProjectStatus(project.status) not in milestones.FINISHED:
        for milestone in milestones.newly_overdue(rows, now):
            milestone.overdue_recorded_at = now
            await session.flush()
            await events.record(
                session,
                projects_events.MilestoneOverdue(
                    occurred_at=now,
                    project_id=project.id,
                    milestone_id=milestone.id,
                    seq=milestone.seq,
                    due_on=milestone.due_on.isoformat(),
                ),
                actor=Actor.system(),
                action="project.milestone_overdue",
                to_state=None,
                reason=OVERDUE,
                data={
                    "milestone_id": str(milestone.id),
                    "seq": milestone.seq,
                    "due_on": milestone.due_on.isoformat(),
                },
            )
    if project.acceptance_overdue_at is None and milestones.acceptance_overdue(
        ProjectStatus(project.status), project.end_on, now
    ):
        await _acceptance_overdue(session, project, now)
    reschedule(project, rows)
    await session.flush()


async def _acceptance_overdue(session: AsyncSession, project: Project, now: datetime) -> None:
    """Record, once, that the project ran to its end without asking for acceptance."""
    project.acceptance_overdue_at = now
    await session.flush()
    await events.record(
        session,
        projects_events.AcceptanceOverdue(
            occurred_at=now, project_id=project.id, end_on=project.end_on.isoformat()
        ),
        actor=Actor.system(),
        action="project.acceptance_overdue",
        to_state=project.status,
        from_state=project.status,
        reason=ACCEPTANCE_OVERDUE,
        data={"end_on": project.end_on.isoformat()},
    )


# --- reports -----------------------------------------------------------------------------


def _check_shape(draft: ReportDraft) -> list[Violation]:
    wrong = []
    if draft.period_end < draft.period_start:
        wrong.append(Violation(PERIOD, field="body.period_end"))
    if draft.kind is ReportKind.EXPENDITURE and not draft.expenditures:
        wrong.append(Violation(EXPENDITURES_REQUIRED, field="body.expenditures"))
    if draft.kind is not ReportKind.EXPENDITURE and draft.expenditures:
        wrong.append(Violation(EXPENDITURES_FORBIDDEN, field="body.expenditures"))
    return wrong


def _check_updates(
    updates: Sequence[MilestoneUpdate], rows: Sequence[ProjectMilestone]
) -> list[Violation]:
    known = {m.id for m in rows}
    seen: set[uuid.UUID] = set()
    wrong = []
    for index, update in enumerate(updates):
        where = f"body.milestone_updates.{index}.milestone_id"
        if update.milestone_id not in known:
            wrong.append(Violation(_not_the_projects(update.milestone_id), field=where))
        elif update.milestone_id in seen:
            wrong.append(Violation(_twice(update.milestone_id), field=where))
        seen.add(update.milestone_id)
    return wrong


async def _require_within_disbursed(
    session: AsyncSession, project: Project, spent: Decimal
) -> None:
    """R-FUND-USE (a reading of 第十三条): the subsidy the project's reports say was spent,
    this one included, is never more than what was disbursed. On the locked project."""
    before = sum(await projects_repository.reported_spending(session, project.id), Decimal(0))
    total = before + spent
    if total > project.disbursed:
        message = _over_disbursed(total, project.disbursed)
        raise RuleViolation(
            message,
            violations=[
                Violation(message, rule="R-FUND-USE", article="第十三条", field="body.expenditures")
            ],
            extensions={"reported": str(before), "disbursed": str(project.disbursed)},
        )


def _apply_updates(
    report: ProjectReport,
    updates: Sequence[MilestoneUpdate],
    rows: Sequence[ProjectMilestone],
    day: date,
) -> None:
    by_id = {m.id: m for m in rows}
    for update in updates:
        milestone = by_id[update.milestone_id]
        if update.status is MilestoneProgress.MET and milestone.status != "met":
            milestone.status, milestone.met_on = "met", day
        milestone.last_progress = update.status.value
        milestone.last_note = update.note
        milestone.last_report_id = report.id


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    draft: ReportDraft,
    now: datetime,
) -> ProjectReport:
    """A member of either side reports progress or expenditure; a `met` update marks the
    milestone met on the report's day. Expenditures use the five categories of 第十三条 and
    never add up, with the project's other reports, to more than was disbursed."""
    project = await access.project(session, principal, project_id, lock=True)
    if not access.is_party(principal, project):
        raise PermissionDenied(NOT_A_SIDE)
    if ProjectStatus(project.status) not in milestones.REPORTABLE:
        raise Conflict(
            NOT_REPORTABLE,
            code=ErrorCode.INVALID_TRANSITION,
            extensions={"current_state": project.status},
        )
    rows = await projects_repository.milestones(session, project.id)
    wrong = _check_shape(draft) + _check_updates(draft.milestone_updates, rows)
    if wrong:
        raise InputInvalid(violations=wrong)
    await attachments_service.require_linkable(
        session, principal=principal, ids=list(draft.attachment_ids)
    )
    spent = sum((e.amount for e in draft.expenditures), Decimal(0))
    if draft.kind is ReportKind.EXPENDITURE:
        await _require_within_disbursed(session, project, spent)
    day = milestones.today(now)
    report = ProjectReport(
        id=uuid.uuid4(),
        project_id=project.id,
        kind=draft.kind.value,
        period_start=draft.period_start,
        period_end=draft.period_end,
        summary=draft.summary,
        milestone_updates=[
            {"milestone_id": str(u.milestone_id), "status": u.status.value, "note": u.note}
            for u in draft.milestone_updates
        ],
        expenditures=[
            {"category": e.category.value, "amount": str(e.amount)} for e in draft.expenditures
        ],
        spent=spent,
        attachment_ids=[str(i) for i in dict.fromkeys(draft.attachment_ids)],
        submitted_by=principal.user_id,
        submitted_on=day,
    )
    session.add(report)
    _apply_updates(report, draft.milestone_updates, rows, day)
    reschedule(project, rows)
    await session.flush()
    await events.record(
        session,
        projects_events.ReportSubmitted(
            occurred_at=now, report_id=report.id, project_id=project.id, kind=report.kind
        ),
        actor=principal.actor,
        action="report.submit",
        to_state="submitted",
        data={
            "project_id": str(project.id),
            "kind": report.kind,
            "spent": str(spent),
            "milestones_met": [
                str(u.milestone_id)
                for u in draft.milestone_updates
                if u.status is MilestoneProgress.MET
            ],
        },
    )
    return report


async def of_project(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[ProjectReport]:
    """The project's reports, oldest first (whoever reads the project)."""
    project = await access.project(session, principal, project_id, lock=False)
    rows = await projects_repository.reports_page(
        session, project.id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)


async def get(
    session: AsyncSession, *, principal: Principal, report_id: uuid.UUID
) -> ProjectReport:
    """One report, for whoever reads its project (404 otherwise)."""
    report = await projects_repository.report(session, report_id)
    if report is None:
        raise NotFound()
    await access.project(session, principal, report.project_id, lock=False)
    return report


async def review(
    session: AsyncSession,
    *,
    principal: Principal,
    report_id: uuid.UUID,
    outcome: ReviewOutcome,
    comment: str | None,
    now: datetime,
) -> ProjectReport:
    """The department, or an agency entrusted with reports (R-MGMT-AGENCY), accepts a report
    or returns it for revision, once."""
    report = await projects_repository.report(session, report_id)
    if report is None:
        raise NotFound()
    project = await access.managed(session, principal, report.project_id, access.Scope.REPORTS)
    # Read afresh under the project's lock: another review may have been taken meanwhile.
    await session.refresh(report)
    if report.review_outcome is not None:
        raise Conflict(REVIEWED_ALREADY, extensions={"current_state": report.review_outcome})
    report.review_outcome, report.review_comment = outcome.value, comment
    report.reviewed_by, report.reviewed_at = principal.user_id, now
    await session.flush()
    await events.record(
        session,
        projects_events.ReportReviewed(
            occurred_at=now,
            report_id=report.id,
            project_id=project.id,
            kind=report.kind,
            outcome=outcome.value,
        ),
        actor=principal.actor,
        action="report.review",
        from_state="submitted",
        to_state=outcome.value,
        reason=comment,
        data={"project_id": str(project.id)},
    )
    return report


async def outstanding(session: AsyncSession, project: Project, now: datetime) -> list[Violation]:
    """What the project's reports still owe before acceptance (empty when up to date): each
    milestone not met, each report returned for revision without a later one of its kind."""
    rows = await projects_repository.milestones(session, project.id)
    reports = await projects_repository.reports(session, project.id)
    return milestones.outstanding_of(rows, reports)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whoever reads a project reads the attachments of its reports."""
    for report in await projects_repository.reports_linking(session, attachment_id):
        try:
            await access.project(session, principal, report.project_id, lock=False)
        except (NotFound, PermissionDenied):
            continue
        return True
    return False
