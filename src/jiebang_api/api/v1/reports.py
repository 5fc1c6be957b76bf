"""A project's milestones and its sides' progress and expenditure reports (第十三条), and
their review by the department or an entrusted agency (第十四条)."""

from __future__ import annotations

from fastapi import Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Limit, ProjectId, ReportId
from jiebang_api.api.v1.schemas.reports import (
    MilestoneList,
    MilestoneOut,
    ReportIn,
    ReportOut,
    ReportPage,
    ReportReviewIn,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.models import ProjectReport
from jiebang_api.projects import reports

router = StrictRouter(tags=["projects"])


def report_out(report: ProjectReport) -> ReportOut:
    fields = {name: getattr(report, name) for name in ReportOut.model_fields if name != "status"}
    return ReportOut.model_validate({**fields, "status": report.review_outcome or "submitted"})


def milestone_out(view: reports.MilestoneView) -> MilestoneOut:
    fields = {name: getattr(view.milestone, name) for name in MilestoneOut.model_fields}
    return MilestoneOut.model_validate({**fields, "status": view.status})


def _draft(body: ReportIn) -> reports.ReportDraft:
    return reports.ReportDraft(
        kind=body.kind,
        period_start=body.period_start,
        period_end=body.period_end,
        summary=body.summary,
        milestone_updates=[
            reports.MilestoneUpdate(u.milestone_id, u.status, u.note)
            for u in body.milestone_updates
        ],
        expenditures=[reports.Expenditure(e.category, e.amount) for e in body.expenditures],
        attachment_ids=body.attachment_ids,
    )


@router.get(
    "/projects/{project_id}/milestones",
    response_model=MilestoneList,
    summary="The milestones of a project",
    description="The agreement's milestones, copied when the project was created, in order, "
    "each `pending`, `met` (by a report) or `overdue` (not met after the end of its due day, "
    "Asia/Shanghai, at the service's clock). Whoever reads the project (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def list_milestones(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> MilestoneList:
    found = await reports.milestones_of(
        session, principal=principal, project_id=project_id, now=now
    )
    return MilestoneList(items=[milestone_out(v) for v in found])


@router.post(
    "/projects/{project_id}/reports",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Submit a progress or expenditure report (either side)",
    description="A member of either side (403 for another reader of the project, 404 for "
    "anyone else) while the project is in progress, awaiting or past acceptance, suspended or "
    "being terminated (409 `INVALID_TRANSITION` otherwise). A `met` milestone update marks "
    "the milestone met on the report's day. An expenditure report lists what the subsidy was "
    "spent on, in the five categories of 第十三条 (R-FUND-USE); with the project's other "
    "expenditure reports not returned for revision it never adds up to more than was "
    "disbursed (422 `RULE_VIOLATION` citing R-FUND-USE). Concurrent reports take turns on "
    "the project.",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION, ErrorCode.RULE_VIOLATION),
    },
)
async def submit_report(
    project_id: ProjectId,
    body: ReportIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReportOut:
    report = await reports.submit(
        session, principal=principal, project_id=project_id, draft=_draft(body), now=now
    )
    response.headers["Location"] = f"/api/v1/reports/{report.id}"
    return report_out(report)


@router.get(
    "/projects/{project_id}/reports",
    response_model=ReportPage,
    summary="The reports of a project",
    description="Oldest first; continue with `next_cursor`. Whoever reads the project (404 for "
    "anyone else).",
    responses=problems(401, 404, 422),
)
async def list_reports(
    project_id: ProjectId,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ReportPage:
    page = await reports.of_project(
        session, principal=principal, project_id=project_id, cursor=cursor, limit=limit
    )
    return ReportPage(items=[report_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get(
    "/reports/{report_id}",
    response_model=ReportOut,
    summary="Read a report",
    description="Whoever reads its project (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def get_report(
    report_id: ReportId, session: SessionDep, principal: PrincipalDep
) -> ReportOut:
    return report_out(await reports.get(session, principal=principal, report_id=report_id))


@router.post(
    "/reports/{report_id}/review",
    response_model=ReportOut,
    summary="Review a report (the department or an entrusted agency)",
    description="`accepted`, or `needs_revision` with a comment: once (409 after). The "
    "department, or an agency the project is entrusted to with the `reports` scope (403 "
    "citing R-MGMT-AGENCY, 第十四条, for another reader of the project; 404 for anyone else).",
    responses=problems(401, 403, 404, 409, 422),
)
async def review_report(
    report_id: ReportId,
    body: ReportReviewIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ReportOut:
    report = await reports.review(
        session,
        principal=principal,
        report_id=report_id,
        outcome=body.outcome,
        comment=body.comment,
        now=now,
    )
    return report_out(report)
