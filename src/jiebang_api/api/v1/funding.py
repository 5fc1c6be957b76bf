"""The money of a project (第十条 to 第十二条): the calculator, the funding decision, the
demand side's payments and the disbursed tranches."""

from __future__ import annotations

from decimal import Decimal

from fastapi import Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import PaymentId, ProjectId
from jiebang_api.api.v1.schemas.funding import (
    CalculationIn,
    CalculationOut,
    DisbursementIn,
    DisbursementList,
    DisbursementOut,
    FundingDecisionIn,
    FundingFinding,
    FundingOut,
    PaymentIn,
    PaymentList,
    PaymentOut,
    PaymentVerificationIn,
)
from jiebang_api.kit.context import current_language
from jiebang_api.kit.errors import ErrorCode, Message, Violation
from jiebang_api.projects import access, calculator, decisions, disbursements, payments

router = StrictRouter(tags=["projects"])


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
    "/funding/calculate",
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


def funding_out(found: decisions.Funding) -> FundingOut:
    project = found.project
    return FundingOut(
        project_id=project.id,
        subsidy=project.subsidy,
        disbursed=project.disbursed,
        remaining=project.subsidy - project.disbursed if project.subsidy is not None else None,
        first_tranche=found.first_tranche,
        final_tranche=found.final_tranche,
        recipient_org_id=access.recipient_of(project),
        status=found.status,
        case_by_case=bool(found.decision and found.decision.case_by_case_reason),
        findings=[
            _finding(a.rule, a.article, "applied", a.figures, a.message) for a in found.applied
        ],
    )


@router.post(
    "/projects/{project_id}/funding-decision",
    response_model=FundingOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Decide a project's subsidy (admin)",
    description="第十二条: with T and the agreement verified, the department sets S once "
    "(409 after). Within the caps of the project's policy version (422 `RULE_VIOLATION` "
    "citing R-FUND-RATIO-CAP or R-FUND-ABS-CAP, 第十一条) unless `case_by_case` records the "
    "decision that lifts them (R-FUND-CASE-BY-CASE); never above T. An emergency project's "
    "decision also sets its first tranche (R-FUND-EM-FISCAL, a reading).",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.RULE_VIOLATION),
)
async def decide_funding(
    project_id: ProjectId,
    body: FundingDecisionIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> FundingOut:
    case = body.case_by_case
    found = await decisions.decide(
        session,
        principal=principal,
        project_id=project_id,
        subsidy=body.subsidy,
        first_tranche=body.first_tranche,
        case_by_case=(case.reason, case.document_ref) if case else None,
        now=now,
    )
    return funding_out(found)


@router.get(
    "/projects/{project_id}/funding",
    response_model=FundingOut,
    summary="Where a project's money stands",
    description="The subsidy, what is paid and left, the two tranches as far as they are "
    "known, the recipient (第十二条) and the rules applied. The department and the members of "
    "either side (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def project_funding(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> FundingOut:
    return funding_out(await decisions.view(session, principal=principal, project_id=project_id))


@router.post(
    "/projects/{project_id}/payments",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Record a payment to the supply side (the demand side)",
    description="A member of the demand side records a payment under the agreement with the "
    "bank's proof (403 for anyone else who reads the project); the department verifies it. "
    "The verified first instalment (`instalment_seq` 1) releases the first tranche "
    "(R-DISB-FIRST-PAYMENT). Not for an emergency project (409 citing R-FUND-EM-FISCAL).",
    responses={201: {"headers": LOCATION}, **problems(401, 403, 404, 409, 422)},
)
async def record_payment(
    project_id: ProjectId,
    body: PaymentIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> PaymentOut:
    payment = await payments.record(
        session, principal=principal, project_id=project_id, data=dict(body), now=now
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/payments"
    return PaymentOut.model_validate(payment)


@router.get(
    "/projects/{project_id}/payments",
    response_model=PaymentList,
    summary="The demand side's payments of a project",
    description="Oldest first. The department and the members of either side (404 for anyone "
    "else).",
    responses=problems(401, 404, 422),
)
async def list_payments(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> PaymentList:
    found = await payments.of_project(session, principal=principal, project_id=project_id)
    return PaymentList(items=[PaymentOut.model_validate(p) for p in found])


@router.post(
    "/payments/{payment_id}/verify",
    response_model=PaymentOut,
    summary="Verify a payment and its proof (admin)",
    description="`accepted` or not, with a comment; once (409 after).",
    responses=problems(401, 403, 404, 409, 422),
)
async def verify_payment(
    payment_id: PaymentId,
    body: PaymentVerificationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> PaymentOut:
    payment = await payments.verify(
        session,
        principal=principal,
        payment_id=payment_id,
        accepted=body.accepted,
        comment=body.comment,
        now=now,
    )
    return PaymentOut.model_validate(payment)


@router.post(
    "/projects/{project_id}/disbursements",
    response_model=DisbursementOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.MOVES_MONEY,
    summary="Disburse a tranche of the subsidy (admin)",
    description="The amount is computed, never sent. `first`: once the subsidy is decided "
    "and the demand side's first payment verified (409 citing R-DISB-FIRST-PAYMENT), S × P1 "
    "/ A rounded down (R-DISB-FIRST-RATIO); an emergency project's as decided. `final`: after "
    "acceptance (409 citing R-DISB-FINAL-AFTER-ACCEPTANCE), the rest of S. Each tranche once "
    "(409), never more than S in all (R-DISB-NEVER-EXCEED), nothing to a recipient with an "
    "active serious-dishonesty record (422 citing R-ELIG-NO-DISHONESTY) or on a suspended or "
    "terminated project (409). Concurrent requests take turns on the project.",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.RULE_VIOLATION),
)
async def disburse(
    project_id: ProjectId,
    body: DisbursementIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> DisbursementOut:
    paid = await disbursements.disburse(
        session, principal=principal, project_id=project_id, tranche=body.tranche, now=now
    )
    return DisbursementOut.model_validate(paid)


@router.get(
    "/projects/{project_id}/disbursements",
    response_model=DisbursementList,
    summary="The disbursed tranches of a project",
    description="Oldest first. The department and the members of either side (404 for anyone "
    "else).",
    responses=problems(401, 404, 422),
)
async def list_disbursements(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> DisbursementList:
    found = await disbursements.of_project(session, principal=principal, project_id=project_id)
    return DisbursementList(items=[DisbursementOut.model_validate(d) for d in found])
