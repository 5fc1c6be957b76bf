"""Entrusting a project to a third-party agency (第十四条): the department names an
agency organisation and what it may do on the project (its scope: reviewing reports,
organising acceptance, the special audit); revoking ends it and keeps it as history. The
agency's members then act within that scope only (R-MGMT-AGENCY, `access.managed`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, InputInvalid, Message, NotFound, Violation
from jiebang_api.models import Entrustment
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.organizations.enums import OrganizationType
from jiebang_api.projects import access
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.access import Scope
from jiebang_api.projects.workflow import ProjectStatus

# A project in these states has nothing left to manage.
FINISHED = frozenset({ProjectStatus.COMPLETED, ProjectStatus.CLOSED, ProjectStatus.TERMINATED})

NOT_AN_AGENCY = Message(
    "受托方须为已登记的第三方机构（单位类型为 agency）。",
    "The entrusted organisation must be a registered agency (organisation type `agency`).",
)
ENTRUSTED_ALREADY = Message(
    "该机构已受托于本项目；如需改变范围，请先撤销。",
    "This agency is entrusted with the project already; revoke it first to change the scope.",
)
FINISHED_PROJECT = Message(
    "项目已完成、结项或终止，无需委托。",
    "The project is completed, closed or terminated: there is nothing left to entrust.",
)
LISTED_TWICE = Message("重复列出。", "Listed twice.")
REVOKED_ALREADY = Message("该委托已撤销。", "This entrustment is revoked already.")


async def entrust(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    agency_org_id: uuid.UUID,
    scope: Sequence[Scope],
    now: datetime,
) -> Entrustment:
    """Entrust the project to an agency within `scope` (the department)."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_PROJECTS)
    if twice := [n for n, s in enumerate(scope) if s in scope[:n]]:
        raise InputInvalid(
            violations=[Violation(LISTED_TWICE, field=f"body.scope.{n}") for n in twice]
        )
    if ProjectStatus(project.status) in FINISHED:
        raise Conflict(FINISHED_PROJECT, extensions={"current_state": project.status})
    agency = await organizations_repository.get(session, agency_org_id)
    if agency is None or agency.type != OrganizationType.AGENCY:
        raise InputInvalid(
            violations=[Violation(NOT_AN_AGENCY, field="body.agency_org_id", article="第十四条")]
        )
    if await projects_repository.live_entrustments(
        session, project.id, agency_org_ids=[agency_org_id]
    ):
        raise Conflict(ENTRUSTED_ALREADY)
    ordered = [s.value for s in Scope if s in scope]
    entrustment = Entrustment(
        id=uuid.uuid4(),
        project_id=project.id,
        agency_org_id=agency_org_id,
        scope=ordered,
        created_by=principal.user_id,
    )
    session.add(entrustment)
    await session.flush()
    await events.record(
        session,
        projects_events.ProjectEntrusted(
            occurred_at=now,
            project_id=project.id,
            entrustment_id=entrustment.id,
            agency_org_id=agency_org_id,
            scope=ordered,
        ),
        actor=principal.actor,
        action="project.entrust",
        to_state=project.status,
        from_state=project.status,
        data={
            "entrustment_id": str(entrustment.id),
            "agency": str(agency_org_id),
            "scope": ordered,
        },
    )
    return entrustment


async def revoke(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    entrustment_id: uuid.UUID,
    now: datetime,
) -> Entrustment:
    """End an entrustment (the department); it stays listed as revoked."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_PROJECTS)
    entrustment = await projects_repository.entrustment(session, entrustment_id)
    if entrustment is None or entrustment.project_id != project.id:
        raise NotFound()
    if entrustment.revoked_at is not None:
        raise Conflict(REVOKED_ALREADY)
    entrustment.revoked_at = now
    entrustment.revoked_by = principal.user_id
    await session.flush()
    await events.record(
        session,
        projects_events.EntrustmentRevoked(
            occurred_at=now,
            project_id=project.id,
            entrustment_id=entrustment.id,
            agency_org_id=entrustment.agency_org_id,
        ),
        actor=principal.actor,
        action="project.revoke_entrustment",
        to_state=project.status,
        from_state=project.status,
        data={"entrustment_id": str(entrustment.id), "agency": str(entrustment.agency_org_id)},
    )
    return entrustment


async def of_project(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> list[Entrustment]:
    """The project's entrustments, revoked ones too, oldest first (whoever reads it)."""
    project = await access.project(session, principal, project_id, lock=False)
    return await projects_repository.entrustments(session, project.id)
