"""Reading projects and their announcements: the department reads every project, the
members of either side their own (404 for anyone else) with its history; anyone reads the
announcements and what the public may know of each project."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access as agreements_access
from jiebang_api.agreements.workflow import Sides
from jiebang_api.audit import repository as audit_repository
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import NotFound
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Announcement, AuditEntry, Project
from jiebang_api.projects import access, milestones
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.workflow import ProjectStatus


async def get(session: AsyncSession, *, principal: Principal, project_id: uuid.UUID) -> Project:
    """The project, for the department and the members of either side (404 otherwise)."""
    return await access.project(session, principal, project_id, lock=False)


async def page(
    session: AsyncSession,
    *,
    principal: Principal,
    status: ProjectStatus | None,
    kind: ListingKind | None = None,
    org_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
    cursor: str | None,
    limit: int,
) -> Page[Project]:
    """Projects oldest first: every one for the department, a side's own for its members,
    the entrusted ones for an agency's members; narrowed by status, kind, a party and
    whether a milestone not met is past due at `now`, or the project past its end still in
    progress (`overdue`)."""
    policy.require(principal, Permission.USE_API)
    org_ids = None if principal.has(Role.ADMIN) else list(principal.memberships)
    agencies = list(principal.memberships) if principal.has(Role.AGENCY) else []
    rows = await projects_repository.page(
        session,
        org_ids=org_ids,
        agency_org_ids=agencies,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        org_id=org_id,
        overdue_on=(overdue, milestones.today(now)) if overdue is not None and now else None,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    return page_of(rows, limit, by_creation)


async def history(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> list[AuditEntry]:
    """Every step of the project, oldest first (as `get` is read): its creation, the funding
    decision, the disbursements."""
    project = await access.project(session, principal, project_id, lock=False)
    return await audit_repository.list_for(session, "project", str(project.id))


@dataclass(frozen=True)
class PublicProject:
    """What the public reads of a project: names, figures, dates and status; nothing else."""

    project: Project
    demand_name: str  # the department's where it stands for the demand side
    supply_name: str


async def _public(session: AsyncSession, projects: list[Project]) -> list[PublicProject]:
    parties = [Sides(p.demand_org_id, p.supply_org_id) for p in projects]
    named = await agreements_access.side_names(session, parties)
    return [PublicProject(p, *named(s)) for p, s in zip(projects, parties, strict=True)]


async def public_page(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[PublicProject]:
    """Every project, oldest first (anyone)."""
    rows = await projects_repository.page(
        session,
        org_ids=None,
        status=None,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    found = page_of(rows, limit, by_creation)
    return Page(items=await _public(session, found.items), next_cursor=found.next_cursor)


async def public_project(session: AsyncSession, *, project_id: uuid.UUID) -> PublicProject:
    """One project (anyone); 404 for an unknown id."""
    project = await projects_repository.get(session, project_id)
    if project is None:
        raise NotFound()
    return (await _public(session, [project]))[0]


async def announcements(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[Announcement]:
    """The published announcements, oldest first (anyone)."""
    rows = await projects_repository.announcements(
        session, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)
