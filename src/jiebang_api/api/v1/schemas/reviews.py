"""Bodies of review rounds (第九条（五）)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, JsonValue, StringConstraints

from jiebang_api.api.v1.schemas.applications import EXAMPLE_APPLICATION_OUT, ApplicationOut
from jiebang_api.api.v1.schemas.base import (
    NO_NUL,
    SHARE,
    DecimalText,
    RequestBody,
    ResponseBody,
    Score,
)
from jiebang_api.reviews.conflicts import ConflictReason, PartyRole
from jiebang_api.reviews.workflow import AssignmentStatus, RoundStatus

EXAMPLE_CRITERIA: list[JsonValue] = [
    {
        "key": "qualification",
        "name_zh": "资质条件",
        "name_en": "Qualifications",
        "max_score": "40.0",
    },
    {
        "key": "feasibility",
        "name_zh": "揭榜方案可行性",
        "name_en": "Feasibility of the plan",
        "max_score": "60.0",
    },
]
EXPERT = "5b0e8a57-5a4e-4c55-9d8b-2f1c7e0a0101"
REVIEWER = "5b0e8a57-5a4e-4c55-9d8b-2f1c7e0a0202"


class CriterionIn(RequestBody):
    key: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="How scores name the criterion.",
    )
    name_zh: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    name_en: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    max_score: Score = Field(description="The sheet's maximums add up to 100.")


class ReviewRoundIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"expert_user_ids": [EXPERT], "proposer_reviewer_user_ids": [REVIEWER]}]
        }
    )

    criteria: list[CriterionIn] | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="The scoring sheet (评分表). Leave out for 第九条（五）'s two criteria, "
        "`qualification` and `feasibility`, weighed as the policy version in force says "
        "(40 / 60 unless the department changed it); an emergency listing's round needs it.",
    )
    expert_user_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=50,
        description="The experts: active users with the `expert` role, each once.",
        json_schema_extra={"uniqueItems": True},
    )
    proposer_reviewer_user_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Members of the proposer who review with the department and confirm the "
        "recommendation (R-WF-RECOMMEND-JOINT); at least one, except for an emergency listing "
        "(none).",
        json_schema_extra={"uniqueItems": True},
    )


class CriterionOut(ResponseBody):
    key: str
    name_zh: str
    name_en: str
    max_score: Score


class AssignmentCounts(ResponseBody):
    assigned: int = Field(description="Not yet answered.")
    scored: int
    declined: int


class ExclusionOut(ResponseBody):
    """An assignment a conflict of interest kept from being made."""

    expert_user_id: uuid.UUID
    application_id: uuid.UUID
    expert_org_id: uuid.UUID = Field(description="The expert's organisation in conflict.")
    party_org_id: uuid.UUID
    role: PartyRole
    reason: ConflictReason


class RecommendationIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"application_ids": [EXAMPLE_APPLICATION_OUT["id"]]}]}
    )

    application_ids: list[uuid.UUID] = Field(
        max_length=200,
        description="The recommended applications, best first, each once and each from the "
        "round's results (the department may depart from the ranking). Empty: no solver is "
        "recommended, and the listing fails (流榜) once the proposer confirms.",
        json_schema_extra={"uniqueItems": True},
    )


class RecommendationOut(ResponseBody):
    """The recommended list, and who proposed and confirmed it when."""

    application_ids: list[uuid.UUID] = Field(description="Best first.")
    proposed_by: uuid.UUID | None
    proposed_at: datetime
    confirmed_by: uuid.UUID | None = Field(
        description="The proposer's reviewer (the department for an emergency listing) whose "
        "confirmation made it take effect; null until then."
    )
    confirmed_at: datetime | None


EXAMPLE_RECOMMENDATION: JsonValue = {
    "application_ids": [EXAMPLE_APPLICATION_OUT["id"]],
    "proposed_by": "5b0e8a57-5a4e-4c55-9d8b-2f1c7e0a0303",
    "proposed_at": "2027-02-01T02:00:00Z",
    "confirmed_by": None,
    "confirmed_at": None,
}


class ReviewRoundOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0301",
                    "listing_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0001",
                    "status": "open",
                    "criteria": EXAMPLE_CRITERIA,
                    "expert_user_ids": [EXPERT],
                    "proposer_reviewer_user_ids": [REVIEWER],
                    "policy_version_id": "8f0c2a4e-7d51-4c3b-9a2e-15ab7c3d0001",
                    "assignments": {"assigned": 3, "scored": 0, "declined": 0},
                    "exclusions": [],
                    "opened_at": "2026-12-06T02:00:00Z",
                    "closed_at": None,
                    "recommendation": None,
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    listing_id: uuid.UUID
    status: RoundStatus
    criteria: list[CriterionOut]
    expert_user_ids: list[uuid.UUID] | None = Field(
        description="The department's view only; null for the proposer's reviewers."
    )
    proposer_reviewer_user_ids: list[uuid.UUID]
    policy_version_id: uuid.UUID | None = Field(
        description="The policy version the default criteria's weights came from."
    )
    assignments: AssignmentCounts
    exclusions: list[ExclusionOut] | None = Field(
        description="Who was kept from which application, and why; the department's view "
        "only (null for the proposer's reviewers)."
    )
    opened_at: datetime
    closed_at: datetime | None
    recommendation: RecommendationOut | None = Field(
        description="Null until the department proposes one; it takes effect when `status` "
        "is `recommendation_confirmed`."
    )
    version: int


CriterionKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class ScoresIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scores": {"qualification": "35.5", "feasibility": "52.0"},
                    "comment": "团队与中试条件齐备，进度安排偏紧。",
                }
            ]
        }
    )

    scores: dict[CriterionKey, Score] = Field(
        min_length=1,
        max_length=20,
        description="A score for every criterion of the round's sheet, each from 0 to its "
        "`max_score`, at most one decimal place.",
        # pydantic states the keys as `patternProperties` only: no other key is allowed either.
        json_schema_extra={"additionalProperties": False},
    )
    comment: str | None = Field(None, max_length=2000, pattern=NO_NUL)


class DeclineIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "本人曾参与该申请单位的前期研发。"}]}
    )

    reason: str = Field(
        min_length=1,
        max_length=500,
        pattern=NO_NUL,
        description="The conflict of interest the expert declares.",
    )


EXAMPLE_ASSIGNMENT: dict[str, JsonValue] = {
    "id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0401",
    "review_round_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0301",
    "listing_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0001",
    "application_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0101",
    "status": "scored",
    "criteria": EXAMPLE_CRITERIA,
    "round_status": "open",
    "scores": {"qualification": "35.5", "feasibility": "52.0"},
    "total": "87.5",
    "comment": "团队与中试条件齐备，进度安排偏紧。",
    "decline_reason": None,
    "answered_at": "2026-12-08T03:00:00Z",
    "created_at": "2026-12-06T02:00:00Z",
    "version": 2,
}


class ReviewAssignmentOut(ResponseBody):
    """An expert's assignment: their own answer only, never another expert's."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ASSIGNMENT]})

    id: uuid.UUID
    review_round_id: uuid.UUID
    listing_id: uuid.UUID
    application_id: uuid.UUID
    status: AssignmentStatus
    round_status: RoundStatus
    criteria: list[CriterionOut]
    scores: dict[str, Score] | None
    total: Score | None = Field(description="The sum of the scores (0 to 100).")
    comment: str | None
    decline_reason: str | None
    answered_at: datetime | None
    created_at: datetime
    version: int


class ReviewAssignmentPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_ASSIGNMENT], "next_cursor": None}]}
    )

    items: list[ReviewAssignmentOut]
    next_cursor: str | None


class ReviewAssignmentDetail(ReviewAssignmentOut):
    """The assignment with the application under review: its plan, parties, declarations and
    eligibility report (with its priority flags); nothing of other experts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**EXAMPLE_ASSIGNMENT, "application": EXAMPLE_APPLICATION_OUT}]
        }
    )

    application: ApplicationOut


# An application's aggregate: the (trimmed) mean of the totals, rounded half up to 0.01.
AggregateScore = Annotated[Decimal, DecimalText(SHARE, "80.00")]


class ExpertAnswerOut(ResponseBody):
    expert_number: int = Field(
        description="The expert's number in the round (1, 2, …), the same on every application."
    )
    expert_user_id: uuid.UUID | None = Field(
        description="The department's view only; null for the proposer's reviewers."
    )
    scores: dict[str, Score]
    total: Score
    comment: str | None


class ApplicationResultOut(ResponseBody):
    application_id: uuid.UUID
    rank: int = Field(
        description="1 is best: the higher aggregate; on a tie, the priority flag, then the "
        "earlier submission."
    )
    aggregate: AggregateScore | None = Field(
        description="The mean of the totals, trimmed of the highest and the lowest from five "
        "totals on; null when no expert scored."
    )
    scored_by: int = Field(description="How many experts scored the application.")
    trimmed: bool
    insufficient_reviews: bool = Field(description="Fewer than three experts scored.")
    priority: bool = Field(description="The eligibility report flags a priority (R-ELIG-PRIORITY).")
    answers: list[ExpertAnswerOut]


EXAMPLE_RESULT: dict[str, JsonValue] = {
    "application_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0101",
    "rank": 1,
    "aggregate": "80.00",
    "scored_by": 5,
    "trimmed": True,
    "insufficient_reviews": False,
    "priority": False,
    "answers": [
        {
            "expert_number": 1,
            "expert_user_id": None,
            "scores": {"qualification": "32.0", "feasibility": "48.0"},
            "total": "80.0",
            "comment": None,
        }
    ],
}


class ReviewResultsOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "review_round_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0301",
                    "listing_id": "0d8c5f8e-1c1b-4a8e-9f52-6b3a1c0e0001",
                    "status": "closed",
                    "criteria": EXAMPLE_CRITERIA,
                    "items": [EXAMPLE_RESULT],
                }
            ]
        }
    )

    review_round_id: uuid.UUID
    listing_id: uuid.UUID
    status: RoundStatus
    criteria: list[CriterionOut]
    items: list[ApplicationResultOut] = Field(description="Best first.")


class DirectRecommendationIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_ids": [EXAMPLE_APPLICATION_OUT["id"]],
                    "reason": "疫情防控急需，省略专家评审",
                }
            ]
        }
    )

    application_ids: list[uuid.UUID] = Field(
        max_length=200,
        description="The recommended applications, best first, each once and each under "
        "review on the listing. Empty: no solver, and the listing fails (流榜).",
        json_schema_extra={"uniqueItems": True},
    )
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class DirectRecommendationOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
                    "application_ids": [EXAMPLE_APPLICATION_OUT["id"]],
                    "not_recommended": 2,
                    "listing_failed": False,
                }
            ]
        }
    )

    listing_id: uuid.UUID
    application_ids: list[uuid.UUID] = Field(description="Now `recommended`, best first.")
    not_recommended: int = Field(description="The other applications under review.")
    listing_failed: bool = Field(description="True when no solver was named (流榜).")
