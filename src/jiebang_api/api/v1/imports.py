"""Imports from the plan management system: idempotent upserts of organisations, listings and
applications by its service client (role `integration`), on behalf of the organisation each
names (`integration.imports`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from jiebang_api.api.deps import ETAG, LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.applications import SUBMIT_REFUSALS, application_out
from jiebang_api.api.v1.listings import listing_out
from jiebang_api.api.v1.schemas.applications import ApplicationOut
from jiebang_api.api.v1.schemas.imports import ApplicationImportIn, ListingImportIn
from jiebang_api.api.v1.schemas.listings import ListingOut
from jiebang_api.api.v1.schemas.organizations import OrganizationFacts, OrganizationOut
from jiebang_api.integration import imports
from jiebang_api.kit.errors import ErrorCode

router = StrictRouter(prefix="/integration", tags=["integration"])

Uscc = Annotated[
    str,
    Path(
        pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        description="The organisation's unified social credit code (统一社会信用代码, 18 "
        "characters; its check digit is verified, R-ORG-USCC).",
        examples=["91150000MA0N123406"],
    ),
]
ExternalRef = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
        description="The plan management system's reference for the record (1–64 letters, "
        "digits, `.`, `_`, `:` or `-`); shown on the record as `external_ref`.",
        examples=["PLAN-2027-XQ-000123"],
    ),
]
WHO = (
    "The plan management system's service clients (role `integration`) only; anyone else "
    "403. Idempotent: the same body again changes nothing and answers 200; 201 when this "
    "request created the record."
)


def _answer(response: Response, created: bool, location: str, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = location


@router.put(
    "/organizations/{uscc}",
    response_model=OrganizationOut,
    summary="Import an organisation (integration)",
    description=f"{WHO} Registers the organisation with this USCC (R-ORG-USCC: 18 characters, "
    "valid check digit), with no member yet: the department adds its people. When it is "
    "registered already, its facts are brought up to the body's as its manager would: a "
    "changed flag loses its verification, a changed parent all of it, and a `parent_org_id` "
    "is a claim until the parent's managers accept.",
    responses={
        200: {"headers": ETAG},
        201: {
            "model": OrganizationOut,
            "description": "Registered by this request.",
            "headers": {**ETAG, **LOCATION},
        },
        **problems(401, 403, 409, 422, ErrorCode.RULE_VIOLATION),
    },
)
async def import_organization(
    uscc: Uscc,
    body: OrganizationFacts,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> OrganizationOut:
    done = await imports.put_organization(
        session, principal=principal, code=uscc, data=body.model_dump(), now=now
    )
    org = done.resource
    _answer(response, done.created, f"/api/v1/organizations/{org.id}", org.version)
    return OrganizationOut.of(org)


@router.put(
    "/listings/{external_ref}",
    response_model=ListingOut,
    summary="Import a listing (integration)",
    description=f"{WHO} Creates the listing on behalf of `proposer_org_id` and submits it, "
    "as a member of the proposer would: every submission rule applies, all findings at once "
    "(422 `ELIGIBILITY_FAILED`, nothing kept). It arrives `submitted`, for the department's "
    "screening. Another body updates a listing the department returned for revision and "
    "submits it again; once the listing has moved on, another body answers 409.",
    responses={
        200: {"headers": ETAG},
        201: {
            "model": ListingOut,
            "description": "Created and submitted by this request.",
            "headers": {**ETAG, **LOCATION},
        },
        **problems(401, 403, 409, 422, ErrorCode.ELIGIBILITY_FAILED),
    },
)
async def import_listing(
    external_ref: ExternalRef,
    body: ListingImportIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ListingOut:
    done = await imports.put_listing(
        session,
        principal=principal,
        external_ref=external_ref,
        data=body.data(),
        digest=imports.digest_of(body.model_dump(mode="json")),
        now=now,
    )
    listing = done.resource
    _answer(response, done.created, f"/api/v1/listings/{listing.id}", listing.version)
    return listing_out(listing, now)


@router.put(
    "/applications/{external_ref}",
    response_model=ApplicationOut,
    summary="Import an application (integration)",
    description=f"{WHO} Creates the application on behalf of `lead_org_id` and submits it, as "
    "a member of the lead would: inside the window (409 `WINDOW_CLOSED`), every eligibility "
    "rule (422 `ELIGIBILITY_FAILED`, all violations listed), and every consortium member's "
    "acceptance (R-APP-MEMBER-CONSENT), which `consortium_confirmed` asserts (409 "
    "`MEMBERS_NOT_ACCEPTED` without it). A refused import keeps nothing. A submitted "
    "application is not changed by another body (409).",
    responses={
        200: {"headers": ETAG},
        201: {
            "model": ApplicationOut,
            "description": "Created and submitted by this request.",
            "headers": {**ETAG, **LOCATION},
        },
        **problems(401, 403, 404, 409, 422, *SUBMIT_REFUSALS),
    },
)
async def import_application(
    external_ref: ExternalRef,
    body: ApplicationImportIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ApplicationOut:
    done = await imports.put_application(
        session,
        principal=principal,
        external_ref=external_ref,
        listing_id=body.listing_id,
        data=body.data(),
        consortium_confirmed=body.consortium_confirmed,
        digest=imports.digest_of(body.model_dump(mode="json")),
        now=now,
    )
    app, listing = done.resource
    _answer(response, done.created, f"/api/v1/applications/{app.id}", app.version)
    return application_out(app, listing, now)
