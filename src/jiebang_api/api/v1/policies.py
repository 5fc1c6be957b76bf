"""Policy versions: the parameters of the measures, with their effective dates."""

from __future__ import annotations

from fastapi import status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.policies import PolicyVersionIn, PolicyVersionList, PolicyVersionOut
from jiebang_api.policies import service as policies

router = StrictRouter(prefix="/policy-versions", tags=["meta"])


@router.get(
    "",
    response_model=PolicyVersionList,
    summary="List policy versions",
    description="Anonymous. Ratios, caps, durations and publicity length of the measures, "
    "newest effective date first (R-POLICY-VERSION); each project keeps the version it was "
    "decided under.",
)
async def list_policy_versions(session: SessionDep) -> PolicyVersionList:
    versions = await policies.list_all(session)
    return PolicyVersionList(items=[PolicyVersionOut.model_validate(v) for v in versions])


@router.post(
    "",
    response_model=PolicyVersionOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Add a policy version (admin)",
    description="A new set of parameters from its effective date on; one version per date "
    "(409 otherwise). Earlier decisions keep their version.",
    responses=problems(401, 403, 409, 422),
)
async def create_policy_version(
    body: PolicyVersionIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> PolicyVersionOut:
    version = await policies.create(session, principal=principal, data=body.model_dump(), now=now)
    return PolicyVersionOut.model_validate(version)
