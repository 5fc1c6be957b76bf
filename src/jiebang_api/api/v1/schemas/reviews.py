"""Bodies of review rounds (第九条（五）)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, JsonValue

from jiebang_api.api.v1.schemas.base import NO_NUL, RequestBody, ResponseBody, Score
from jiebang_api.reviews.conflicts import ConflictReason, PartyRole

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
    max_score: Score = Field(description="Above 0; the sheet's maximums add up to 100.")


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
    )
    proposer_reviewer_user_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Members of the proposer who review with the department and confirm the "
        "recommendation (R-WF-RECOMMEND-JOINT); at least one, except for an emergency listing "
        "(none).",
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


ReviewRoundStatus = Literal["open", "closed", "recommendation_proposed", "recommendation_confirmed"]


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
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    listing_id: uuid.UUID
    status: ReviewRoundStatus = Field(description="`open` while the experts score.")
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
    version: int
