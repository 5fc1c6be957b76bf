"""Who may see and manage a project, and loading it for a use case.

Reading: the department, the members of either side and the members of an agency the
project is entrusted to (404 for anyone else). Managing (reviewing reports, recording the
acceptance result, the special audit): the department, or an entrusted agency within the
scope of its entrustment (R-MGMT-AGENCY, 第十四条); a reader outside it gets 403.
Also the figures of the project's policy version and who gets its money.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import core as agreements_core
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import DomainError, Message, NotFound, PermissionDenied, Violation
from jiebang_api.kit.labels import labelled
from jiebang_api.models import Project
from jiebang_api.policies import service as policies_service
from jiebang_api.projects import funding
from jiebang_api.projects import repository as projects_repository


@labelled(
    {
        "reports": ("审查报告", "Review reports"),
        "acceptance": ("组织验收", "Organise acceptance"),
        "audit": ("专项审计", "Special audit"),
    }
)
class Scope(StrEnum):
    """What an entrusted agency may do on a project (第十四条)."""

    REPORTS = "reports"
    ACCEPTANCE = "acceptance"
    AUDIT = "audit"


OUTSIDE_SCOPE = Message(
    "受托机构只能在委托范围内处理受托项目。",
    "An entrusted agency acts on its entrusted projects only, within the entrusted scope.",
)


def is_party(principal: Principal, project: Project) -> bool:
    sides = (project.demand_org_id, project.supply_org_id)
    return any(o and principal.member_of(o) for o in sides)


async def _scopes(session: AsyncSession, principal: Principal, project: Project) -> set[Scope]:
    """The scopes entrusted to the caller's agencies on the project (none for a non-agency)."""
    if not principal.has(Role.AGENCY) or not principal.memberships:
        return set()
    found = await projects_repository.live_entrustments(
        session, project.id, agency_org_ids=list(principal.memberships)
    )
    return {Scope(s) for e in found for s in e.scope}


async def project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, *, lock: bool
) -> Project:
    """The project for the department, the sides and its entrusted agencies (404
    otherwise); `lock` takes its row lock, which every use case that changes it holds."""
    policy.require(principal, Permission.USE_API)
    load = projects_repository.get_for_update if lock else projects_repository.get
    found = await load(session, project_id)
    if found is None:
        raise NotFound()
    if principal.has(Role.ADMIN) or is_party(principal, found):
        return found
    if await _scopes(session, principal, found):
        return found
    raise NotFound()


async def may_read_any(
    session: AsyncSession, principal: Principal, project_ids: Collection[uuid.UUID]
) -> bool:
    """Whether the caller reads one of the projects (as `project` decides, without raising)."""
    for project_id in project_ids:
        try:
            await project(session, principal, project_id, lock=False)
        except DomainError:
            continue
        return True
    return False


async def managed(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    scope: Scope,
    *,
    lock: bool = True,
) -> Project:
    """The project for the department or an agency entrusted with `scope` on it
    (R-MGMT-AGENCY); 404 for whoever may not read it, 403 for a reader outside the scope."""
    found = await project(session, principal, project_id, lock=lock)
    if principal.has(Role.ADMIN) or scope in await _scopes(session, principal, found):
        return found
    raise PermissionDenied(
        OUTSIDE_SCOPE,
        violations=[Violation(OUTSIDE_SCOPE, rule="R-MGMT-AGENCY", article="第十四条")],
    )


def recipient_of(project: Project) -> uuid.UUID:
    """第十二条: the demand side (the proposer of a technology breakthrough, the lead solver
    of an achievement transfer); for an emergency project, where the department stands for
    the demand side, the lead solver (a reading)."""
    return project.demand_org_id or project.lead_org_id


async def caps(session: AsyncSession, project: Project) -> funding.Caps:
    """The subsidy caps of the project's policy version (the measures' own without one)."""
    version = (
        await policies_service.get(session, project.policy_version_id)
        if project.policy_version_id
        else None
    )
    return agreements_core.limits(version).caps
