"""The facts reviews publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ReviewRoundEvent(DomainEvent):
    """What every review-round event carries: the round and its listing."""

    resource_type: ClassVar[str] = "review_round"

    review_round_id: uuid.UUID
    listing_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ReviewRoundOpened(ReviewRoundEvent):
    type: ClassVar[str] = "review_round.opened"
    summary = (
        "评审轮次已开启，专家评审任务已分配（有利益冲突的已回避）。",
        "A review round opened: experts were assigned the applications under review, except "
        "where a conflict of interest kept them away.",
    )

    applications: int
    assignments: int
    exclusions: int
