"""Reading projects and their announcements: the department reads every project, the
members of either side their own (404 for anyone else); anyone reads the announcements."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.models import Announcement, Project
from jiebang_api.projects import access
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
    cursor: str | None,
    limit: int,
) -> Page[Project]:
    """Projects oldest first: every one for the department, a side's own for its members."""
    policy.require(principal, Permission.USE_API)
    org_ids = None if principal.has(Role.ADMIN) else list(principal.memberships)
    rows = await projects_repository.page(
        session,
        org_ids=org_ids,
        status=status.value if status else None,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    return page_of(rows, limit, by_creation)


async def announcements(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> Page[Announcement]:
    """The published announcements, oldest first (anyone)."""
    rows = await projects_repository.announcements(
        session, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)
