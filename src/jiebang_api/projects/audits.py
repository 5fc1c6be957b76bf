"""The special audit of a terminating project and the recovery of its subsidy
(R-CHG-TERMINATION-AUDIT, 第十六条).

The department, or an agency entrusted with the audit (R-MGMT-AGENCY, 第十四条), records the
special audit once: what was disbursed beyond the audited eligible spending is due back
(`recovery.recovery_due`). Nothing due: the project is `terminated` at once. Otherwise the
department records each repayment, on the project's row lock so that concurrent requests
never recover more than is due (the lock, and a CHECK on the audit's running total); the
last one terminates the project. A recovery the department cannot complete (the recipient's
insolvency, say) it closes by an audited write-off decision with its reason and document — a
reading: 第十六条 says only that the remaining subsidy is recovered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, Message, RuleViolation, Violation
from jiebang_api.kit.money import to_text
from jiebang_api.models import Project, Recovery, SpecialAudit
from jiebang_api.projects import access, recovery, transitions
from jiebang_api.projects import change_repository as changes_repository
from jiebang_api.projects import events as projects_events
from jiebang_api.projects.access import Scope
from jiebang_api.projects.workflow import ProjectAction, ProjectStatus

NOT_TERMINATING = Message(
    "只有终止中的项目进行专项审计和补助收回。",
    "Only a terminating project is specially audited and its subsidy recovered.",
)
AUDITED_ALREADY = Message("该项目的专项审计已登记。", "The project's special audit is recorded.")
NOT_AUDITED = Message(
    "须先登记专项审计，核定应收回的补助。",
    "The special audit comes first: it sets what is to be recovered.",
)


def _cited(message: Message, field: str | None = None) -> Violation:
    return Violation(message, rule="R-CHG-TERMINATION-AUDIT", article="第十六条", field=field)


def _too_much(outstanding: Decimal) -> Message:
    text = to_text(outstanding)
    return Message(
        f"收回金额须大于 0 且不超过尚未收回的 {text} 元。",
        f"A recovery is above 0 and at most what is still outstanding, {text}.",
    )


@dataclass(frozen=True)
class RecoveryView:
    """Where the recovery of a project's subsidy stands."""

    project: Project
    audit: SpecialAudit | None
    recoveries: list[Recovery]

    @property
    def recovered(self) -> Decimal:
        return self.audit.recovered if self.audit else Decimal(0)

    @property
    def outstanding(self) -> Decimal | None:
        if self.audit is None:
            return None
        return recovery.outstanding(
            due=self.audit.recovery_due,
            recovered=self.audit.recovered,
            written_off=self.audit.written_off,
        )


async def _view(session: AsyncSession, project: Project) -> RecoveryView:
    return RecoveryView(
        project,
        await changes_repository.special_audit(session, project.id),
        await changes_repository.recoveries(session, project.id),
    )


def _terminating(project: Project) -> None:
    if ProjectStatus(project.status) is not ProjectStatus.TERMINATING:
        raise Conflict(
            NOT_TERMINATING,
            violations=[_cited(NOT_TERMINATING)],
            extensions={"current_state": project.status},
        )


async def _audited(session: AsyncSession, project: Project) -> SpecialAudit:
    """The audit of a terminating project whose recovery is still open."""
    audit = await changes_repository.special_audit(session, project.id)
    if audit is None:
        raise Conflict(NOT_AUDITED, violations=[_cited(NOT_AUDITED)])
    _terminating(project)
    return audit


async def record_audit(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    audited_eligible_spending: Decimal,
    auditor: str,
    report_attachment_id: uuid.UUID,
    now: datetime,
) -> RecoveryView:
    """The special audit of a terminating project, once (the department, or an agency
    entrusted with the audit); with nothing to recover the project is terminated."""
    project = await access.managed(session, principal, project_id, Scope.AUDIT)
    _terminating(project)
    if await changes_repository.special_audit(session, project.id) is not None:
        raise Conflict(AUDITED_ALREADY)
    await attachments_service.require_linkable(
        session, principal=principal, ids=[report_attachment_id], field="body.report_attachment_id"
    )
    due = recovery.recovery_due(
        disbursed=project.disbursed, audited_eligible_spending=audited_eligible_spending
    )
    audit = SpecialAudit(
        id=uuid.uuid4(),
        project_id=project.id,
        disbursed=project.disbursed,
        audited_eligible_spending=audited_eligible_spending,
        recovery_due=due,
        recovered=Decimal(0),
        auditor=auditor,
        report_attachment_id=report_attachment_id,
        audited_by=principal.user_id,
    )
    session.add(audit)
    await session.flush()
    await events.record(
        session,
        projects_events.SpecialAuditRecorded(
            occurred_at=now,
            project_id=project.id,
            special_audit_id=audit.id,
            recovery_due=to_text(due),
        ),
        actor=principal.actor,
        action="project.special_audit",
        from_state=project.status,
        to_state=project.status,
        data={
            "disbursed": to_text(project.disbursed),
            "audited_eligible_spending": to_text(audited_eligible_spending),
            "recovery_due": to_text(due),
            "auditor": auditor,
        },
    )
    if due == 0:
        await transitions.move(
            session,
            project,
            ProjectAction.FINISH_TERMINATION,
            actor=principal.actor,
            now=now,
            data={"recovery_due": to_text(due)},
        )
    return await _view(session, project)


async def recover(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    amount: Decimal,
    paid_on: date,
    proof_attachment_id: uuid.UUID,
    now: datetime,
) -> RecoveryView:
    """A repayment by the recipient (the department), above 0 and at most what is
    outstanding (422 citing R-CHG-TERMINATION-AUDIT); the last one terminates the project."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    audit = await _audited(session, project)
    left = recovery.outstanding(
        due=audit.recovery_due, recovered=audit.recovered, written_off=audit.written_off
    )
    if not recovery.acceptable_recovery(amount, outstanding=left):
        message = _too_much(left)
        raise RuleViolation(message, violations=[_cited(message, "body.amount")])
    await attachments_service.require_linkable(
        session, principal=principal, ids=[proof_attachment_id], field="body.proof_attachment_id"
    )
    repaid = Recovery(
        id=uuid.uuid4(),
        project_id=project.id,
        amount=amount,
        paid_on=paid_on,
        proof_attachment_id=proof_attachment_id,
        recorded_by=principal.user_id,
    )
    session.add(repaid)
    audit.recovered += amount
    await session.flush()
    left -= amount
    await events.record(
        session,
        projects_events.SubsidyRecovered(
            occurred_at=now,
            project_id=project.id,
            recovery_id=repaid.id,
            amount=to_text(amount),
            recovered=to_text(audit.recovered),
            outstanding=to_text(left),
        ),
        actor=principal.actor,
        action="project.recover",
        from_state=project.status,
        to_state=project.status,
        data={"amount": to_text(amount), "recovered": to_text(audit.recovered)},
    )
    if left == 0:
        await transitions.move(
            session,
            project,
            ProjectAction.FINISH_TERMINATION,
            actor=principal.actor,
            now=now,
            data={"recovered": to_text(audit.recovered)},
        )
    return await _view(session, project)


async def write_off(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    reason: str,
    document_ref: str,
    now: datetime,
) -> RecoveryView:
    """The department closes a recovery it cannot complete by an audited decision: what is
    outstanding is written off and the project is terminated (a reading of 第十六条)."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    audit = await _audited(session, project)
    left = recovery.outstanding(
        due=audit.recovery_due, recovered=audit.recovered, written_off=audit.written_off
    )
    audit.written_off = left
    audit.write_off_reason, audit.write_off_document_ref = reason, document_ref
    audit.written_off_by, audit.written_off_at = principal.user_id, now
    await session.flush()
    await events.record(
        session,
        projects_events.RecoveryWrittenOff(
            occurred_at=now, project_id=project.id, written_off=to_text(left)
        ),
        actor=principal.actor,
        action="project.write_off_recovery",
        from_state=project.status,
        to_state=project.status,
        reason=reason,
        data={"written_off": to_text(left), "document_ref": document_ref},
    )
    await transitions.move(
        session,
        project,
        ProjectAction.FINISH_TERMINATION,
        actor=principal.actor,
        now=now,
        reason=reason,
        data={"written_off": to_text(left), "document_ref": document_ref},
    )
    return await _view(session, project)


async def view(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> RecoveryView:
    """Where the recovery stands (the project's readers; 404 otherwise)."""
    project = await access.project(session, principal, project_id, lock=False)
    return await _view(session, project)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """The readers of a project read its special audit report and the proofs of recovery."""
    linking = await changes_repository.projects_linking_in_recovery(session, attachment_id)
    return await access.may_read_any(session, principal, linking)
