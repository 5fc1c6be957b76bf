"""Organisations, their members and credit records."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import ETAG, LOCATION, IfMatchDep, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Limit, OrganizationId, UserId
from jiebang_api.api.v1.schemas.base import NO_NUL
from jiebang_api.api.v1.schemas.organizations import (
    AuditEntryOut,
    CreditRecordIn,
    CreditRecordList,
    CreditRecordOut,
    HistoryOut,
    MemberList,
    MemberOut,
    OrganizationIn,
    OrganizationMemberIn,
    OrganizationOut,
    OrganizationPage,
    OrganizationPatch,
    ParentClaimList,
    ParentClaimOut,
    VerifyIn,
)
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.models import Organization
from jiebang_api.organizations import service as organizations_service
from jiebang_api.organizations.enums import OrganizationType
from jiebang_api.organizations.service import Member

router = StrictRouter(prefix="/organizations", tags=["organizations"])

ClaimantId = Annotated[
    uuid.UUID,
    Path(description="The id of the organisation that names `organization_id` as its parent."),
]


def _out(org: Organization, response: Response) -> OrganizationOut:
    response.headers["ETag"] = f'"{org.version}"'
    return OrganizationOut.of(org)


def _member(member: Member) -> MemberOut:
    m, user = member.membership, member.user
    return MemberOut(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=m.role,
        status=m.status,
        since=m.created_at,
    )


@router.post(
    "",
    response_model=OrganizationOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Register an organisation",
    description="The caller becomes its manager. The USCC is checked (R-ORG-USCC): 18 "
    "characters, valid check digit; its region code gives `in_region`. Flags are self-declared "
    "until the department verifies them. A USCC already registered answers 409. A "
    "`parent_org_id` the caller does not manage (the department may name any) is a claim: it "
    "is `pending_parent_org_id`, and `parent_org_id` stays null until the parent's managers "
    "accept (`accept_subsidiary_claim`).",
    responses={
        201: {"headers": {**ETAG, **LOCATION}},
        **problems(401, 403, 409, 422, ErrorCode.RULE_VIOLATION),
    },
)
async def create_organization(
    body: OrganizationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.create(
        session, principal=principal, data=body.model_dump(), now=now
    )
    response.headers["Location"] = f"/api/v1/organizations/{org.id}"
    return _out(org, response)


@router.get(
    "",
    response_model=OrganizationPage,
    summary="List organisations",
    description="Signed-in callers. `q` matches name or USCC; results in registration order, "
    "`limit` per page (1–100), continue with `next_cursor`.",
    responses=problems(401, 422),
)
async def list_organizations(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL, description="Words in the name or the USCC."),
    ] = None,
    type: Annotated[OrganizationType | None, Query(description="Only this type.")] = None,
    verified: Annotated[
        bool | None, Query(description="Only verified (true) or unverified (false) ones.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> OrganizationPage:
    page = await organizations_service.list_(
        session, principal=principal, q=q, type_=type, verified=verified, cursor=cursor, limit=limit
    )
    return OrganizationPage(
        items=[OrganizationOut.of(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{organization_id}",
    response_model=OrganizationOut,
    summary="Read an organisation",
    description="Signed-in callers. The `ETag` header carries the version for `If-Match`.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def read_organization(
    organization_id: OrganizationId,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.get(session, principal=principal, org_id=organization_id)
    return _out(org, response)


@router.patch(
    "/{organization_id}",
    response_model=OrganizationOut,
    summary="Edit an organisation (its manager or admin)",
    description="Only the given fields change. A changed flag loses its verification; a changed "
    "name, USCC, type or parent loses all of it (`verified` false, no verified flags). "
    "`parent_org_id`: null detaches at once (no consent needed) and drops a pending claim; a "
    "parent the caller manages (the department: any) is set at once; any other is claimed "
    "(`pending_parent_org_id`), and `parent_org_id` stays until the parent's managers accept. "
    "Naming the organisation itself or one of its subsidiaries answers 409. Send `If-Match` "
    "with the `ETag` you read: a stale one answers 412.",
    responses={
        200: {"headers": ETAG},
        **problems(401, 403, 404, 409, 412, 422, ErrorCode.RULE_VIOLATION),
    },
)
async def update_organization(
    organization_id: OrganizationId,
    body: OrganizationPatch,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> OrganizationOut:
    org = await organizations_service.update(
        session,
        principal=principal,
        org_id=organization_id,
        changes=body.changes(),
        expected_version=expected_version,
        now=now,
    )
    return _out(org, response)


@router.get(
    "/{organization_id}/subsidiary-claims",
    response_model=ParentClaimList,
    summary="List claims to be a subsidiary (members or admin)",
    description="The organisations that name this one as their parent and await its answer, "
    "oldest claim first. Its managers (or the department) accept or decline each.",
    responses=problems(401, 403, 404, 422),
)
async def list_subsidiary_claims(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep
) -> ParentClaimList:
    claimants = await organizations_service.parent_claims(
        session, principal=principal, org_id=organization_id
    )
    return ParentClaimList(items=[_claim(o) for o in claimants])


def _claim(org: Organization) -> ParentClaimOut:
    # A pending claim always has its instant (a check constraint of the table).
    return ParentClaimOut.model_validate(
        {
            "organization_id": org.id,
            "organization_name": org.name,
            "uscc": org.uscc,
            "type": org.type,
            "parent_org_id": org.parent_org_id,
            "claimed_at": org.parent_claimed_at,
        }
    )


@router.post(
    "/{organization_id}/subsidiary-claims/{claimant_id}/accept",
    response_model=OrganizationOut,
    summary="Accept a claim to be a subsidiary (manager or admin)",
    description="The claimant's `parent_org_id` becomes this organisation (the ownership tree "
    "is checked: a cycle answers 409) and, being a change of its parent, the claimant loses "
    "its verification. Answers the claimant. Only the two organisations' members and the "
    "department know of a claim (anyone else: 404); only this organisation's managers and the "
    "department answer it (403). A claim accepted already answers 409: of two concurrent "
    "accepts, one succeeds and the other gets 409.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def accept_subsidiary_claim(
    organization_id: OrganizationId,
    claimant_id: ClaimantId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.accept_parent_claim(
        session, principal=principal, parent_id=organization_id, claimant_id=claimant_id, now=now
    )
    return _out(org, response)


@router.post(
    "/{organization_id}/subsidiary-claims/{claimant_id}/decline",
    response_model=OrganizationOut,
    summary="Decline a claim to be a subsidiary (manager or admin)",
    description="The claim goes; the claimant's `parent_org_id` stays as it is. Answers the "
    "claimant. Who may know of and answer a claim: as for accepting (404, 403); a claim "
    "accepted already answers 409.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def decline_subsidiary_claim(
    organization_id: OrganizationId,
    claimant_id: ClaimantId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.decline_parent_claim(
        session, principal=principal, parent_id=organization_id, claimant_id=claimant_id, now=now
    )
    return _out(org, response)


@router.post(
    "/{organization_id}/parent-claim/withdraw",
    response_model=OrganizationOut,
    summary="Withdraw the organisation's parent claim (manager or admin)",
    description="Drops the pending claim (`pending_parent_org_id`) before the named parent "
    "answers it; `parent_org_id` stays. No pending claim answers 409.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def withdraw_parent_claim(
    organization_id: OrganizationId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.withdraw_parent_claim(
        session, principal=principal, org_id=organization_id, now=now
    )
    return _out(org, response)


@router.post(
    "/{organization_id}/verify",
    response_model=OrganizationOut,
    summary="Verify an organisation or some of its flags (admin)",
    description="`{}` verifies the organisation and the current value of every flag; "
    '`{"flags": [...]}` verifies only those flags.',
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 422)},
)
async def verify_organization(
    organization_id: OrganizationId,
    body: VerifyIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    org = await organizations_service.verify(
        session, principal=principal, org_id=organization_id, only=body.flags, now=now
    )
    return _out(org, response)


@router.get(
    "/{organization_id}/members",
    response_model=MemberList,
    summary="List members (members or admin)",
    description="The organisation's users, their role (`manager` or `member`) and status: "
    "`invited` until the user accepts (no access until then), else `accepted`.",
    responses=problems(401, 403, 404, 422),
)
async def list_members(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep
) -> MemberList:
    found = await organizations_service.members(
        session, principal=principal, org_id=organization_id
    )
    return MemberList(items=[_member(m) for m in found])


@router.post(
    "/{organization_id}/members",
    response_model=MemberOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Invite a member (manager or admin)",
    description="Invites a registered user by username, as `member` (default) or `manager`. "
    "The membership is `invited`, and gives no access, until the user accepts it "
    "(`POST /api/v1/me/invitations/{organization_id}/accept`) or declines it. A user already "
    "invited or a member answers 409.",
    responses=problems(401, 403, 404, 409, 422),
)
async def add_member(
    organization_id: OrganizationId,
    body: OrganizationMemberIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> MemberOut:
    member = await organizations_service.add_member(
        session,
        principal=principal,
        org_id=organization_id,
        username=body.username,
        role=body.role,
        now=now,
    )
    return _member(member)


@router.delete(
    "/{organization_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member or cancel an invitation (manager or admin)",
    description="Removes an accepted member, or cancels an invitation not yet accepted. The "
    "last accepted manager cannot be removed (409).",
    responses={204: {"description": "Removed."}, **problems(401, 403, 404, 409, 422)},
)
async def remove_member(
    organization_id: OrganizationId,
    user_id: UserId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> Response:
    await organizations_service.remove_member(
        session, principal=principal, org_id=organization_id, user_id=user_id, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{organization_id}/credit-records",
    response_model=CreditRecordOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Record serious dishonesty (admin)",
    description="A serious-dishonesty record binds from `starts_on` through `ends_on` "
    "(inclusive; open-ended when null). While it binds, the organisation may not propose, "
    "apply, sign or be paid (R-ELIG-NO-DISHONESTY, 第十五条).",
    responses=problems(401, 403, 404, 422),
)
async def add_credit_record(
    organization_id: OrganizationId,
    body: CreditRecordIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> CreditRecordOut:
    record = await organizations_service.add_credit_record(
        session, principal=principal, org_id=organization_id, data=body.model_dump(), now=now
    )
    return CreditRecordOut.model_validate(record)


@router.get(
    "/{organization_id}/credit-records",
    response_model=CreditRecordList,
    summary="List credit records (admin)",
    description="Every credit record of the organisation, oldest first.",
    responses=problems(401, 403, 404, 422),
)
async def list_credit_records(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep
) -> CreditRecordList:
    records = await organizations_service.credit_records(
        session, principal=principal, org_id=organization_id
    )
    return CreditRecordList(items=[CreditRecordOut.model_validate(r) for r in records])


@router.get(
    "/{organization_id}/history",
    response_model=HistoryOut,
    summary="Audit history (members or admin)",
    description="Every recorded change of the organisation, oldest first, with actor and time.",
    responses=problems(401, 403, 404, 422),
)
async def organization_history(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    entries = await organizations_service.history(
        session, principal=principal, org_id=organization_id
    )
    return HistoryOut(items=[AuditEntryOut.model_validate(e) for e in entries])
