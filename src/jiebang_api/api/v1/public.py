"""The public catalogue: what anyone (third-party portals included) may read, no sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query

from jiebang_api.api.deps import NowDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRoute
from jiebang_api.api.schema_extras import labels_of, values
from jiebang_api.api.v1.params import ClosesAfter, Cursor, Industry, Limit, ListingId, OpensBefore
from jiebang_api.api.v1.schemas.base import NO_NUL
from jiebang_api.api.v1.schemas.listings import PublicListingOut, PublicListingPage, PublicProposer
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.listings import access as listings_access
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.service import PublicListing
from jiebang_api.listings.workflow import ListingStatus

router = APIRouter(prefix="/public", tags=["public"], route_class=StrictRoute)
PublicStatus = Literal["published", "closed", "awarded", "failed"]


def public_out(item: PublicListing, now: datetime) -> PublicListingOut:
    listing = item.listing
    columns = {c.key: getattr(listing, c.key) for c in listing.__table__.columns}
    proposer = (
        PublicProposer(id=listing.proposer_org_id, name=item.proposer_name)
        if listing.proposer_org_id and item.proposer_name
        else None
    )
    return PublicListingOut.model_validate(
        {**columns, "status": listings_access.status_of(listing, now), "proposer": proposer}
    )


@router.get(
    "/listings",
    response_model=PublicListingPage,
    summary="Public catalogue of listings",
    description="Anonymous. Only published, closed, awarded and failed listings, newest "
    "publication first. `q` searches title, background and key technologies (Chinese works; "
    "two characters are enough). `status` is as of now: a published listing whose window "
    "has ended is `closed`. `opens_before` / `closes_after` bound the application window. "
    "Continue with `next_cursor`.",
    responses=problems(422),
)
async def public_listings(
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
) -> PublicListingPage:
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
    return PublicListingPage(
        items=[public_out(x, now) for x in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/listings/{listing_id}",
    response_model=PublicListingOut,
    summary="One public listing",
    description="Anonymous. 404 for any listing that is not public (draft, under review, "
    "rejected, withdrawn, cancelled, or unknown).",
    responses=problems(404, 422),
)
async def public_listing(
    listing_id: ListingId, session: SessionDep, now: NowDep
) -> PublicListingOut:
    return public_out(await listings_service.public_listing(session, listing_id=listing_id), now)
