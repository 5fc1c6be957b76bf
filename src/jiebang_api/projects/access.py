"""Who may see a project and loading it for a use case: the department and the members of
either side (404 for anyone else); the figures of its policy version; who gets its money."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import core as agreements_core
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import NotFound
from jiebang_api.models import Project
from jiebang_api.policies import service as policies_service
from jiebang_api.projects import funding
from jiebang_api.projects import repository as projects_repository


def may_read(principal: Principal, project: Project) -> bool:
    sides = (project.demand_org_id, project.supply_org_id)
    return principal.has(Role.ADMIN) or any(o and principal.member_of(o) for o in sides)


async def project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, *, lock: bool
) -> Project:
    """The project for the department and the sides (404 otherwise); `lock` takes its row
    lock, which every use case that moves its money holds."""
    policy.require(principal, Permission.USE_API)
    load = projects_repository.get_for_update if lock else projects_repository.get
    found = await load(session, project_id)
    if found is None or not may_read(principal, found):
        raise NotFound()
    return found


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
