"""The funding calculator (第十条 to 第十二条): the ceiling on a subsidy and its tranches."""

from __future__ import annotations

from decimal import Decimal

from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.funding import CalculationIn, CalculationOut, FundingFinding
from jiebang_api.kit.context import current_language
from jiebang_api.kit.errors import Message, Violation
from jiebang_api.projects import calculator

router = StrictRouter(prefix="/funding", tags=["projects"])


def _finding(
    rule: str, article: str, outcome: str, figures: dict[str, Decimal], message: Message
) -> FundingFinding:
    return FundingFinding(
        rule=rule,
        article=article,
        outcome=outcome,
        figures={name: str(value) for name, value in figures.items()},
        message=message.in_language(current_language()),
        message_zh=message.zh,
        message_en=message.en,
    )


def _exceeded(v: Violation) -> FundingFinding:
    return _finding(v.rule or "", v.article or "", "exceeded", {}, v.message)


@router.post(
    "/calculate",
    response_model=CalculationOut,
    summary="Calculate a subsidy and its tranches",
    description="Anyone signed in; nothing is stored. Under the policy version in force "
    "today: the ceiling on S (30 % of T and 10,000,000 by the measures, R-FUND-RATIO-CAP and "
    "R-FUND-ABS-CAP; an emergency project only the cap, R-FUND-EM-FISCAL; with "
    "`case_by_case`, neither, R-FUND-CASE-BY-CASE; S ≤ T always) and the rule that sets it; "
    "the subsidy asked (else the ceiling) with each cap it exceeds; and, with the first "
    "payment P1, the first tranche S × P1 / A rounded down to the cent (R-DISB-FIRST-RATIO) "
    "and the final tranche S − first. Every rule applied is listed with its numbers.",
    responses=problems(401, 422),
)
async def calculate_funding(
    body: CalculationIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> CalculationOut:
    # The fields as read (amounts as `Decimal`; a dump would write them back as text).
    found = await calculator.calculate(session, principal=principal, data=dict(body), now=now)
    findings = [_finding(a.rule, a.article, "applied", a.figures, a.message) for a in found.applied]
    findings += [_exceeded(v) for v in found.violations]
    return CalculationOut(
        max_subsidy=found.ceiling.amount,
        binding_rule=found.ceiling.binding_rule,
        subsidy=found.subsidy,
        first_tranche=found.first_tranche,
        final_tranche=found.final_tranche,
        findings=findings,
    )
