"""The funding decision (第十一条, 第十二条) and where a project's money stands.

The department, having verified T and the agreement, sets the subsidy S once: within the
caps of the project's policy version unless it records a case-by-case decision
(R-FUND-CASE-BY-CASE), and never above T. For an emergency project, where the department
stands for the demand side and no first payment exists to scale by, the decision also sets
the first tranche (R-FUND-EM-FISCAL, a reading).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements.subsidy import check_subsidy
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, InputInvalid, Message, RuleViolation, Violation
from jiebang_api.kit.money import to_text
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Disbursement, FundingDecision, Project
from jiebang_api.projects import access, funding
from jiebang_api.projects import events as projects_events
from jiebang_api.projects import repository as projects_repository

DECIDED_ALREADY = Message("该项目的补助已核定。", "The project's subsidy is decided already.")
ABOVE_THE_CAPS = Message(
    "补助额超出办法规定的上限。", "The subsidy exceeds the caps of the measures."
)
EMERGENCY_FIRST = Message(
    "应急类项目由核定决定确定首笔补助（不超过补助额）。",
    "An emergency project's decision sets its first tranche (at most the subsidy).",
)
ONLY_EMERGENCY_FIRST = Message(
    "首笔补助按需求方首笔付款比例计算，只有应急类项目由核定决定确定。",
    "The first tranche follows the demand side's first payment; only an emergency "
    "project's decision sets it.",
)


@dataclass(frozen=True)
class Funding:
    """Where a project's money stands."""

    project: Project
    decision: FundingDecision | None
    disbursements: list[Disbursement]
    first_tranche: Decimal | None
    applied: list[funding.Applied]

    @property
    def final_tranche(self) -> Decimal | None:
        subsidy = self.project.subsidy
        if subsidy is None or self.first_tranche is None:
            return None
        return funding.final_tranche(subsidy, self.first_tranche)

    @property
    def status(self) -> str:
        tranches = {d.tranche for d in self.disbursements}
        if self.decision is None:
            return "undecided"
        if "final" in tranches:
            return "completed"
        return "first_disbursed" if "first" in tranches else "decided"


async def _first_tranche(
    session: AsyncSession, project: Project, decision: FundingDecision | None
) -> tuple[Decimal | None, list[funding.Applied]]:
    """The first tranche as decided (emergency) or as the verified first payment makes it
    (S × P1 / A, R-DISB-FIRST-RATIO); None while neither is known."""
    if decision is None or project.subsidy is None:
        return None, []
    if ListingKind(project.kind) is ListingKind.EMERGENCY:
        return decision.first_tranche, []
    paid = await projects_repository.first_payment_accepted(session, project.id)
    if paid is None:
        return None, []
    amount, applied = funding.first_tranche(project.subsidy, paid.amount, project.agreement_amount)
    return amount, [applied]


async def funding_of(session: AsyncSession, project: Project) -> Funding:
    decision = await projects_repository.decision(session, project.id)
    first, applied = await _first_tranche(session, project, decision)
    paid = await projects_repository.disbursements(session, project.id)
    done = next((d.amount for d in paid if d.tranche == "first"), None)
    return Funding(project, decision, paid, done if done is not None else first, applied)


async def view(session: AsyncSession, *, principal: Principal, project_id: uuid.UUID) -> Funding:
    """Where the project's money stands (the department and the sides; 404 otherwise)."""
    project = await access.project(session, principal, project_id, lock=False)
    return await funding_of(session, project)


def _check_first_tranche(
    kind: ListingKind, subsidy: Decimal, first: Decimal | None
) -> list[Violation]:
    if kind is ListingKind.EMERGENCY:
        if first is None or first > subsidy:
            return [
                Violation(
                    EMERGENCY_FIRST,
                    rule="R-FUND-EM-FISCAL",
                    article="第十条",
                    field="body.first_tranche",
                )
            ]
        return []
    if first is not None:
        return [Violation(ONLY_EMERGENCY_FIRST, field="body.first_tranche")]
    return []


async def decide(
    session: AsyncSession,
    *,
    principal: Principal,
    project_id: uuid.UUID,
    subsidy: Decimal,
    first_tranche: Decimal | None,
    case_by_case: tuple[str, str] | None,
    now: datetime,
) -> Funding:
    """Set the project's subsidy (the department, once), within the caps unless decided case
    by case; never above T."""
    project = await access.project(session, principal, project_id, lock=True)
    policy.require(principal, Permission.MANAGE_FUNDING)
    if await projects_repository.decision(session, project.id) is not None:
        raise Conflict(DECIDED_ALREADY)
    kind = ListingKind(project.kind)
    if wrong := _check_first_tranche(kind, subsidy, first_tranche):
        raise InputInvalid(violations=wrong)
    caps = await access.caps(session, project)
    found = check_subsidy(
        subsidy, kind, project.total_rd_investment, caps, case_by_case is not None, "body.subsidy"
    )
    if found:
        raise RuleViolation(ABOVE_THE_CAPS, violations=found)
    decision = FundingDecision(
        id=uuid.uuid4(),
        project_id=project.id,
        subsidy=subsidy,
        first_tranche=first_tranche,
        case_by_case_reason=case_by_case[0] if case_by_case else None,
        case_by_case_document_ref=case_by_case[1] if case_by_case else None,
        decided_by=principal.user_id,
    )
    session.add(decision)
    project.subsidy = subsidy
    await session.flush()
    data: dict[str, object] = {"subsidy": to_text(subsidy)}
    if case_by_case:
        data |= {"rule": "R-FUND-CASE-BY-CASE", "document_ref": case_by_case[1]}
    await events.record(
        session,
        projects_events.FundingDecided(
            occurred_at=now,
            project_id=project.id,
            subsidy=to_text(subsidy),
            case_by_case=case_by_case is not None,
        ),
        actor=principal.actor,
        action="project.decide_funding",
        to_state=project.status,
        from_state=project.status,
        reason=case_by_case[0] if case_by_case else None,
        data=data,
    )
    return await funding_of(session, project)
