"""Disbursing the subsidy (第十二条) on the project's row lock, so that retries and
concurrent requests never pay a tranche twice nor more than S (R-DISB-NEVER-EXCEED: the lock,
one disbursement per tranche, and a CHECK on the project's running total).

The first tranche waits for the demand side's verified first payment (R-DISB-FIRST-PAYMENT)
and is S × P1 / A (R-DISB-FIRST-RATIO); an emergency project's is the decision's. The final
tranche, the rest of S, waits for acceptance (R-DISB-FINAL-AFTER-ACCEPTANCE). Neither is paid
to a recipient with an active serious-dishonesty record (R-ELIG-NO-DISHONESTY) nor on a
suspended (R-INTEG-MISCONDUCT) or terminating project (R-CHG-TERMINATION-AUDIT). The final
tranche completes the project. The amount is the service's to compute, never the caller's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import Conflict, Message, RuleViolation, Violation
from jiebang_api.kit.money import to_text
from jiebang_api.models import Disbursement, Project
from jiebang_api.organizations import service as organizations_service
from jiebang_api.projects import access, decisions, funding, transitions
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository
from jiebang_api.projects.workflow import FROZEN, ProjectAction, ProjectStatus

NOT_DECIDED = Message("项目补助尚未核定。", "The project's subsidy is not decided yet.")
PAID_ALREADY = Message("该笔补助已拨付。", "This tranche has been paid already.")
SUSPENDED = Message(
    "项目因失信行为调查暂停，补助拨付冻结。",
    "The project is suspended by a misconduct case: its disbursements are frozen.",
)
TERMINATED = Message(
    "项目已终止或正在终止，不再拨付补助。",
    "The project is terminated or being terminated: nothing more is paid out.",
)
# Why a frozen project pays nothing: the rule and its article.
HELD_BY = {
    ProjectStatus.SUSPENDED: (SUSPENDED, "R-INTEG-MISCONDUCT", "第十七条"),
    ProjectStatus.TERMINATING: (TERMINATED, "R-CHG-TERMINATION-AUDIT", "第十六条"),
    ProjectStatus.TERMINATED: (TERMINATED, "R-CHG-TERMINATION-AUDIT", "第十六条"),
}
NO_FIRST_PAYMENT = Message(
    "需求方首笔协议付款尚未核验，不能拨付补助。",
    "The demand side's first payment is not verified yet: no subsidy is paid before it.",
)
FIRST_BEFORE_FINAL = Message("须先拨付首笔补助。", "The first tranche comes first.")
NOT_ACCEPTED = Message(
    "项目尚未通过验收或综合绩效评价，不能拨付剩余补助。",
    "The project has not passed acceptance: the rest of the subsidy waits for it.",
)
WOULD_EXCEED = Message(
    "累计拨付将超过核定补助额。", "The disbursements would add up to more than the subsidy."
)
NOTHING_LEFT = Message("该笔补助金额为零，无需拨付。", "This tranche comes to nothing.")
DISHONEST = Message(
    "受资助方存在生效的严重失信记录，不能拨付。",
    "The recipient has an active serious-dishonesty record: nothing is paid to it.",
)


def _refused(message: Message, rule: str) -> Conflict:
    return Conflict(message, violations=[Violation(message, rule=rule, article="第十二条")])


async def _amount(session: AsyncSession, project: Project, tranche: str) -> Decimal:
    """What the tranche comes to, or the rule that holds it back."""
    money = await decisions.funding_of(session, project)
    subsidy = project.subsidy
    if money.decision is None or subsidy is None:
        raise Conflict(NOT_DECIDED)
    paid = {d.tranche for d in money.disbursements}
    if tranche in paid:
        raise Conflict(PAID_ALREADY)
    if tranche == "first":
        if money.first_tranche is None:
            raise _refused(NO_FIRST_PAYMENT, "R-DISB-FIRST-PAYMENT")
        amount = money.first_tranche
    else:
        if "first" not in paid and money.first_tranche != 0:  # a first tranche of 0 is none
            raise Conflict(FIRST_BEFORE_FINAL)
        if project.accepted_at is None:
            raise _refused(NOT_ACCEPTED, "R-DISB-FINAL-AFTER-ACCEPTANCE")
        amount = funding.final_tranche(subsidy, project.disbursed)
    if project.disbursed + amount > subsidy:
        raise _refused(WOULD_EXCEED, "R-DISB-NEVER-EXCEED")
    if amount <= 0:
        raise Conflict(NOTHING_LEFT)
    return amount


async def disburse(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    tranche: str,
    now: datetime,
) -> Disbursement:
    """Pay a tranche to the recipient (the department), its amount computed here."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    if (status := ProjectStatus(project.status)) in FROZEN:
        message, rule, article = HELD_BY[status]
        raise Conflict(
            message,
            violations=[Violation(message, rule=rule, article=article)],
            extensions={"current_state": project.status},
        )
    recipient = access.recipient_of(project)
    today = now.astimezone(SHANGHAI).date()
    if await organizations_service.has_active_dishonesty(session, recipient, today):
        raise RuleViolation(
            DISHONEST,
            violations=[Violation(DISHONEST, rule="R-ELIG-NO-DISHONESTY", article="第十五条")],
        )
    amount = await _amount(session, project, tranche)
    paid = Disbursement(
        id=uuid.uuid4(),
        project_id=project.id,
        tranche=tranche,
        amount=amount,
        recipient_org_id=recipient,
        disbursed_by=principal.user_id,
    )
    session.add(paid)
    project.disbursed += amount
    await session.flush()
    await events.record(
        session,
        projects_events.TrancheDisbursed(
            occurred_at=now,
            project_id=project.id,
            disbursement_id=paid.id,
            tranche=tranche,
            amount=to_text(amount),
            disbursed=to_text(project.disbursed),
        ),
        actor=principal.actor,
        action="project.disburse",
        to_state=project.status,
        from_state=project.status,
        data={"tranche": tranche, "amount": to_text(amount), "recipient": str(recipient)},
    )
    if tranche == "final":  # the whole subsidy is paid: the project is complete
        await transitions.move(
            session, project, ProjectAction.COMPLETE, actor=principal.actor, now=now
        )
    return paid


async def of_project(
    session: AsyncSession, *, principal: Principal, project_id: uuid.UUID
) -> list[Disbursement]:
    """The project's disbursements, oldest first (the department and the sides)."""
    project = await access.project(session, principal, project_id, lock=False)
    return await projects_repository.disbursements(session, project.id)
