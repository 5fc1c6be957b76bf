"""Negotiation and the agreement (第九条（六）（七）): the recommended application in its turn
negotiates with the other side; the two sides draft the agreement, confirm it, and submit it
to the department."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Response, status

from jiebang_api.agreements import core as agreements_core
from jiebang_api.agreements import negotiations as agreements_negotiations
from jiebang_api.agreements import review as agreements_review
from jiebang_api.agreements import service as agreements_service
from jiebang_api.api import idempotency
from jiebang_api.api.deps import ETAG, LOCATION, IfMatchDep, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.findings import Finding
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import AgreementId, ApplicationId, Cursor, Limit
from jiebang_api.api.v1.schemas.agreements import (
    SUMS,
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    ApproveIn,
    DecisionIn,
    NegotiationIn,
    NegotiationOut,
    NegotiationPage,
    WaiverIn,
)
from jiebang_api.api.v1.schemas.listings import EmptyIn, ReasonIn
from jiebang_api.api.v1.schemas.organizations import AuditEntryOut, HistoryOut
from jiebang_api.kit.errors import ErrorCode, Violation
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.models import AgreementWaiver
from jiebang_api.rules.catalogue import RULES_BY_ID

router = StrictRouter(tags=["agreements"])
INVALID_TRANSITION = ErrorCode.INVALID_TRANSITION
STEP_REFUSALS = (INVALID_TRANSITION, ErrorCode.RULE_VIOLATION)

IN_TURN = (
    "The application is `recommended` and no application ranked above it is still "
    "recommended (409 `CONFLICT` otherwise: negotiation follows the rank)."
)


@router.post(
    "/applications/{application_id}/negotiations",
    response_model=NegotiationOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Record a negotiation",
    description="The department or a member of either side (404 for anyone else). " + IN_TURN,
    responses={201: {"headers": LOCATION}, **problems(401, 404, 409, 422)},
)
async def record_negotiation(
    application_id: ApplicationId,
    body: NegotiationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> NegotiationOut:
    record = await agreements_negotiations.record(
        session,
        principal=principal,
        application_id=application_id,
        data=body.model_dump(mode="python"),
        now=now,
    )
    response.headers["Location"] = f"/api/v1/applications/{application_id}/negotiations"
    return NegotiationOut.model_validate(record)


@router.get(
    "/applications/{application_id}/negotiations",
    response_model=NegotiationPage,
    summary="The negotiation records of an application",
    description="The department and the members of either side (404 for anyone else), "
    "oldest first.",
    responses=problems(401, 404, 422),
)
async def list_negotiations(
    application_id: ApplicationId,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> NegotiationPage:
    page = await agreements_negotiations.of_application(
        session, principal=principal, application_id=application_id, cursor=cursor, limit=limit
    )
    return NegotiationPage(
        items=[NegotiationOut.model_validate(n) for n in page.items],
        next_cursor=page.next_cursor,
    )


def _finding(v: Violation) -> Finding:
    return Finding.model_validate(
        {
            "rule": v.rule,
            "article": v.article,
            "field": v.field,
            "message": {"zh": v.message.zh, "en": v.message.en},
        }
    )


def _decision(w: AgreementWaiver) -> dict[str, Any]:
    return {
        "rule": w.rule,
        "article": RULES_BY_ID[w.rule].article,
        "reason": w.reason,
        "document_ref": w.document_ref,
        "decided_by": w.decided_by,
        "decided_at": w.created_at,
    }


def agreement_out(view: agreements_core.AgreementView) -> AgreementOut:
    a = view.agreement
    values: dict[str, Any] = {c.key: getattr(a, c.key) for c in a.__table__.columns}
    values["status"] = view.status
    values["demand_confirmation"] = {
        "confirmed_by": a.demand_confirmed_by,
        "confirmed_at": a.demand_confirmed_at,
    }
    values["supply_confirmation"] = {
        "confirmed_by": a.supply_confirmed_by,
        "confirmed_at": a.supply_confirmed_at,
    }
    lifted = view.case_by_case
    values["waivers"] = [_decision(w) for w in view.waivers if w is not lifted]
    values["case_by_case"] = _decision(lifted) if lifted else None
    values["findings"] = {
        "blocking": [_finding(v) for v in view.findings.blocking],
        "waived": [_finding(v) for v in view.findings.waived],
    }
    return AgreementOut.model_validate(values)


def _with_etag(view: agreements_core.AgreementView, response: Response) -> AgreementOut:
    response.headers["ETag"] = f'"{view.agreement.version}"'
    return agreement_out(view)


@router.post(
    "/agreements",
    response_model=AgreementOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Draft the agreement of a recommended application",
    description="The department or a member of either side (404 for anyone else). The sides "
    "follow from the listing's kind: a technology breakthrough's demand side is the proposer "
    "and its supply side the lead solver; an achievement transfer's the other way round; an "
    "emergency listing's demand side is the department. " + IN_TURN + " One live agreement "
    "per application (409). " + SUMS + " The rules of the "
    "measures are evaluated on every read (`findings`): a blocking finding does not stop the "
    "draft, it stops the confirmation.",
    responses={201: {"headers": {**ETAG, **LOCATION}}, **problems(401, 404, 409, 422)},
)
async def create_agreement(
    body: AgreementIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> AgreementOut:
    view = await agreements_service.create(session, principal=principal, data=body.data(), now=now)
    response.headers["Location"] = f"/api/v1/agreements/{view.agreement.id}"
    return _with_etag(view, response)


@router.get(
    "/agreements/{agreement_id}",
    response_model=AgreementOut,
    summary="Read an agreement",
    description="The department and the members of either side (404 for anyone else), with "
    "its waivers and what the rules find in its terms now.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def get_agreement(
    agreement_id: AgreementId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> AgreementOut:
    view = await agreements_service.get(
        session, principal=principal, agreement_id=agreement_id, now=now
    )
    return _with_etag(view, response)


@router.get(
    "/agreements/{agreement_id}/history",
    response_model=HistoryOut,
    summary="Audit history of an agreement",
    description="Every step with actor, time, states and reason, oldest first: drafting, "
    "edits, waivers (rule and document in `data`), confirmations, submission. The department "
    "and the members of either side (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def agreement_history(
    agreement_id: AgreementId, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    entries = await agreements_service.history(
        session, principal=principal, agreement_id=agreement_id
    )
    return HistoryOut(items=[AuditEntryOut.model_validate(e) for e in entries])


@router.patch(
    "/agreements/{agreement_id}",
    response_model=AgreementOut,
    summary="Change an agreement's terms",
    description="The department or a member of either side, while `draft` or `returned` "
    "(409 otherwise). Send `If-Match`. Any change clears both sides' confirmations. " + SUMS,
    responses={200: {"headers": ETAG}, **problems(401, 404, 409, 412, 422)},
)
async def update_agreement(
    agreement_id: AgreementId,
    body: AgreementPatch,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> AgreementOut:
    view = await agreements_service.update(
        session,
        principal=principal,
        agreement_id=agreement_id,
        data=body.changes(),
        expected_version=expected_version,
        now=now,
    )
    return _with_etag(view, response)


def _step(
    path: str,
    name: str,
    body_model: type[Any],
    call: Callable[..., Awaitable[agreements_core.AgreementView]],
    summary: str,
    description: str,
    *refusals: int | ErrorCode,
    created: bool = False,
) -> None:
    """Register `POST /agreements/{id}/{path}`: one step on the agreement, returning it."""

    async def endpoint(
        agreement_id: AgreementId,
        body: Any,
        session: SessionDep,
        principal: PrincipalDep,
        now: NowDep,
        response: Response,
    ) -> AgreementOut:
        view = await call(
            session, principal=principal, agreement_id=agreement_id, now=now, **body.model_dump()
        )
        return _with_etag(view, response)

    endpoint.__annotations__["body"] = body_model
    success = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    router.add_api_route(
        f"/agreements/{{agreement_id}}/{path}",
        endpoint,
        methods=["POST"],
        name=name,
        response_model=AgreementOut,
        status_code=success,
        summary=summary,
        description=description,
        responses={success: {"headers": ETAG}, **problems(401, 403, 404, 422, *refusals)},
        dependencies=idempotency.CREATES if created else None,
    )


RULES_OF_THE_TERMS = (
    "R-FUND-AGREEMENT-MIN 第十条, R-TIME-TB-36M / R-TIME-AT-24M 第十六条, R-FUND-RATIO-CAP / "
    "R-FUND-ABS-CAP 第十一条, R-FUND-USE 第十三条, R-AGR-IP-TERMS 第十五条"
)

_step(
    "confirm",
    "confirm_agreement",
    EmptyIn,
    agreements_service.confirm,
    "Confirm the terms for one side",
    "A member of the demand or the supply side confirms for it (the department for an "
    "emergency listing's demand side; 403 for the department otherwise); the second side's "
    "confirmation makes the agreement `confirmed`. Refused with 422 `RULE_VIOLATION` while a "
    f"rule blocks the terms (each cited: {RULES_OF_THE_TERMS}); 409 when this side confirmed "
    "already.",
    409,
    *STEP_REFUSALS,
)
_step(
    "submit",
    "submit_agreement",
    EmptyIn,
    agreements_service.submit,
    "Submit the confirmed agreement to the department",
    "A member of either side, once both have confirmed (409 `INVALID_TRANSITION` before); "
    "the rules are evaluated again (422 `RULE_VIOLATION`).",
    409,
    *STEP_REFUSALS,
)
_step(
    "waivers",
    "waive_rule",
    WaiverIn,
    agreements_service.waive,
    "Waive an in-principle rule on an agreement",
    "Admin. Only R-FUND-AGREEMENT-MIN (第十条), R-TIME-TB-36M and R-TIME-AT-24M (第十六条) may "
    "be waived; the subsidy caps are lifted by a case-by-case decision. The waiver is audited "
    "and shows on the agreement (`waivers`, and its finding under `findings.waived`). 409 when "
    "the rule is waived already or the agreement is signed or annulled.",
    409,
    created=True,
)
_step(
    "case-by-case",
    "decide_case_by_case",
    DecisionIn,
    agreements_service.decide_case_by_case,
    "Record the case-by-case decision on the subsidy (admin)",
    "第十一条 (R-FUND-CASE-BY-CASE): an especially major project's subsidy is set by a "
    "recorded decision (一事一议) that lifts the caps R-FUND-RATIO-CAP and R-FUND-ABS-CAP; the "
    "subsidy still never exceeds the total R&D investment. Audited; shows as `case_by_case`. "
    "409 when recorded already or the agreement is signed or annulled.",
    409,
    created=True,
)
_step(
    "return",
    "return_agreement",
    ReasonIn,
    agreements_review.return_,
    "Return a submitted agreement to the sides (admin)",
    "The department sends a `submitted` agreement back (409 `INVALID_TRANSITION` otherwise) "
    "with its reason; both confirmations are cleared, the sides edit and confirm again.",
    ErrorCode.INVALID_TRANSITION,
)
_step(
    "approve",
    "approve_agreement",
    ApproveIn,
    agreements_review.approve,
    "Approve a submitted agreement and put it on public notice (admin)",
    "第九条（七）: the notice runs for the policy version's number of working days (5 unless "
    "the department changed it) of the PRC calendar, from the first working day after today "
    "(Asia/Shanghai); objections are taken until the end of its last day "
    "(`objections_close_at`). `publicity_calendar` says where each year's working days came "
    "from (`weekdays`: nobody knew the year's holidays, Monday to Friday were counted: the "
    "department records the year's notice under `/api/v1/calendar/{year}`). The rules are "
    "evaluated again (422 `RULE_VIOLATION`). `skip_notice` only for an emergency listing "
    "(R-WF-EM-SIMPLIFIED; 422 `RULE_VIOLATION` citing R-WF-PUBLICITY otherwise).",
    *STEP_REFUSALS,
)
_step(
    "abandon",
    "abandon_agreement",
    ReasonIn,
    agreements_review.abandon,
    "Annul an agreement not yet signed (admin)",
    "The department abandons the agreement with its reason: it becomes `annulled`, its "
    "application `unsuccessful`, and the next recommended application may negotiate; with no "
    "recommended application left, the listing fails (流榜). 409 `INVALID_TRANSITION` once "
    "signed or annulled.",
    ErrorCode.INVALID_TRANSITION,
)
