"""Review rounds (第九条（五）): the department opens one on a closed listing; experts read and
answer their own assignments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response, status

from jiebang_api.api import idempotency
from jiebang_api.api.deps import ETAG, LOCATION, NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.applications import application_out
from jiebang_api.api.v1.params import Cursor, Limit, ListingId, ReviewAssignmentId, ReviewRoundId
from jiebang_api.api.v1.schemas.listings import EmptyIn
from jiebang_api.api.v1.schemas.reviews import (
    ApplicationResultOut,
    AssignmentCounts,
    CriterionOut,
    DeclineIn,
    DirectRecommendationIn,
    DirectRecommendationOut,
    ExclusionOut,
    ExpertAnswerOut,
    RecommendationIn,
    RecommendationOut,
    ReviewAssignmentDetail,
    ReviewAssignmentOut,
    ReviewAssignmentPage,
    ReviewResultsOut,
    ReviewRoundIn,
    ReviewRoundOut,
    ScoresIn,
)
from jiebang_api.kit.pagination import DEFAULT_LIMIT
from jiebang_api.reviews import direct, scoring
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
        recommendation=None
        if round_.proposed_at is None
        else RecommendationOut(
            application_ids=round_.recommendation or [],
            proposed_by=round_.proposed_by,
            proposed_at=round_.proposed_at,
            confirmed_by=round_.confirmed_by,
            confirmed_at=round_.confirmed_at,
        ),
        version=round_.version,
    )


def _with_etag(view: reviews_service.RoundView, response: Response) -> ReviewRoundOut:
    response.headers["ETag"] = f'"{view.round.version}"'
    return round_out(view)


async def _round_as_now(
    session: SessionDep, principal: PrincipalDep, round_id: uuid.UUID, response: Response
) -> ReviewRoundOut:
    """The round after a step, as the caller may see it."""
    view = await reviews_service.get_round(session, principal=principal, round_id=round_id)
    return _with_etag(view, response)


@router.post(
    "/listings/{listing_id}/review-rounds",
    response_model=ReviewRoundOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=idempotency.CREATES,
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
    opened = await reviews_service.open_round(
        session,
        principal=principal,
        listing_id=listing_id,
        criteria=criteria,
        expert_user_ids=body.expert_user_ids,
        proposer_reviewer_user_ids=body.proposer_reviewer_user_ids,
        now=now,
    )
    view = await reviews_service.get_round(session, principal=principal, round_id=opened.id)
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


def assignment_out(view: reviews_service.AssignmentView) -> dict[str, Any]:
    a, round_ = view.assignment, view.round
    return {
        "id": a.id,
        "review_round_id": round_.id,
        "listing_id": round_.listing_id,
        "application_id": a.application_id,
        "status": a.status,
        "round_status": round_.status,
        "criteria": round_.criteria,
        "scores": a.scores,
        "total": a.total,
        "comment": a.comment,
        "decline_reason": a.decline_reason,
        "answered_at": a.answered_at,
        "created_at": a.created_at,
        "version": a.version,
    }


def _assignment_with_etag(
    view: reviews_service.AssignmentView, response: Response
) -> ReviewAssignmentOut:
    response.headers["ETag"] = f'"{view.assignment.version}"'
    return ReviewAssignmentOut.model_validate(assignment_out(view))


@router.get(
    "/review-assignments",
    response_model=ReviewAssignmentPage,
    summary="My review assignments",
    description="An expert's own assignments, oldest first (empty for anyone else). Each "
    "names the application and the round's scoring sheet; other experts' are never shown.",
    responses=problems(401, 422),
)
async def list_review_assignments(
    session: SessionDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ReviewAssignmentPage:
    page = await reviews_service.my_assignments(
        session, principal=principal, cursor=cursor, limit=limit
    )
    return ReviewAssignmentPage(
        items=[ReviewAssignmentOut.model_validate(assignment_out(v)) for v in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/review-assignments/{review_assignment_id}",
    response_model=ReviewAssignmentDetail,
    summary="Read one of my review assignments",
    description="The expert's own assignment (404 for anyone else's) with the application to "
    "review: plan, parties, declarations and eligibility report with its priority flags. The "
    "expert may download the application's attachments (`GET /api/v1/attachments/{id}/content`) "
    "while the assignment is not declined.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 422)},
)
async def get_review_assignment(
    review_assignment_id: ReviewAssignmentId,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewAssignmentDetail:
    view = await reviews_service.get_assignment(
        session, principal=principal, assignment_id=review_assignment_id
    )
    application, listing = view.reviewed()
    response.headers["ETag"] = f'"{view.assignment.version}"'
    return ReviewAssignmentDetail.model_validate(
        {**assignment_out(view), "application": application_out(application, listing, now)}
    )


@router.post(
    "/review-assignments/{review_assignment_id}/scores",
    response_model=ReviewAssignmentOut,
    summary="Score an application",
    description="The assigned expert, once, while the round is open (409 `CONFLICT` with "
    "`current_state` otherwise): a score for every criterion of the sheet, each from 0 to its "
    "`max_score` with at most one decimal place (422 at `body.scores.<key>` otherwise). The "
    "total is their sum. Scores are never shown to anyone but the department and, without "
    "the expert's name, the proposer's reviewers.",
    responses={200: {"headers": ETAG}, **problems(401, 404, 409, 422)},
)
async def score_review_assignment(
    review_assignment_id: ReviewAssignmentId,
    body: ScoresIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewAssignmentOut:
    view = await reviews_service.score(
        session,
        principal=principal,
        assignment_id=review_assignment_id,
        scores=body.scores,
        comment=body.comment,
        now=now,
    )
    return _assignment_with_etag(view, response)


@router.post(
    "/review-assignments/{review_assignment_id}/decline",
    response_model=ReviewAssignmentOut,
    summary="Decline an application (declared conflict of interest)",
    description="The assigned expert declares a conflict of interest the service did not see "
    "and does not score; once, while the round is open (409 `CONFLICT` otherwise).",
    responses={200: {"headers": ETAG}, **problems(401, 404, 409, 422)},
)
async def decline_review_assignment(
    review_assignment_id: ReviewAssignmentId,
    body: DeclineIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewAssignmentOut:
    view = await reviews_service.decline(
        session,
        principal=principal,
        assignment_id=review_assignment_id,
        reason=body.reason,
        now=now,
    )
    return _assignment_with_etag(view, response)


@router.post(
    "/review-rounds/{review_round_id}/close",
    response_model=ReviewRoundOut,
    summary="Close a review round: aggregate and rank",
    description="Admin; the round is open (409 `CONFLICT` with `current_state` otherwise). "
    "Each application's aggregate is the mean of the totals scored, trimmed of the highest "
    "and the lowest from five totals on, rounded half up to 0.01; fewer than three totals "
    "flag it `insufficient_reviews`. The ranking breaks ties by the priority flag, then the "
    "earlier submission. Unanswered assignments stay unanswered.",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def close_review_round(
    review_round_id: ReviewRoundId,
    body: EmptyIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewRoundOut:
    await reviews_service.close_round(
        session, principal=principal, round_id=review_round_id, now=now
    )
    return await _round_as_now(session, principal, review_round_id, response)


def _answer(result: reviews_service.Results, a: Any) -> ExpertAnswerOut:
    return ExpertAnswerOut(
        expert_number=result.expert_numbers[a.expert_user_id],
        expert_user_id=a.expert_user_id if result.experts_visible else None,
        scores=a.scores or {},
        total=a.total,
        comment=a.comment,
    )


@router.get(
    "/review-rounds/{review_round_id}/results",
    response_model=ReviewResultsOut,
    summary="The results of a closed review round",
    description="Admin, and the proposer's reviewers named on the round (404 for anyone "
    "else; 409 `CONFLICT` before the round closes). Best first: each application's rank, "
    "aggregate and flags, and each expert's scores and comment; the experts are numbered, "
    "and named only for the department.",
    responses=problems(401, 404, 409, 422),
)
async def review_round_results(
    review_round_id: ReviewRoundId, session: SessionDep, principal: PrincipalDep
) -> ReviewResultsOut:
    result = await reviews_service.results(session, principal=principal, round_id=review_round_id)
    round_ = result.round
    items = [
        ApplicationResultOut(
            application_id=r["application_id"],
            rank=r["rank"],
            aggregate=r["aggregate"],
            scored_by=r["scores"],
            trimmed=r["trimmed"],
            insufficient_reviews=r["insufficient_reviews"],
            priority=r["priority"],
            answers=[
                _answer(result, a)
                for a in sorted(
                    result.answers.get(uuid.UUID(r["application_id"]), []),
                    key=lambda a: result.expert_numbers[a.expert_user_id],
                )
            ],
        )
        for r in round_.results or []
    ]
    return ReviewResultsOut(
        review_round_id=round_.id,
        listing_id=round_.listing_id,
        status=round_.status,
        criteria=[CriterionOut.model_validate(c) for c in round_.criteria],
        items=items,
    )


@router.post(
    "/review-rounds/{review_round_id}/recommendation",
    response_model=ReviewRoundOut,
    summary="Propose the recommended applications",
    description="Admin, once the round has closed (409 `CONFLICT` with `current_state` "
    "before), and again to replace a proposal not yet confirmed. The list is ordered, best "
    "first, each application once and from the round's results (422 at "
    "`body.application_ids.<n>` otherwise). Nothing happens to the applications until a "
    "proposer's reviewer confirms it (第九条（五）, R-WF-RECOMMEND-JOINT).",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def propose_recommendation(
    review_round_id: ReviewRoundId,
    body: RecommendationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewRoundOut:
    await reviews_service.propose(
        session,
        principal=principal,
        round_id=review_round_id,
        application_ids=body.application_ids,
        now=now,
    )
    return await _round_as_now(session, principal, review_round_id, response)


@router.post(
    "/review-rounds/{review_round_id}/recommendation/confirm",
    response_model=ReviewRoundOut,
    summary="Confirm the proposed recommendation (the proposer)",
    description="One of the proposer's reviewers named on the round; for an emergency "
    "listing, whose proposer is the department, the admin alone (403 `FORBIDDEN` citing "
    "R-WF-RECOMMEND-JOINT for anyone else who may read the round, 404 for the rest). 409 "
    "`CONFLICT` with `current_state` when no proposal awaits confirmation. The proposal then "
    "takes effect: the listed applications become `recommended` with their "
    "`recommendation_rank`, the other applications under review `not_recommended`, and an "
    "empty list fails the listing (流榜, `listing.failed`).",
    responses={200: {"headers": ETAG}, **problems(401, 403, 404, 409, 422)},
)
async def confirm_recommendation(
    review_round_id: ReviewRoundId,
    body: EmptyIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    response: Response,
) -> ReviewRoundOut:
    await reviews_service.confirm(session, principal=principal, round_id=review_round_id, now=now)
    return await _round_as_now(session, principal, review_round_id, response)


@router.post(
    "/listings/{listing_id}/recommendation",
    response_model=DirectRecommendationOut,
    summary="Recommend without an expert review (admin, emergency listings)",
    description="第九条: the department may shorten an emergency listing's procedure to the "
    "steps it chooses. Once the window has closed and no review round exists (409 `CONFLICT` "
    "otherwise), it names the recommended applications itself, best first (each once and "
    "under review, 422 at `body.application_ids.<n>` otherwise): they become `recommended` "
    "with their rank, the others `not_recommended`, an empty list fails the listing. The "
    "skipped review and joint confirmation are recorded on the listing (R-WF-EM-SIMPLIFIED). "
    "Any other listing: 409 citing R-WF-EM-SIMPLIFIED (it is reviewed by experts, "
    "R-WF-RECOMMEND-JOINT).",
    responses=problems(401, 403, 404, 409, 422),
)
async def recommend_without_review(
    listing_id: ListingId,
    body: DirectRecommendationIn,
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
) -> DirectRecommendationOut:
    found = await direct.recommend(
        session,
        principal=principal,
        listing_id=listing_id,
        application_ids=body.application_ids,
        reason=body.reason,
        now=now,
    )
    return DirectRecommendationOut(
        listing_id=found.listing_id,
        application_ids=found.application_ids,
        not_recommended=found.not_recommended,
        listing_failed=found.listing_failed,
    )
