"""The public catalogue: what anyone (third-party portals included) may read, no sign-in.

Read from the read replica when one is set (`JIEBANG_DATABASE_READ_URL`), unless the request
carries an `Authorization` header: a listing just published may show a moment later."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from fastapi import Query, Request
from starlette.responses import Response

from jiebang_api.api.caching import IfNoneMatch, cached_responses, public_json
from jiebang_api.api.deps import NowDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import ReplicaRoute, StrictRouter
from jiebang_api.api.schema_extras import labels_of, values
from jiebang_api.api.v1.params import ClosesAfter, Cursor, Industry, Limit, ListingId, OpensBefore
from jiebang_api.api.v1.schemas.base import NO_NUL
from jiebang_api.api.v1.schemas.listings import PublicListingOut, PublicListingPage
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.listings import access as listings_access
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.service import PublicListing
from jiebang_api.listings.workflow import ListingStatus

router = StrictRouter(prefix="/public", tags=["public"], route_class=ReplicaRoute)
PublicStatus = Literal["published", "closed", "awarded", "failed"]


def public_out(row: PublicListing, now: datetime) -> PublicListingOut:
    fields = row._asdict()
    name = fields.pop("proposer_name")
    fields["status"] = listings_access.status_of(row, now)
    fields["proposer"] = (
        {"id": row.proposer_org_id, "name": name} if row.proposer_org_id and name else None
    )
    return PublicListingOut.model_validate(fields)


@router.get(
    "/listings",
    response_model=PublicListingPage,
    summary="Public catalogue of listings",
    description="Anonymous. Only published, closed, awarded and failed listings, newest "
    "publication first. `q` searches title, background and key technologies (Chinese works; "
    "two characters are enough). `status` is as of now: a published listing whose window "
    "has ended is `closed`. `opens_before` / `closes_after` bound the application window. "
    "Continue with `next_cursor`.",
    responses={**cached_responses(), **problems(422)},
)
async def public_listings(
    request: Request,
    session: SessionDep,
    now: NowDep,
    kind: Annotated[ListingKind | None, Query(description="Only this kind.")] = None,
    status: Annotated[
        PublicStatus | None,
        Query(
            description="Only this status (as of now).",
            json_schema_extra=values(labels_of(ListingStatus, get_args(PublicStatus))),
        ),
    ] = None,
    industry: Industry = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=NO_NUL,
            description="Words in the title, background or key technologies.",
        ),
    ] = None,
    opens_before: OpensBefore = None,
    closes_after: ClosesAfter = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    if_none_match: IfNoneMatch = None,
) -> Response:
    page = await listings_service.public_catalogue(
        session,
        now=now,
        kind=kind,
        status=status,
        industry=industry,
        q=q,
        opens_before=opens_before,
        closes_after=closes_after,
        cursor=cursor,
        limit=limit,
    )
    body = PublicListingPage(
        items=[public_out(x, now) for x in page.items], next_cursor=page.next_cursor
    )
    return public_json(request, body, if_none_match)


@router.get(
    "/listings/{listing_id}",
    response_model=PublicListingOut,
    summary="One public listing",
    description="Anonymous. 404 for any listing that is not public (draft, under review, "
    "rejected, withdrawn, cancelled, or unknown).",
    responses={**cached_responses(), **problems(404, 422)},
)
async def public_listing(
    request: Request,
    listing_id: ListingId,
    session: SessionDep,
    now: NowDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    row = await listings_service.public_listing(session, listing_id=listing_id)
    return public_json(request, public_out(row, now), if_none_match)
