"""Moving a project through its state machine: one step, its audit entry and its event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.events import bus as events
from jiebang_api.kit.actor import Actor
from jiebang_api.models import Project
from jiebang_api.projects import events as projects_events
from jiebang_api.projects.workflow import MACHINE, ProjectAction, ProjectStatus


async def move(
    session: AsyncSession,
    project: Project,
    action: ProjectAction,
    *,
    actor: Actor,
    now: datetime,
    to: ProjectStatus | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> ProjectStatus:
    """Take `action` on the (locked) project — `InvalidTransition` where its state does not
    allow it —, audit it as `project.<action>` and publish `project.status_changed`. `to`
    overrides the table's target where the machine cannot know it (a cleared misconduct case
    returns the project to where it was)."""
    before = ProjectStatus(project.status)
    after = MACHINE.next_state(before, action)
    after = to or after
    project.status = after.value
    await session.flush()
    await events.record(
        session,
        projects_events.ProjectStatusChanged(
            occurred_at=now,
            project_id=project.id,
            from_status=before,
            to_status=after,
            action=action.value,
        ),
        actor=actor,
        action=f"project.{action.value}",
        from_state=before.value,
        to_state=after.value,
        reason=reason,
        data=data,
    )
    return after
