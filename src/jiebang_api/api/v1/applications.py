"""Applications (揭榜申请) and the eligibility dry run."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, get_args

from fastapi import Path, Query, Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import ETAG, LOCATION, IfMatchDep, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.findings import EligibilityReportOut
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.schema_extras import labels_of, values
from jiebang_api.api.v1.params import ApplicationId, Cursor, Limit, ListingId, OrganizationId
from jiebang_api.api.v1.schemas.applications import (
    AcceptInvitationIn,
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationPatch,
    ApplicationStatusFilter,
    ConsortiumInvitationOut,
    ConsortiumInvitationPage,
    EligibilityCheckIn,
)
from jiebang_api.api.v1.schemas.listings import EmptyIn, OptionalReasonIn
from jiebang_api.applications import service as applications_service
from jiebang_api.applications import workflow as applications_workflow
from jiebang_api.applications.workflow import ApplicationStatus, ConsortiumAnswer
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.models import Application, Listing

router = StrictRouter(tags=["applications"])
INVALID_TRANSITION = ErrorCode.INVALID_TRANSITION
SUBMIT_REFUSALS = (
    INVALID_TRANSITION,
    ErrorCode.WINDOW_CLOSED,
    ErrorCode.MEMBERS_NOT_ACCEPTED,
    ErrorCode.ELIGIBILITY_FAILED,
)
MemberOrgId = Annotated[
    uuid.UUID, Path(description="The member organisation's id (invited to the consortium).")
]


def application_out(app: Application, listing: Listing, now: datetime) -> ApplicationOut:
    columns = {c.key: getattr(app, c.key) for c in Application.__table__.columns}
    columns["status"] = applications_service.effective_status(app, listing, now)
    columns["members"] = applications_workflow.members_of(app.members)
    return ApplicationOut.model_validate(columns)


def invitation_out(invitation: applications_service.Invitation) -> ConsortiumInvitationOut:
    app, listing, member = invitation.app, invitation.listing, invitation.member
    return ConsortiumInvitationOut(
        application_id=app.id,
        application_status=invitation.status,
        listing_id=listing.id,
        listing_code=listing.code,
        listing_title=listing.title,
        lead_org_id=app.lead_org_id,
        lead_org_name=invitation.lead_name,
        org_id=member["org_id"],
        role=member["role"],
        budget_share=member["budget_share"],
        consent=member["consent"],
        decided_by=member["decided_by"],
        decided_at=member["decided_at"],
    )


def _with_etag(
    app: Application, listing: Listing, now: datetime, response: Response
) -> ApplicationOut:
    response.headers["ETag"] = f'"{app.version}"'
    return application_out(app, listing, now)


@router.post(
    "/eligibility/check",
    response_model=EligibilityReportOut,
    summary="Check eligibility before applying (dry run)",
    description="Runs the rules about the parties (Art. 4, 15; R-ELIG-TB-SOLVER-TYPE, "
    "R-ELIG-NOT-SUBSIDIARY, R-ELIG-AT-SOLVER-ENTERPRISE, R-ELIG-NO-DISHONESTY, "
    "R-ELIG-PRIORITY) for a lead and members against a listing, and says why. Saves nothing "
    "and reveals nothing about other applicants. Any signed-in caller.",
    responses=problems(401, 404, 422),
)
async def check_eligibility(
    body: EligibilityCheckIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> EligibilityReportOut:
    report = await applications_service.check(
        session,
        principal=principal,
        listing_id=body.listing_id,
        lead_org_id=body.lead_org_id,
        member_org_ids=body.member_org_ids,
        now=now,
    )
    return EligibilityReportOut.model_validate(applications_service.report_as_dict(report))


@router.post(
    "/listings/{listing_id}/applications",
    response_model=ApplicationOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Draft an application to a listing",
    description="A member of the lead organisation drafts it, alone or with consortium members. "
    "The lead's and members' budget shares add up to 100; members are distinct existing "
    "organisations (422 at `body.members.<n>.org_id` otherwise) and the lead is not one of "
    "them. Each member is invited (`consent: invited`): a manager of it accepts or declines "
    "(R-APP-MEMBER-CONSENT). One live application per lead organisation per listing (409).",
    responses={201: {"headers": {**ETAG, **LOCATION}}, **problems(401, 403, 404, 409, 422)},
)
async def create_application(
    listing_id: ListingId,
    body: ApplicationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ApplicationOut:
    app, listing = await applications_service.create(
        session, principal=principal, listing_id=listing_id, data=body.data(), now=now
    )
    response.headers["Location"] = f"/api/v1/applications/{app.id}"
    return _with_etag(app, listing, now, response)


@router.get(
    "/applications",
    response_model=ApplicationPage,
    summary="List applications",
    description="Admin: all. Others: their organisations' applications, and the applications to "
    "their organisations' listings once the application window has ended (never before).",
    responses=problems(401, 422),
)
async def list_applications(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    listing_id: Annotated[
        uuid.UUID | None, Query(description="Only applications to this listing.")
    ] = None,
    status: Annotated[
        ApplicationStatusFilter | None,
        Query(
            description="Only this status (as of now).",
            json_schema_extra=values(
                labels_of(ApplicationStatus, get_args(ApplicationStatusFilter))
            ),
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ApplicationPage:
    page = await applications_service.list_(
        session,
        principal=principal,
        listing_id=listing_id,
        status=status,
        cursor=cursor,
        limit=limit,
        now=now,
    )
    items = [application_out(app, listing, now) for app, listing in page.items]
    return ApplicationPage(items=items, next_cursor=page.next_cursor)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="Read an application",
    description="The applicant's members and the department; the proposer's members only after "
    "the window has ended. Anyone else: 404.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def read_application(
    application_id: ApplicationId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ApplicationOut:
    app, listing = await applications_service.get(
        session, principal=principal, application_id=application_id, now=now
    )
    return _with_etag(app, listing, now, response)


@router.patch(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    summary="Edit a draft application",
    description="Only while `draft`, by a member of the lead organisation. Send `If-Match`. "
    "`members` is checked as on creation (the same 422 for an organisation that does not "
    "exist). A member added, or whose budget share changes, is invited afresh: its earlier "
    "answer no longer stands; a member kept on the same share keeps its answer.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 412, 422)},
)
async def update_application(
    application_id: ApplicationId,
    body: ApplicationPatch,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> ApplicationOut:
    app, listing = await applications_service.update(
        session,
        principal=principal,
        application_id=application_id,
        changes=body.changes(),
        expected_version=expected_version,
        now=now,
    )
    return _with_etag(app, listing, now, response)


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationOut,
    summary="Submit an application",
    description="Inside the listing's window only (409 `WINDOW_CLOSED` otherwise, R-LIST-WINDOW). "
    "Runs the eligibility engine (Art. 4–8, 15): any violation answers 422 "
    "`ELIGIBILITY_FAILED` listing all of them; the report is kept on the application. Then "
    "every consortium member must have accepted its invitation: 409 `MEMBERS_NOT_ACCEPTED` "
    "names each member still invited or that declined (R-APP-MEMBER-CONSENT; a member that "
    "declined must be removed).",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 412, 422, *SUBMIT_REFUSALS)},
)
async def submit_application(
    application_id: ApplicationId,
    body: EmptyIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> ApplicationOut:
    app, listing = await applications_service.submit(
        session,
        principal=principal,
        application_id=application_id,
        expected_version=expected_version,
        now=now,
    )
    return _with_etag(app, listing, now, response)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    summary="Withdraw an application",
    description="Before the listing's window closes.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 412, 422, INVALID_TRANSITION)},
)
async def withdraw_application(
    application_id: ApplicationId,
    body: EmptyIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> ApplicationOut:
    app, listing = await applications_service.withdraw(
        session,
        principal=principal,
        application_id=application_id,
        expected_version=expected_version,
        now=now,
    )
    return _with_etag(app, listing, now, response)


@router.get(
    "/organizations/{organization_id}/consortium-invitations",
    response_model=ConsortiumInvitationPage,
    summary="List an organisation's consortium invitations",
    description="The applications that name the organisation as a consortium member, oldest "
    "first, each with the listing, the lead, the application's status and the organisation's "
    "own role, budget share and answer; nothing of the other members, the plan or the "
    "declarations. For the organisation's managers (and the department); anyone else 403.",
    responses=problems(401, 403, 404, 422),
)
async def list_consortium_invitations(
    organization_id: OrganizationId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ConsortiumInvitationPage:
    page = await applications_service.invitations(
        session, principal=principal, org_id=organization_id, cursor=cursor, limit=limit, now=now
    )
    return ConsortiumInvitationPage(
        items=[invitation_out(i) for i in page.items], next_cursor=page.next_cursor
    )


ANSWER_REFUSALS = (401, 403, 404, 409, 422, INVALID_TRANSITION)


@router.post(
    "/applications/{application_id}/members/{org_id}/accept",
    response_model=ConsortiumInvitationOut,
    summary="Accept a consortium invitation",
    description="A manager of the member organisation accepts, for it, the role and budget "
    "share the invitation shows (R-APP-MEMBER-CONSENT), while the application is a draft. "
    "409 `CONFLICT` if the application is no longer a draft or the lead has changed the share "
    "since (send the share you accept); 409 `INVALID_TRANSITION` if it has already answered. "
    "Whoever may read the application but does not manage the member: 403; anyone else: 404.",
    responses=problems(*ANSWER_REFUSALS),
)
async def accept_invitation(
    application_id: ApplicationId,
    org_id: MemberOrgId,
    body: AcceptInvitationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ConsortiumInvitationOut:
    invitation = await applications_service.answer_invitation(
        session,
        principal=principal,
        application_id=application_id,
        org_id=org_id,
        answer=ConsortiumAnswer.ACCEPT,
        budget_share=body.budget_share,
        reason=None,
        now=now,
    )
    return invitation_out(invitation)


@router.post(
    "/applications/{application_id}/members/{org_id}/decline",
    response_model=ConsortiumInvitationOut,
    summary="Decline a consortium invitation",
    description="A manager of the member organisation declines, for it (or takes back its "
    "acceptance), while the application is a draft; the reason goes into the audit trail. "
    "The application cannot be submitted until the lead removes the member "
    "(R-APP-MEMBER-CONSENT). 409 `CONFLICT` if the application is no longer a draft; 409 "
    "`INVALID_TRANSITION` if it has already declined. Whoever may read the application but "
    "does not manage the member: 403; anyone else: 404.",
    responses=problems(*ANSWER_REFUSALS),
)
async def decline_invitation(
    application_id: ApplicationId,
    org_id: MemberOrgId,
    body: OptionalReasonIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> ConsortiumInvitationOut:
    invitation = await applications_service.answer_invitation(
        session,
        principal=principal,
        application_id=application_id,
        org_id=org_id,
        answer=ConsortiumAnswer.DECLINE,
        budget_share=None,
        reason=body.reason,
        now=now,
    )
    return invitation_out(invitation)
