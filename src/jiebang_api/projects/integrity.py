"""Misconduct cases (第十七条, R-INTEG-MISCONDUCT): fraud or collusion to obtain the subsidy is
investigated. Reading: while a case is open the project is `suspended` and nothing more is
paid out; closing the last open case returns it to where it was. A sanction may record a
serious-dishonesty record on a party, which R-ELIG-NO-DISHONESTY then enforces wherever the
measures check it (submissions, signing, every disbursement)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, InputInvalid, Message, NotFound, Violation
from jiebang_api.models import MisconductCase, Project
from jiebang_api.organizations import service as organizations_service
from jiebang_api.projects import access, transitions
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.workflow import SUSPENDABLE, ProjectAction, ProjectStatus

CLOSED_ALREADY = Message("该案件已办结。", "The case is closed already.")
NOT_A_PARTY = Message(
    "信用记录只能记在项目的一方（需求方、供给方或牵头单位）名下。",
    "A credit record goes to a party of the project (demand side, supply side or lead).",
)
NO_RECORD_WHEN_CLEARED = Message("澄清的案件不记录失信。", "A cleared case records no dishonesty.")


def _parties(project: Project) -> set[uuid.UUID]:
    return {o for o in (project.demand_org_id, project.supply_org_id, project.lead_org_id) if o}


async def open_case(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    allegation: str,
    source: str,
    now: datetime,
) -> MisconductCase:
    """Open a case (the department): the project is suspended, its money frozen."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_PROJECTS)
    case = MisconductCase(
        id=uuid.uuid4(),
        project_id=project.id,
        allegation=allegation,
        source=source,
        status="open",
        opened_by=principal.user_id,
    )
    status = ProjectStatus(project.status)
    if status is not ProjectStatus.SUSPENDED:  # a second open case leaves it suspended
        await transitions.move(
            session,
            project,
            ProjectAction.SUSPEND,
            actor=principal.actor,
            now=now,
            data={"rule": "R-INTEG-MISCONDUCT", "misconduct_case_id": str(case.id)},
        )
        project.suspended_from = status.value
    session.add(case)
    await session.flush()
    await _record(session, principal, case, "open", projects_events.MisconductCaseOpened, now)
    return case


async def close_case(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> MisconductCase:
    """Close a case as cleared or sanctioned (the department); the last open case closed,
    the project returns to where it was. A sanction may record a dishonesty record."""
    policy.require(principal, Permission.MANAGE_PROJECTS)
    found = await projects_repository.misconduct_case(session, case_id)
    if found is None:
        raise NotFound()
    project = await access.project(session, principal, found.project_id, lock=True)
    case = await projects_repository.misconduct_case_for_update(session, case_id)
    if case is None or case.status != "open":
        raise Conflict(CLOSED_ALREADY)
    credit = data.get("credit_record")
    if credit is not None:
        case.credit_record_id = await _credit_record(session, principal, project, data, now)
    case.status = data["outcome"]
    case.close_reason = data["reason"]
    case.closed_by = principal.user_id
    case.closed_at = now
    await session.flush()
    if not any(
        c.status == "open" for c in await projects_repository.misconduct_cases(session, project.id)
    ):
        await _resume(session, principal, project, case, now)
    await _record(
        session, principal, case, "close", projects_events.MisconductCaseClosed, now, "open"
    )
    return case


async def _credit_record(
    session: AsyncSession,
    principal: Principal,
    project: Project,
    data: Mapping[str, Any],
    now: datetime,
) -> uuid.UUID:
    credit = data["credit_record"]
    if data["outcome"] != "sanctioned":
        raise InputInvalid(
            violations=[Violation(NO_RECORD_WHEN_CLEARED, field="body.credit_record")]
        )
    org_id = credit.get("org_id") or access.recipient_of(project)
    if org_id not in _parties(project):
        raise InputInvalid(violations=[Violation(NOT_A_PARTY, field="body.credit_record.org_id")])
    record = await organizations_service.add_credit_record(
        session,
        principal=principal,
        org_id=org_id,
        data={
            "kind": "serious_dishonesty",
            "starts_on": credit["starts_on"],
            "ends_on": credit.get("ends_on"),
            "source": "第十七条",
            "reference": f"{project.code} / misconduct",
            "note": data["reason"],
        },
        now=now,
    )
    return record.id


async def _resume(
    session: AsyncSession,
    principal: Principal,
    project: Project,
    case: MisconductCase,
    now: datetime,
) -> None:
    back = ProjectStatus(project.suspended_from or ProjectStatus.IN_PROGRESS)
    if back not in SUSPENDABLE:  # never back to a state a case could not suspend
        back = ProjectStatus.IN_PROGRESS
    await transitions.move(
        session,
        project,
        ProjectAction.RESUME,
        actor=principal.actor,
        now=now,
        to=back,
        data={"rule": "R-INTEG-MISCONDUCT", "misconduct_case_id": str(case.id)},
    )
    project.suspended_from = None


async def _record(
    session: AsyncSession,
    principal: Principal,
    case: MisconductCase,
    action: str,
    event_class: type[projects_events.MisconductCaseEvent],
    now: datetime,
    from_state: str | None = None,
) -> None:
    await events.record(
        session,
        event_class(
            occurred_at=now,
            misconduct_case_id=case.id,
            project_id=case.project_id,
            status=case.status,
        ),
        actor=principal.actor,
        action=f"misconduct_case.{action}",
        from_state=from_state,
        to_state=case.status,
        reason=case.close_reason,
    )


async def of_project(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> list[MisconductCase]:
    """The project's cases, oldest first (the department; 403 for the project's other
    readers, 404 for anyone else)."""
    project = await access.project(session, principal, project_id, lock=False)
    policy.require(principal, Permission.MANAGE_PROJECTS)
    return await projects_repository.misconduct_cases(session, project.id)
