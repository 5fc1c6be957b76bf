"""Acceptance (第十二条, 第十四条): the demand side (the department for an emergency project,
where it stands for that side) asks for it once the project's reports are up to date: every
milestone met, no report left returned for revision. The department, or an agency entrusted
with organising it (R-MGMT-AGENCY), records the result of the acceptance or performance
evaluation. Passed lets the rest of the subsidy be paid (R-DISB-FINAL-AFTER-ACCEPTANCE);
failed closes the project without it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, Message, NotFound, PermissionDenied
from jiebang_api.models import Acceptance, Project
from jiebang_api.projects import access, reports, transitions
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.access import Scope
from jiebang_api.projects.workflow import ProjectAction

REPORTS_OWED = Message(
    "项目报告尚未齐备，暂不能申请验收。",
    "The project's reports are not up to date: acceptance waits for them.",
)
NOT_THE_DEMAND_SIDE = Message(
    "只有需求方（应急类项目为科技厅）可以申请验收。",
    "Only the demand side (the department for an emergency project) requests acceptance.",
)


def _may_request(principal: Principal, project: Project) -> bool:
    if project.demand_org_id is None:
        return principal.has(Role.ADMIN)
    return principal.member_of(project.demand_org_id)


async def request(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Acceptance:
    """Ask for the project's acceptance (the demand side, once, while it is in progress)."""
    project = await access.project(session, principal, project_id, lock=True)
    if not _may_request(principal, project):
        raise PermissionDenied(NOT_THE_DEMAND_SIDE)
    if owed := await reports.outstanding(session, project, now):
        raise Conflict(REPORTS_OWED, violations=owed)
    attachment_ids = list(data.get("attachment_ids") or [])
    await attachments_service.require_linkable(
        session, principal=principal, ids=attachment_ids, field="body.attachment_ids"
    )
    acceptance = Acceptance(
        id=uuid.uuid4(),
        project_id=project.id,
        summary=data["summary"],
        attachment_ids=[str(i) for i in attachment_ids],
        requested_by=principal.user_id,
        requested_at=now,
    )
    await transitions.move(
        session, project, ProjectAction.REQUEST_ACCEPTANCE, actor=principal.actor, now=now
    )
    session.add(acceptance)
    await session.flush()
    await events.record(
        session,
        projects_events.AcceptanceRequested(
            occurred_at=now, project_id=project.id, acceptance_id=acceptance.id
        ),
        actor=principal.actor,
        action="acceptance.request",
        to_state="requested",
        resource=("acceptance", str(acceptance.id)),
    )
    return acceptance


async def decide(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Acceptance:
    """Record the result (the department or an agency entrusted with `acceptance`)."""
    project = await access.managed(session, principal, project_id, Scope.ACCEPTANCE)
    passed = data["outcome"] == "passed"
    action = ProjectAction.PASS_ACCEPTANCE if passed else ProjectAction.FAIL_ACCEPTANCE
    # Only a project whose acceptance is requested and undecided allows the step.
    await transitions.move(session, project, action, actor=principal.actor, now=now)
    acceptance = await projects_repository.acceptance(session, project.id)
    if acceptance is None:  # a request always comes with its row
        raise NotFound()
    result_ids = list(data.get("attachment_ids") or [])
    await attachments_service.require_linkable(
        session, principal=principal, ids=result_ids, field="body.attachment_ids"
    )
    acceptance.method = data["method"]
    acceptance.outcome = data["outcome"]
    acceptance.score = data.get("score")
    acceptance.comments = data["comments"]
    acceptance.result_attachment_ids = [str(i) for i in result_ids]
    acceptance.decided_by = principal.user_id
    acceptance.decided_at = now
    if passed:
        project.accepted_at = now
    else:  # 第十二条: no rest of the subsidy; the project is closed.
        await transitions.move(
            session, project, ProjectAction.CLOSE, actor=principal.actor, now=now
        )
    await session.flush()
    await events.record(
        session,
        projects_events.AcceptanceDecided(
            occurred_at=now,
            project_id=project.id,
            acceptance_id=acceptance.id,
            method=acceptance.method,
            outcome=acceptance.outcome,
        ),
        actor=principal.actor,
        action="acceptance.decide",
        from_state="requested",
        to_state=acceptance.outcome,
        data={"method": acceptance.method, "score": str(acceptance.score)},
        resource=("acceptance", str(acceptance.id)),
    )
    return acceptance


async def of_project(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> Acceptance:
    """The project's acceptance (whoever reads the project); 404 before it is requested."""
    project = await access.project(session, principal, project_id, lock=False)
    found = await projects_repository.acceptance(session, project.id)
    if found is None:
        raise NotFound()
    return found
