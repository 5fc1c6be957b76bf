"""Changes to a project (第十六条): extension or termination for force majeure, with both
sides' consent and the department's approval; the special audit of a terminating project,
the recovery of its subsidy and the department's write-off."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Limit, ProjectId
from jiebang_api.api.v1.schemas.changes import (
    ChangeApprovalIn,
    ChangeRejectionIn,
    ChangeRequestIn,
    ChangeRequestOut,
    ChangeRequestPage,
    RecoveryIn,
    RecoveryOut,
    RecoveryPaymentOut,
    SpecialAuditIn,
    SpecialAuditOut,
    WriteOffIn,
    WriteOffOut,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.projects import audits, changes
from jiebang_api.projects.workflow import ProjectStatus

router = StrictRouter(tags=["projects"])

ChangeRequestId = Annotated[uuid.UUID, Path(description="The change request's id.")]


def _recovery_out(found: audits.RecoveryView) -> RecoveryOut:
    audit = found.audit
    write_off = None
    if audit is not None and audit.written_off is not None and audit.written_off_at is not None:
        write_off = WriteOffOut(
            amount=audit.written_off,
            reason=audit.write_off_reason or "",
            document_ref=audit.write_off_document_ref or "",
            decided_by=audit.written_off_by,
            decided_at=audit.written_off_at,
        )
    return RecoveryOut(
        project_id=found.project.id,
        status=ProjectStatus(found.project.status),
        special_audit=SpecialAuditOut.model_validate(audit) if audit else None,
        recovery_due=audit.recovery_due if audit else None,
        recovered=found.recovered,
        outstanding=found.outstanding,
        written_off=audit.written_off if audit else None,
        write_off=write_off,
        recoveries=[RecoveryPaymentOut.model_validate(r) for r in found.recoveries],
    )


@router.post(
    "/projects/{project_id}/change-requests",
    response_model=ChangeRequestOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Ask to extend or terminate a project (either side)",
    description="R-CHG-FORCE-MAJEURE (第十六条): a project is extended or terminated only for "
    "force majeure (`reason_category` `other` is 422 `RULE_VIOLATION` citing it), with the "
    "consent of both sides and the department's approval. A member of either side files; "
    "the department files for the demand side of an emergency project, which it stands for "
    "(403 for any other reader; 404 for anyone who may not read the project). The filing side "
    "consents by filing. An extension names its new end date, after the current one; a "
    "termination none (422 at `new_end_on`). Only while the project is `in_progress`, and one "
    "open request per project (409).",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.RULE_VIOLATION),
    },
)
async def file_change_request(
    project_id: ProjectId,
    body: ChangeRequestIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ChangeRequestOut:
    request = await changes.file(
        session, principal=principal, project_id=project_id, data=dict(body), now=now
    )
    response.headers["Location"] = f"/api/v1/change-requests/{request.id}"
    return ChangeRequestOut.model_validate(request)


@router.get(
    "/projects/{project_id}/change-requests",
    response_model=ChangeRequestPage,
    summary="A project's change requests",
    description="Oldest first; continue with `next_cursor`. The department, the members of "
    "either side and the project's entrusted agencies (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def list_change_requests(
    project_id: ProjectId,
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ChangeRequestPage:
    page = await changes.page(
        session, principal=principal, project_id=project_id, cursor=cursor, limit=limit
    )
    return ChangeRequestPage(
        items=[ChangeRequestOut.model_validate(r) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/change-requests/{change_request_id}",
    response_model=ChangeRequestOut,
    summary="Read a change request",
    description="The readers of its project (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def get_change_request(
    change_request_id: ChangeRequestId, session: SessionDep, principal: PrincipalDep
) -> ChangeRequestOut:
    request = await changes.get(session, principal=principal, change_request_id=change_request_id)
    return ChangeRequestOut.model_validate(request)


@router.post(
    "/change-requests/{change_request_id}/consent",
    response_model=ChangeRequestOut,
    summary="Consent to a change request (the other side)",
    description="R-CHG-FORCE-MAJEURE: a member of the side that did not file consents; the "
    "request then awaits the department's approval. The filing side consented by filing and "
    "gets 403, as does any other reader of the project (404 for anyone else). 409 "
    "`INVALID_TRANSITION` once the request no longer awaits consent (an emergency project's "
    "request filed by the supply side never does: the department's approval is the demand "
    "side's consent).",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
)
async def consent_change_request(
    change_request_id: ChangeRequestId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> ChangeRequestOut:
    request = await changes.consent(
        session, principal=principal, change_request_id=change_request_id, now=now
    )
    return ChangeRequestOut.model_validate(request)


@router.post(
    "/change-requests/{change_request_id}/approve",
    response_model=ChangeRequestOut,
    summary="Approve a change request (admin)",
    description="R-CHG-FORCE-MAJEURE: after both sides agree (409 `CONFLICT` citing it "
    "before the other side's consent; 409 `INVALID_TRANSITION` once decided). An extension "
    "moves the project's end date (`project.extend` in its history, with `from_end_on` and "
    "`to_end_on`); a termination moves the project to `terminating`, which freezes its "
    "disbursements until the special audit and the recovery. 409 `INVALID_TRANSITION` where "
    "the project's state no longer allows it (an extension of a suspended project).",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
)
async def approve_change_request(
    change_request_id: ChangeRequestId,
    body: ChangeApprovalIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ChangeRequestOut:
    request = await changes.approve(
        session,
        principal=principal,
        change_request_id=change_request_id,
        reason=body.reason,
        now=now,
    )
    return ChangeRequestOut.model_validate(request)


@router.post(
    "/change-requests/{change_request_id}/reject",
    response_model=ChangeRequestOut,
    summary="Reject a change request (admin)",
    description="The department rejects an open request, consented to or not, with its "
    "reason (409 `INVALID_TRANSITION` once decided). The project is unchanged.",
    responses=problems(401, 403, 404, 409, 422, ErrorCode.INVALID_TRANSITION),
)
async def reject_change_request(
    change_request_id: ChangeRequestId,
    body: ChangeRejectionIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ChangeRequestOut:
    request = await changes.reject(
        session,
        principal=principal,
        change_request_id=change_request_id,
        reason=body.reason,
        now=now,
    )
    return ChangeRequestOut.model_validate(request)


@router.post(
    "/projects/{project_id}/special-audits",
    response_model=RecoveryOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Record the special audit of a terminating project",
    description="R-CHG-TERMINATION-AUDIT (第十六条): the department, or an agency entrusted "
    "with the audit (403 citing R-MGMT-AGENCY, 第十四条, for another reader; 404 for anyone "
    "who may not read the project), once (409 after), on a `terminating` project (409 citing "
    "R-CHG-TERMINATION-AUDIT otherwise). `recovery_due` = max(0, disbursed − "
    "`audited_eligible_spending`); with nothing due the project is `terminated` at once.",
    responses={201: {"headers": LOCATION}, **problems(401, 403, 404, 409, 422)},
)
async def record_special_audit(
    project_id: ProjectId,
    body: SpecialAuditIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> RecoveryOut:
    found = await audits.record_audit(
        session,
        principal=principal,
        project_id=project_id,
        audited_eligible_spending=body.audited_eligible_spending,
        auditor=body.auditor,
        report_attachment_id=body.report_attachment_id,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/recovery"
    return _recovery_out(found)


@router.post(
    "/projects/{project_id}/recoveries",
    response_model=RecoveryOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.MOVES_MONEY,
    summary="Record a recovery of subsidy (admin)",
    description="R-CHG-TERMINATION-AUDIT: after the special audit (409 citing it before, or "
    "once the project is no longer `terminating`), the recipient's repayment with its proof: "
    "above 0 and at most what is still outstanding (422 `RULE_VIOLATION` citing it). When "
    "the recovered sum reaches `recovery_due` the project is `terminated`. Concurrent "
    "requests take turns on the project and never recover more than is due.",
    responses={
        201: {"headers": LOCATION},
        **problems(401, 403, 404, 409, 422, ErrorCode.RULE_VIOLATION),
    },
)
async def record_recovery(
    project_id: ProjectId,
    body: RecoveryIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> RecoveryOut:
    found = await audits.recover(
        session,
        principal=principal,
        project_id=project_id,
        amount=body.amount,
        paid_on=body.paid_on,
        proof_attachment_id=body.proof_attachment_id,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/projects/{project_id}/recovery"
    return _recovery_out(found)


@router.post(
    "/projects/{project_id}/recovery-write-off",
    response_model=RecoveryOut,
    summary="Write off a recovery that cannot be completed (admin)",
    description="R-CHG-TERMINATION-AUDIT, a reading: 第十六条 says the remaining subsidy is "
    "recovered; the department may close a recovery it cannot complete (the recipient's "
    "insolvency, say) only by an audited decision with its reason and document. After the "
    "special audit, while the project is `terminating` (409 citing the rule otherwise): what "
    "is outstanding is recorded as written off and the project is `terminated`.",
    responses=problems(401, 403, 404, 409, 422),
)
async def write_off_recovery(
    project_id: ProjectId,
    body: WriteOffIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> RecoveryOut:
    found = await audits.write_off(
        session,
        principal=principal,
        project_id=project_id,
        reason=body.reason,
        document_ref=body.document_ref,
        now=now,
    )
    return _recovery_out(found)


@router.get(
    "/projects/{project_id}/recovery",
    response_model=RecoveryOut,
    summary="Where the recovery of a project's subsidy stands",
    description="The special audit, what is due, recovered, outstanding and written off, and "
    "the recoveries (R-CHG-TERMINATION-AUDIT). The department, the members of either side "
    "and the project's entrusted agencies (404 for anyone else).",
    responses=problems(401, 404, 422),
)
async def project_recovery(
    project_id: ProjectId, session: SessionDep, principal: PrincipalDep
) -> RecoveryOut:
    return _recovery_out(await audits.view(session, principal=principal, project_id=project_id))
