"""Credentials for the region's S&T plan management system."""

from __future__ import annotations

from fastapi import status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.auth import (
    ServiceClientCreated,
    ServiceClientIn,
    ServiceClientOut,
)
from jiebang_api.auth import service as auth_service

router = StrictRouter(prefix="/service-clients", tags=["users"])


@router.post(
    "",
    response_model=ServiceClientCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Create a service client (admin)",
    description="Returns `client_id` and `client_secret` for the client-credentials grant. "
    "The secret is shown only in this response; the service keeps only its hash.",
    responses=problems(401, 403, 422),
)
async def create_service_client(
    body: ServiceClientIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> ServiceClientCreated:
    client, secret = await auth_service.create_service_client(
        session, principal=principal, name=body.name, now=now
    )
    return ServiceClientCreated(
        **ServiceClientOut.model_validate(client).model_dump(), client_secret=secret
    )
