"""Listings (榜单): collection, screening, assessment, joint confirmation and publication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Query, Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import ETAG, LOCATION, IfMatchDep, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.findings import Finding
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import Cursor, Industry, Limit, ListingId
from jiebang_api.api.v1.schemas.base import NO_NUL
from jiebang_api.api.v1.schemas.listings import (
    AssessmentIn,
    AssessmentList,
    AssessmentOut,
    EmptyIn,
    ListingIn,
    ListingOut,
    ListingPage,
    ListingPatch,
    OptionalReasonIn,
    PublishIn,
    ReasonIn,
    ScreenIn,
)
from jiebang_api.api.v1.schemas.organizations import AuditEntryOut, HistoryOut
from jiebang_api.kit.errors import ErrorCode
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.listings import access as listings_access
from jiebang_api.listings import service as listings_service
from jiebang_api.listings import workflow
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingAction, ListingStatus
from jiebang_api.models import Listing

router = StrictRouter(prefix="/listings", tags=["listings"])


def listing_out(listing: Any, now: datetime) -> ListingOut:
    """The listing (an entity or a row of its columns) as a reader sees it now, with the
    actions its state allows."""
    current = listings_access.status_of(listing, now)
    machine = workflow.machine(ListingKind(listing.kind))
    columns = {c.key: getattr(listing, c.key) for c in Listing.__table__.columns}
    return ListingOut.model_validate(
        {
            **columns,
            "status": current,
            "allowed_actions": machine.allowed_operations(current),
            "eligibility_warnings": [Finding(**w) for w in listing.eligibility_warnings],
        }
    )


def _with_etag(listing: Any, now: datetime, response: Response) -> ListingOut:
    response.headers["ETag"] = f'"{listing.version}"'
    return listing_out(listing, now)


@router.post(
    "",
    response_model=ListingOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Create a listing (draft)",
    description="A member of the proposing organisation drafts a technology-breakthrough or "
    "achievement-transfer listing; the department drafts emergency listings (no proposer). "
    "Each listing gets a code `JB-{year}-{TB|AT|EM}-{seq}`. Nothing is checked against the "
    "measures until `submit`.",
    responses={201: {"headers": {**ETAG, **LOCATION}}, **problems(401, 403, 422)},
)
async def create_listing(
    body: ListingIn, session: SessionDep, principal: PrincipalDep, now: NowDep, response: Response
) -> ListingOut:
    listing = await listings_service.create(session, principal=principal, data=body.data(), now=now)
    response.headers["Location"] = f"/api/v1/listings/{listing.id}"
    return _with_etag(listing, now, response)


@router.get(
    "",
    response_model=ListingPage,
    summary="List listings",
    description="The department sees every listing; organisation members see their "
    "organisations' listings. Filters: `kind`, `status` (stored status), `industry`, `q` "
    "(title or code).",
    responses=problems(401, 422),
)
async def list_listings(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    kind: Annotated[ListingKind | None, Query(description="Only this kind.")] = None,
    status: Annotated[ListingStatus | None, Query(description="Only this stored status.")] = None,
    industry: Industry = None,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL, description="Words in the title or the code."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ListingPage:
    page = await listings_service.list_(
        session,
        principal=principal,
        kind=kind,
        status=status,
        industry=industry,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return ListingPage(
        items=[listing_out(x, now) for x in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{listing_id}",
    response_model=ListingOut,
    summary="Read a listing",
    description="The department and the proposer's members; anyone else gets 404.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def read_listing(
    listing_id: ListingId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ListingOut:
    listing = await listings_service.get(session, principal=principal, listing_id=listing_id)
    return _with_etag(listing, now, response)


@router.patch(
    "/{listing_id}",
    response_model=ListingOut,
    summary="Edit a listing",
    description="The proposer edits while `draft` or `returned`; the department may settle the "
    "final text until publication. Editing a `confirmed` listing clears the confirmation "
    "(R-WF-PUBLISH-JOINT): it goes back to `approved`. Send `If-Match`.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 412, 422)},
)
async def update_listing(
    listing_id: ListingId,
    body: ListingPatch,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
    expected_version: IfMatchDep,
) -> ListingOut:
    listing = await listings_service.update(
        session,
        principal=principal,
        listing_id=listing_id,
        changes=body.changes(),
        expected_version=expected_version,
        now=now,
    )
    return _with_etag(listing, now, response)


@router.post(
    "/{listing_id}/assessments",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
    summary="Add an assessment opinion (department)",
    description="Records one assessment (论证) opinion while the listing is under assessment "
    "(Art. 9 (2)). Approval needs at least one. `layout_fit` (the department's judgement of "
    "the achievement's fit with the region's layout, R-ELIG-AT-LAYOUT) is for achievement "
    "transfers only: on any other listing it answers 422 `VALIDATION_FAILED`.",
    responses=problems(401, 403, 404, 422, ErrorCode.INVALID_TRANSITION),
)
async def add_assessment(
    listing_id: ListingId,
    body: AssessmentIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> AssessmentOut:
    opinion = await listings_service.add_assessment(
        session, principal=principal, listing_id=listing_id, now=now, **body.model_dump()
    )
    return AssessmentOut.model_validate(opinion)


@router.get(
    "/{listing_id}/assessments",
    response_model=AssessmentList,
    summary="List assessment opinions",
    description="Every assessment opinion of the listing, oldest first.",
    responses=problems(401, 404, 422),
)
async def list_assessments(
    listing_id: ListingId, session: SessionDep, principal: PrincipalDep
) -> AssessmentList:
    found = await listings_service.assessments(session, principal=principal, listing_id=listing_id)
    return AssessmentList(items=[AssessmentOut.model_validate(a) for a in found])


@router.get(
    "/{listing_id}/history",
    response_model=HistoryOut,
    summary="Audit history of a listing",
    description="Every step with actor, time, states and reason, oldest first.",
    responses=problems(401, 404, 422),
)
async def listing_history(
    listing_id: ListingId, session: SessionDep, principal: PrincipalDep
) -> HistoryOut:
    entries = await listings_service.history(session, principal=principal, listing_id=listing_id)
    return HistoryOut(items=[AuditEntryOut.model_validate(e) for e in entries])


Handler = Callable[..., Awaitable[Listing]]


def _transition(
    action: str,
    body_model: type[Any],
    summary: str,
    description: str,
    call: Callable[..., Any],
    *refusals: int | ErrorCode,
) -> None:
    """Register `POST /listings/{id}/{action}`: one workflow step, returning the listing."""

    async def endpoint(
        listing_id: ListingId,
        body: Any,
        session: SessionDep,
        principal: PrincipalDep,
        now: NowDep,
        response: Response,
        expected_version: IfMatchDep,
    ) -> ListingOut:
        listing = await call(
            session,
            principal=principal,
            listing_id=listing_id,
            now=now,
            expected_version=expected_version,
            **body.model_dump(),
        )
        return _with_etag(listing, now, response)

    endpoint.__annotations__["body"] = body_model
    router.add_api_route(
        f"/{{listing_id}}/{action}",
        endpoint,
        methods=["POST"],
        name=f"{action}_listing",
        response_model=ListingOut,
        summary=summary,
        description=description + " Answers 409 `INVALID_TRANSITION` naming the allowed "
        "actions when the listing's state does not allow this one.",
        responses={
            200: {"headers": ETAG},
            **problems(401, 403, 404, 412, 422, ErrorCode.INVALID_TRANSITION, *refusals),
        },
    )


def _screen(session: Any, *, passed: bool, comment: str | None, **kw: Any) -> Any:
    return listings_service.screen(session, passed=passed, comment=comment, **kw)


def _confirm(session: Any, **kw: Any) -> Any:
    return listings_service.act(session, action=ListingAction.CONFIRM, reason=None, **kw)


def _publish(
    session: Any, *, application_opens_at: datetime, application_closes_at: datetime, **kw: Any
) -> Any:
    return listings_service.publish(
        session, opens_at=application_opens_at, closes_at=application_closes_at, **kw
    )


_transition(
    "submit",
    EmptyIn,
    "Submit a listing (proposer)",
    "Checks the required fields (R-LIST-FIELDS; for an achievement transfer also "
    "R-ELIG-AT-LAYOUT and R-ELIG-AT-SERVICE-TEAM) and the proposer (R-ELIG-TB-PROPOSER, "
    "R-ELIG-AT-PROPOSER-TYPE, R-ELIG-AT-OWN-IP, R-ELIG-NO-DISHONESTY); every violation "
    "is listed in a 422 `ELIGIBILITY_FAILED`. Warnings (R-ELIG-TB-PROPOSER-SCALE, "
    "R-TIME-TB-36M, R-TIME-AT-24M, unverified declarations) are kept on the listing.",
    listings_service.submit,
    ErrorCode.ELIGIBILITY_FAILED,
)
_transition(
    "screen",
    ScreenIn,
    "Screen a listing (department)",
    "Initial screening (初步筛选, Art. 9 (2)): `passed` moves it to assessment, otherwise "
    "it is rejected.",
    _screen,
)
_transition(
    "approve",
    EmptyIn,
    "Approve a listing (department)",
    "After at least one assessment opinion (R-WF-ASSESS); an achievement transfer also needs "
    "an opinion that judged its fit with the region's layout, the latest one saying it fits "
    "(R-ELIG-AT-LAYOUT, 第七条（一）). An emergency draft may be approved directly "
    "(R-WF-EM-SIMPLIFIED; the skipped steps are recorded). Otherwise 409 `CONFLICT` citing "
    "the rule.",
    listings_service.approve,
    409,
)
_transition(
    "reject",
    ReasonIn,
    "Reject a listing (department)",
    "With a reason, during screening or assessment.",
    partial(listings_service.act, action=ListingAction.REJECT),
)
_transition(
    "return",
    ReasonIn,
    "Return a listing for revision (department)",
    "Sends it back to the proposer with a reason; the proposer edits and submits again.",
    partial(listings_service.act, action=ListingAction.RETURN),
)
_transition(
    "confirm",
    EmptyIn,
    "Confirm the final text (proposer)",
    "The proposer confirms the approved text (R-WF-PUBLISH-JOINT); a later edit clears "
    "the confirmation.",
    _confirm,
)
_transition(
    "publish",
    PublishIn,
    "Publish a listing (department)",
    "Opens the application window (R-LIST-WINDOW: it must close after it opens and in "
    "the future; else 422 `RULE_VIOLATION`). Needs the proposer's confirmation, except "
    "for emergency listings (before it, 409 `INVALID_TRANSITION` citing R-WF-PUBLISH-JOINT). "
    "Whatever path the listing took, its content is checked again (R-LIST-FIELDS and, for "
    "an achievement transfer, R-ELIG-AT-LAYOUT, R-ELIG-AT-SERVICE-TEAM, and the holder and "
    "IP: R-ELIG-AT-PROPOSER-TYPE, R-ELIG-AT-OWN-IP): any gap answers 422 `RULE_VIOLATION` "
    "listing them all. The duration warnings (R-TIME-TB-36M, R-TIME-AT-24M) are refreshed.",
    _publish,
    ErrorCode.RULE_VIOLATION,
)
_transition(
    "close",
    OptionalReasonIn,
    "Close the window early (department)",
    "A published listing also reads as closed once its window has ended.",
    partial(listings_service.act, action=ListingAction.CLOSE),
)
_transition(
    "withdraw",
    OptionalReasonIn,
    "Withdraw a listing (proposer)",
    "Before publication.",
    partial(listings_service.act, action=ListingAction.WITHDRAW),
)
_transition(
    "cancel",
    ReasonIn,
    "Cancel a listing (department)",
    "With a reason, at any time before the window closes.",
    partial(listings_service.act, action=ListingAction.CANCEL),
)
