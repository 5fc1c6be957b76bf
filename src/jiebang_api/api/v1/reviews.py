"""Review rounds (第九条（五）): the department opens one on a closed listing."""

from __future__ import annotations

from fastapi import Response, status

from jiebang_api.api.deps import ETAG, LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.params import ListingId, ReviewRoundId
from jiebang_api.api.v1.schemas.reviews import (
    AssignmentCounts,
    CriterionOut,
    ExclusionOut,
    ReviewRoundIn,
    ReviewRoundOut,
)
from jiebang_api.reviews import scoring
from jiebang_api.reviews import service as reviews_service

router = StrictRouter(tags=["reviews"])


def round_out(view: reviews_service.RoundView) -> ReviewRoundOut:
    round_ = view.round
    counts = {
        state: view.assignment_counts.get(state, 0) for state in AssignmentCounts.model_fields
    }
    return ReviewRoundOut(
        id=round_.id,
        listing_id=round_.listing_id,
        status=round_.status,
        criteria=[CriterionOut.model_validate(c) for c in round_.criteria],
        expert_user_ids=round_.expert_user_ids if view.experts_visible else None,
        proposer_reviewer_user_ids=round_.proposer_reviewer_user_ids,
        policy_version_id=round_.policy_version_id,
        assignments=AssignmentCounts(**counts),
        exclusions=None
        if view.exclusions is None
        else [ExclusionOut.model_validate(e, from_attributes=True) for e in view.exclusions],
        opened_at=round_.created_at,
        closed_at=round_.closed_at,
        version=round_.version,
    )


def _with_etag(view: reviews_service.RoundView, response: Response) -> ReviewRoundOut:
    response.headers["ETag"] = f'"{view.round.version}"'
    return round_out(view)


@router.post(
    "/listings/{listing_id}/review-rounds",
    response_model=ReviewRoundOut,
    status_code=status.HTTP_201_CREATED,
    summary="Open the review round of a closed listing",
    description="Admin. The listing's application window has closed (409 `CONFLICT` with "
    "`current_state` otherwise; one round per listing, 409 again). Every expert is assigned "
    "every application under review, except where one of the expert's organisations (the "
    "affiliation, or any organisation they are a member of) is the applicant, a consortium "
    "member or the proposer, or in the same ownership tree as one of them: that exclusion is "
    "recorded with its reason (`exclusions`). The proposer's reviewers review with the "
    "department (第九条（五）, R-WF-RECOMMEND-JOINT). Without `criteria`, the sheet is "
    "`qualification` and `feasibility`, weighed by the policy version in force.",
    responses={201: {"headers": {**ETAG, **LOCATION}}, **problems(401, 403, 404, 409, 422)},
)
async def open_review_round(
    listing_id: ListingId,
    body: ReviewRoundIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewRoundOut:
    criteria = (
        None
        if body.criteria is None
        else [scoring.Criterion(c.key, c.name_zh, c.name_en, c.max_score) for c in body.criteria]
    )
    await reviews_service.open_round(
        session,
        principal=principal,
        listing_id=listing_id,
        criteria=criteria,
        expert_user_ids=body.expert_user_ids,
        proposer_reviewer_user_ids=body.proposer_reviewer_user_ids,
        now=now,
    )
    view = await reviews_service.round_of_listing(
        session, principal=principal, listing_id=listing_id
    )
    response.headers["Location"] = f"/api/v1/review-rounds/{view.round.id}"
    return _with_etag(view, response)


@router.get(
    "/review-rounds/{review_round_id}",
    response_model=ReviewRoundOut,
    summary="Read a review round",
    description="Admin, and the proposer's reviewers named on the round (404 for anyone "
    "else). The reviewers see the sheet and the progress, never who the experts are "
    "(`expert_user_ids` and `exclusions` are null for them).",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def get_review_round(
    review_round_id: ReviewRoundId,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> ReviewRoundOut:
    view = await reviews_service.get_round(session, principal=principal, round_id=review_round_id)
    return _with_etag(view, response)
