"""Accounts made by the department, and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, status

from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRoute
from jiebang_api.api.v1.schemas.auth import (
    MembershipOut,
    MeOut,
    ServiceClientOut,
    UserCreateIn,
    UserOut,
)
from jiebang_api.auth import service as auth_service
from jiebang_api.auth.roles import Role
from jiebang_api.models import User

router = APIRouter(tags=["users"], route_class=StrictRoute)


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
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
    description="The signed-in account, its roles and its organisation memberships.",
    responses=problems(401),
)
async def read_me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    account, memberships = await auth_service.me(session, principal=principal)
    is_user = isinstance(account, User)
    return MeOut(
        kind="user" if is_user else "service",
        user=UserOut.model_validate(account) if is_user else None,
        service_client=None if is_user else ServiceClientOut.model_validate(account),
        roles=sorted(r.value for r in principal.roles),
        memberships=[
            MembershipOut(organization_id=o.id, organization_name=o.name, role=m.role)
            for m, o in memberships
        ],
    )
