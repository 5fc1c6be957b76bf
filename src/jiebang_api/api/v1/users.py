"""Accounts made by the department, and the caller's own account."""

from __future__ import annotations

from fastapi import Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import OrganizationId
from jiebang_api.api.v1.schemas.auth import (
    MembershipOut,
    MeOut,
    ServiceClientOut,
    UserCreateIn,
    UserOut,
)
from jiebang_api.api.v1.schemas.organizations import InvitationList, InvitationOut
from jiebang_api.auth import service as auth_service
from jiebang_api.auth.roles import Role
from jiebang_api.organizations import service as organizations_service
from jiebang_api.organizations.service import Invitation

router = StrictRouter(tags=["users"])


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Create an account with roles (admin)",
    description="The department creates accounts for administrators, experts and agencies. "
    "Experts carry `affiliation_org_id` for conflict-of-interest checks.",
    responses=problems(401, 403, 409, 422),
)
async def create_user(
    body: UserCreateIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> UserOut:
    data = body.model_dump()
    data["roles"] = frozenset(Role(r) for r in data["roles"])
    user = await auth_service.create_user(session, principal=principal, now=now, **data)
    return UserOut.model_validate(user)


@router.get(
    "/me",
    response_model=MeOut,
    summary="Who am I",
    description="The signed-in account, its roles and its organisation memberships (accepted "
    "ones; invitations not yet accepted are at `GET /api/v1/me/invitations`).",
    responses=problems(401),
)
async def read_me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    account, memberships = await auth_service.me(session, principal=principal)
    is_user = principal.user_id is not None
    return MeOut(
        kind="user" if is_user else "service",
        user=UserOut.model_validate(account) if is_user else None,
        service_client=None if is_user else ServiceClientOut.model_validate(account),
        roles=sorted(r.value for r in principal.roles),
        memberships=[
            MembershipOut(
                organization_id=m.organization_id,
                organization_name=m.organization_name,
                role=m.role,
            )
            for m in memberships
        ],
    )


def _invitation(invitation: Invitation) -> InvitationOut:
    m, org = invitation.membership, invitation.organization
    return InvitationOut(
        organization_id=org.id,
        organization_name=org.name,
        role=m.role,
        status=m.status,
        invited_at=m.created_at,
    )


@router.get(
    "/me/invitations",
    response_model=InvitationList,
    summary="My invitations to join organisations",
    description="The organisations that invited the signed-in user and await the answer, "
    "oldest first (a service client has none). An invitation gives no access until accepted.",
    responses=problems(401),
)
async def list_my_membership_invitations(
    session: SessionDep, principal: PrincipalDep
) -> InvitationList:
    found = await organizations_service.invitations(session, principal=principal)
    return InvitationList(items=[_invitation(i) for i in found])


@router.post(
    "/me/invitations/{organization_id}/accept",
    response_model=InvitationOut,
    summary="Accept an invitation to join an organisation",
    description="The signed-in user becomes a member of the organisation, in the invited role "
    "(status `accepted`). No invitation of the caller's answers 404; one accepted already 409 "
    "(of two concurrent accepts, one succeeds and the other gets 409); a service client 403.",
    responses=problems(401, 403, 404, 409, 422),
)
async def accept_membership_invitation(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> InvitationOut:
    invitation = await organizations_service.accept_invitation(
        session, principal=principal, org_id=organization_id, now=now
    )
    return _invitation(invitation)


@router.post(
    "/me/invitations/{organization_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Decline an invitation to join an organisation",
    description="The invitation goes; the organisation may invite again. No invitation of the "
    "caller's answers 404; one accepted already 409 (a manager removes members); a service "
    "client 403.",
    responses={204: {"description": "Declined."}, **problems(401, 403, 404, 409, 422)},
)
async def decline_membership_invitation(
    organization_id: OrganizationId, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> Response:
    await organizations_service.decline_invitation(
        session, principal=principal, org_id=organization_id, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
