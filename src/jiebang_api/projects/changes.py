"""Extending or terminating a project (R-CHG-FORCE-MAJEURE, 第十六条): only for force majeure,
with the consent of both sides and the department's approval.

A member of either side files a request (its side consents by filing); a member of the other
side consents; the department approves or rejects. Where the department stands for the
demand side (an emergency project), it files for that side, and its approval is that side's
consent. An approved extension moves the project's end date (`project.extend`, both dates in
the history); an approved termination moves the project to `terminating`, which freezes its
disbursements until the special audit and the recovery (`projects.audits`). Every step holds
the project's row lock; one request is open per project at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Violation,
)
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.models import ChangeRequest, Project
from jiebang_api.projects import access, transitions
from jiebang_api.projects import change_repository as changes_repository
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import reports as projects_reports
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.change_workflow import (
    MACHINE,
    ChangeAction,
    ChangeKind,
    ChangeStatus,
    ReasonCategory,
    status_at_filing,
)
from jiebang_api.projects.workflow import CHANGEABLE, ProjectAction, ProjectStatus

DEMAND, SUPPLY = "demand", "supply"

ONLY_FORCE_MAJEURE = Message(
    "项目仅因不可抗力方可申请延期或终止。",
    "A project is extended or terminated only for force majeure.",
)
NO_CONSENT_YET = Message(
    "另一方尚未同意该变更，科技厅不能批准。",
    "The other side has not consented to the change yet: the department cannot approve it.",
)
NOT_A_SIDE = Message(
    "只有项目双方的成员可以申请变更。",
    "Only a member of either side of the project files a change request.",
)
FILER_CONSENTS_BY_FILING = Message(
    "申请方提交申请即视为同意；须由另一方表示同意。",
    "The filing side consents by filing: the other side consents.",
)
NOT_THE_OTHER_SIDE = Message(
    "只有另一方的成员可以同意该变更。",
    "Only a member of the other side consents to the change.",
)
NOT_CHANGEABLE = Message(
    "只有实施中的项目可以申请延期或终止。",
    "Only a project in progress may be extended or terminated.",
)
ONE_OPEN = Message(
    "该项目已有一项待处理的变更申请。",
    "The project already has an open change request.",
)
END_REQUIRED = Message("延期申请须给出新的结束日期。", "An extension needs its new end date.")
END_FORBIDDEN = Message("终止申请不设新的结束日期。", "A termination has no new end date.")


def _end_not_after(current: date) -> Message:
    return Message(
        f"新的结束日期须晚于当前结束日期 {current.isoformat()}。",
        f"The new end date must be after the current end date, {current.isoformat()}.",
    )


def acts_for(principal: Principal, project: Project, side: str) -> bool:
    """Whether the caller acts for `side`: a member of its organisation, or the department
    where it stands for the demand side (an emergency project)."""
    org = project.demand_org_id if side == DEMAND else project.supply_org_id
    if org is None:
        return principal.has(Role.ADMIN)
    return principal.member_of(org)


def _other(side: str) -> str:
    return SUPPLY if side == DEMAND else DEMAND


def _filing_side(principal: Principal, project: Project) -> str:
    for side in (DEMAND, SUPPLY):
        if acts_for(principal, project, side):
            return side
    raise PermissionDenied(NOT_A_SIDE)


def _refused(message: Message, field: str | None = None) -> Violation:
    return Violation(message, rule="R-CHG-FORCE-MAJEURE", article="第十六条", field=field)


def _check_terms(project: Project, kind: ChangeKind, data: dict[str, Any]) -> None:
    """Force majeure only (R-CHG-FORCE-MAJEURE); a new end date after the current one for
    an extension, none for a termination."""
    if ReasonCategory(data["reason_category"]) is not ReasonCategory.FORCE_MAJEURE:
        raise RuleViolation(
            ONLY_FORCE_MAJEURE, violations=[_refused(ONLY_FORCE_MAJEURE, "body.reason_category")]
        )
    new_end_on: date | None = data.get("new_end_on")
    wrong = None
    if kind is ChangeKind.EXTENSION and new_end_on is None:
        wrong = END_REQUIRED
    elif kind is ChangeKind.TERMINATION and new_end_on is not None:
        wrong = END_FORBIDDEN
    elif new_end_on is not None and new_end_on <= project.end_on:
        wrong = _end_not_after(project.end_on)
    if wrong is not None:
        raise InputInvalid(violations=[Violation(wrong, field="body.new_end_on")])


async def file(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    data: dict[str, Any],
    now: datetime,
) -> ChangeRequest:
    """A side asks to extend or terminate its project (404 for non-readers, 403 for a reader
    that is neither side)."""
    project = await access.project(session, principal, project_id, lock=True)
    side = _filing_side(principal, project)
    kind = ChangeKind(data["kind"])
    _check_terms(project, kind, data)
    if ProjectStatus(project.status) not in CHANGEABLE:
        raise Conflict(NOT_CHANGEABLE, extensions={"current_state": project.status})
    if await changes_repository.open_change_request(session, project.id) is not None:
        raise Conflict(ONE_OPEN)
    attachment_ids: Collection[uuid.UUID] = data.get("attachment_ids") or []
    await attachments_service.require_linkable(session, principal=principal, ids=attachment_ids)
    other_is_department = _other(side) == DEMAND and project.demand_org_id is None
    request = ChangeRequest(
        id=uuid.uuid4(),
        project_id=project.id,
        kind=kind.value,
        reason_category=data["reason_category"],
        description=data["description"],
        new_end_on=data.get("new_end_on"),
        end_on_at_filing=project.end_on,
        attachment_ids=[str(i) for i in dict.fromkeys(attachment_ids)],
        status=status_at_filing(other_side_is_department=other_is_department).value,
        filed_by_side=side,
        filed_by=principal.user_id,
    )
    session.add(request)
    await session.flush()
    await _record(session, principal, request, "file", projects_events.ChangeRequestFiled, now)
    return request


async def _record(
    session: AsyncSession,
    principal: Principal,
    request: ChangeRequest,
    action: str,
    event_class: type[projects_events.ChangeRequestEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
) -> None:
    await events.record(
        session,
        event_class(
            occurred_at=now,
            change_request_id=request.id,
            project_id=request.project_id,
            kind=ChangeKind(request.kind),
            status=ChangeStatus(request.status),
        ),
        actor=principal.actor,
        action=f"change_request.{action}",
        from_state=from_state,
        to_state=request.status,
        reason=reason,
        data={"project_id": str(request.project_id), "kind": request.kind},
    )


async def _load(
    session: AsyncSession, principal: Principal, change_request_id: uuid.UUID, *, lock: bool
) -> tuple[ChangeRequest, Project]:
    """The request and its project for the project's readers (404 otherwise); with `lock`,
    the project's row lock, and the request read afresh under it."""
    found = await changes_repository.change_request(session, change_request_id)
    if found is None:
        raise NotFound()
    project = await access.project(session, principal, found.project_id, lock=lock)
    if lock:
        found = await changes_repository.change_request(session, change_request_id, lock=True)
        if found is None:
            raise NotFound()
    return found, project


async def consent(
    session: AsyncSession, *, principal: Principal, change_request_id: uuid.UUID, now: datetime
) -> ChangeRequest:
    """The other side consents (403 for the filing side, which consented by filing, and for
    any other reader; 409 once the request no longer awaits consent)."""
    request, project = await _load(session, principal, change_request_id, lock=True)
    if not acts_for(principal, project, _other(request.filed_by_side)):
        filer = acts_for(principal, project, request.filed_by_side)
        raise PermissionDenied(FILER_CONSENTS_BY_FILING if filer else NOT_THE_OTHER_SIDE)
    before = ChangeStatus(request.status)
    request.status = MACHINE.next_state(before, ChangeAction.CONSENT).value
    request.consented_by, request.consented_at = principal.user_id, now
    await session.flush()
    await _record(
        session,
        principal,
        request,
        "consent",
        projects_events.ChangeRequestConsented,
        now,
        from_state=before.value,
    )
    return request


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    change_request_id: uuid.UUID,
    reason: str | None,
    now: datetime,
) -> ChangeRequest:
    """The department approves a request both sides agree to (409 citing R-CHG-FORCE-MAJEURE
    before the other side's consent): an extension moves the end date, a termination makes
    the project `terminating`."""
    request, project = await _load(session, principal, change_request_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    before = ChangeStatus(request.status)
    if before is ChangeStatus.AWAITING_CONSENT:
        raise Conflict(
            NO_CONSENT_YET,
            violations=[_refused(NO_CONSENT_YET)],
            extensions={"current_state": before.value},
        )
    after = MACHINE.next_state(before, ChangeAction.APPROVE)
    moved = {"change_request_id": str(request.id)}
    if ChangeKind(request.kind) is ChangeKind.EXTENSION and request.new_end_on is not None:
        moved |= {
            "from_end_on": project.end_on.isoformat(),
            "to_end_on": request.new_end_on.isoformat(),
        }
        project.end_on = request.new_end_on
        project.acceptance_overdue_at = None  # a new end: acceptance is due then
        projects_reports.reschedule(
            project, await projects_repository.milestones(session, project.id)
        )
        action = ProjectAction.EXTEND
    else:
        action = ProjectAction.TERMINATE
    await transitions.move(
        session, project, action, actor=principal.actor, now=now, reason=reason, data=moved
    )
    request.status = after.value
    request.decided_by, request.decided_at, request.decision_reason = (
        principal.user_id,
        now,
        reason,
    )
    await session.flush()
    await _record(
        session,
        principal,
        request,
        "approve",
        projects_events.ChangeRequestApproved,
        now,
        from_state=before.value,
        reason=reason,
    )
    return request


async def reject(
    session: AsyncSession,
    *,
    principal: Principal,
    change_request_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> ChangeRequest:
    """The department rejects an open request, consented or not (409 once decided)."""
    request, _ = await _load(session, principal, change_request_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    before = ChangeStatus(request.status)
    request.status = MACHINE.next_state(before, ChangeAction.REJECT).value
    request.decided_by, request.decided_at, request.decision_reason = (
        principal.user_id,
        now,
        reason,
    )
    await session.flush()
    await _record(
        session,
        principal,
        request,
        "reject",
        projects_events.ChangeRequestRejected,
        now,
        from_state=before.value,
        reason=reason,
    )
    return request


async def get(
    session: AsyncSession, *, principal: Principal, change_request_id: uuid.UUID
) -> ChangeRequest:
    """One request, for the readers of its project (404 otherwise)."""
    request, _ = await _load(session, principal, change_request_id, lock=False)
    return request


async def page(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[ChangeRequest]:
    """The project's requests, oldest first (its readers; 404 otherwise)."""
    project = await access.project(session, principal, project_id, lock=False)
    rows = await changes_repository.change_requests(
        session, project.id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """The readers of a project read the evidence of its change requests."""
    linking = await changes_repository.projects_linking_in_changes(session, attachment_id)
    return await access.may_read_any(session, principal, linking)
