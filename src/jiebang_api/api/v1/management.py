"""The department's management of a project: entrusting it to an agency (第十四条), its
acceptance (第十二条, 第十四条) and misconduct cases (第十七条)."""

from __future__ import annotations

from fastapi import Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import EntrustmentId, MisconductCaseId, ProjectId
from jiebang_api.api.v1.schemas.management import (
    AcceptanceOut,
    AcceptanceRequestIn,
    AcceptanceResultIn,
    EntrustmentIn,
    EntrustmentList,
    EntrustmentOut,
    MisconductCaseIn,
    MisconductCaseList,
    MisconductCaseOut,
    MisconductCloseIn,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.models import Acceptance, Entrustment
from jiebang_api.projects import acceptance, entrustments, integrity

router = StrictRouter(tags=["projects"])


def entrustment_out(found: Entrustment) -> EntrustmentOut:
    return EntrustmentOut.model_validate(
        {
            "id": found.id,
            "project_id": found.project_id,
            "agency_org_id": found.agency_org_id,
            "scope": found.scope,
            "active": found.revoked_at is None,
            "created_by": found.created_by,
            "created_at": found.created_at,
            "revoked_at": found.revoked_at,
            "revoked_by": found.revoked_by,
        }
    )


@router.post(
    "/projects/{project_id}/entrustments",
    response_model=EntrustmentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Entrust a project to an agency (admin)",
    description="第十四条: the department may entrust a third-party agency with part of a "
    "project's management: reviewing its reports (`reports`), organising its acceptance "
    "(`acceptance`), its special audit (`audit`). The agency's members then read the project "
    "and act within that scope only (R-MGMT-AGENCY; 403 outside it). The organisation must "
    "be of type `agency` (422 at `body.agency_org_id`); one live entrustment per agency "
    "(409; revoke it to change the scope); none on a completed, closed or terminated project "
    "(409).",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422),
    },
)
async def entrust_project(
    project_id: ProjectId,
    body: EntrustmentIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> EntrustmentOut:
    found = await entrustments.entrust(
        session,
        principal=principal,
        project_id=project_id,
        agency_org_id=body.agency_org_id,
        scope=body.scope,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/entrustments"
    return entrustment_out(found)


@router.get(
    "/projects/{project_id}/entrustments",
    response_model=EntrustmentList,
    summary="A project's entrustments",
    description="Oldest first, revoked ones too (`active` false). Whoever reads the project: "
    "the department, the members of either side and of its entrusted agencies (404 for "
    "anyone else).",
    responses=problems(401, 404, 422),
)
async def list_entrustments(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> EntrustmentList:
    found = await entrustments.of_project(session, principal=principal, project_id=project_id)
    return EntrustmentList(items=[entrustment_out(e) for e in found])


@router.delete(
    "/projects/{project_id}/entrustments/{entrustment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an entrustment (admin)",
    description="The agency no longer acts on the project; the entrustment stays listed as "
    "revoked (409 when it is already). 404 for an entrustment of another project.",
    responses=problems(401, 403, 404, 409, 422),
)
async def revoke_entrustment(
    project_id: ProjectId,
    entrustment_id: EntrustmentId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> Response:
    await entrustments.revoke(
        session,
        principal=principal,
        project_id=project_id,
        entrustment_id=entrustment_id,
        now=now,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def acceptance_out(found: Acceptance) -> AcceptanceOut:
    return AcceptanceOut.model_validate(
        {
            "id": found.id,
            "project_id": found.project_id,
            "status": found.outcome or "requested",
            "summary": found.summary,
            "attachment_ids": found.attachment_ids,
            "requested_by": found.requested_by,
            "requested_at": found.requested_at,
            "method": found.method,
            "score": found.score,
            "comments": found.comments,
            "result_attachment_ids": found.result_attachment_ids or [],
            "decided_by": found.decided_by,
            "decided_at": found.decided_at,
        }
    )


@router.post(
    "/projects/{project_id}/acceptance",
    response_model=AcceptanceOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Request a project's acceptance (the demand side)",
    description="A member of the demand side (the department for an emergency project, "
    "where it stands for that side; 403 for the other side) asks for the acceptance of a "
    "project `in_progress` (409 `INVALID_TRANSITION` otherwise), once its reports are up to "
    "date (409 `CONFLICT` listing what is outstanding: each milestone not met, each report "
    "returned for revision). The project becomes `acceptance_requested`.",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
    },
)
async def request_acceptance(
    project_id: ProjectId,
    body: AcceptanceRequestIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> AcceptanceOut:
    found = await acceptance.request(
        session, principal=principal, project_id=project_id, data=dict(body), now=now
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/acceptance"
    return acceptance_out(found)


@router.get(
    "/projects/{project_id}/acceptance",
    response_model=AcceptanceOut,
    summary="A project's acceptance",
    description="The request and, once recorded, the result. Whoever reads the project (404 "
    "for anyone else, and before acceptance is requested).",
    responses=problems(401, 404, 422),
)
async def project_acceptance(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> AcceptanceOut:
    found = await acceptance.of_project(session, principal=principal, project_id=project_id)
    return acceptance_out(found)


@router.post(
    "/projects/{project_id}/acceptance/result",
    response_model=AcceptanceOut,
    summary="Record the acceptance result (admin or entrusted agency)",
    description="The department, or an agency entrusted with `acceptance` (R-MGMT-AGENCY, "
    "第十四条; 403 otherwise), records the acceptance or performance evaluation of a project "
    "whose acceptance is requested (409 `INVALID_TRANSITION` otherwise). `passed`: the "
    "project is `accepted` and the rest of the subsidy may be paid "
    "(R-DISB-FINAL-AFTER-ACCEPTANCE, 第十二条), which then completes it. `failed`: the "
    "project is closed without it.",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
)
async def record_acceptance_result(
    project_id: ProjectId,
    body: AcceptanceResultIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> AcceptanceOut:
    found = await acceptance.decide(
        session, principal=principal, project_id=project_id, data=dict(body), now=now
    )
    return acceptance_out(found)


@router.post(
    "/projects/{project_id}/misconduct-cases",
    response_model=MisconductCaseOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Open a misconduct case on a project (admin)",
    description="第十七条: suspected fraud or collusion to obtain the subsidy is investigated. "
    "While a case is open the project is `suspended` and no tranche is paid (409 citing "
    "R-INTEG-MISCONDUCT, a reading). 409 `INVALID_TRANSITION` on a project already "
    "finished. The department only (403 for the project's other readers).",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
    },
)
async def open_misconduct_case(
    project_id: ProjectId,
    body: MisconductCaseIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> MisconductCaseOut:
    found = await integrity.open_case(
        session,
        principal=principal,
        project_id=project_id,
        allegation=body.allegation,
        source=body.source,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/misconduct-cases"
    return MisconductCaseOut.model_validate(found)


@router.get(
    "/projects/{project_id}/misconduct-cases",
    response_model=MisconductCaseList,
    summary="A project's misconduct cases (admin)",
    description="Oldest first. The department only: the project's other readers see it "
    "`suspended`, not the allegations (403; 404 for anyone who may not read the project).",
    responses=problems(401, 403, 404, 422),
)
async def list_misconduct_cases(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> MisconductCaseList:
    found = await integrity.of_project(session, principal=principal, project_id=project_id)
    return MisconductCaseList(items=[MisconductCaseOut.model_validate(c) for c in found])


@router.post(
    "/misconduct-cases/{case_id}/close",
    response_model=MisconductCaseOut,
    summary="Close a misconduct case (admin)",
    description="`cleared` or `sanctioned`, with the reason (409 when closed already). A "
    "sanction may record a serious-dishonesty record on a party of the project (the "
    "recipient unless `org_id` names another; 422 otherwise, and with `cleared`), which "
    "R-ELIG-NO-DISHONESTY then enforces at every submission, signing and disbursement. "
    "The last open case closed, the project returns to the state it was suspended from.",
    responses=problems(401, 403, 404, 409, 422),
)
async def close_misconduct_case(
    case_id: MisconductCaseId,
    body: MisconductCloseIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> MisconductCaseOut:
    data = body.model_dump()
    data["credit_record"] = dict(body.credit_record) if body.credit_record else None
    found = await integrity.close_case(
        session, principal=principal, case_id=case_id, data=data, now=now
    )
    return MisconductCaseOut.model_validate(found)
