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


@dataclass(frozen=True, kw_only=True)
class ReviewEvent(DomainEvent):
    """An expert answered an assignment (a review): which one, in which round, on which
    application. Who the expert is, and what they scored, stay out of events."""

    resource_type: ClassVar[str] = "review"

    review_id: uuid.UUID  # the assignment
    review_round_id: uuid.UUID
    listing_id: uuid.UUID
    application_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ReviewSubmitted(ReviewEvent):
    type: ClassVar[str] = "review.submitted"
    summary = ("一位专家提交了评分。", "An expert submitted their scores for an application.")


@dataclass(frozen=True, kw_only=True)
class ReviewDeclined(ReviewEvent):
    type: ClassVar[str] = "review.declined"
    summary = (
        "一位专家声明利益冲突并回避了一项评审。",
        "An expert declared a conflict of interest and declined an application.",
    )


@dataclass(frozen=True, kw_only=True)
class ReviewRoundClosed(ReviewRoundEvent):
    type: ClassVar[str] = "review_round.closed"
    summary = (
        "评审轮次已结束，各申请的汇总得分与排序已产生。",
        "The review round closed: each application's aggregate score and rank were set.",
    )

    applications: int
    insufficient: int  # applications scored by fewer than three experts


@dataclass(frozen=True, kw_only=True)
class RecommendationEvent(DomainEvent):
    """A step of a round's recommendation. A round has one recommendation, addressed under
    the round (`/review-rounds/{id}/recommendation`): its id is the round's."""

    resource_type: ClassVar[str] = "recommendation"

    recommendation_id: uuid.UUID  # = review_round_id
    review_round_id: uuid.UUID
    listing_id: uuid.UUID
    application_ids: list[uuid.UUID]  # best first; empty: no solver is recommended


@dataclass(frozen=True, kw_only=True)
class RecommendationProposed(RecommendationEvent):
    type: ClassVar[str] = "recommendation.proposed"
    summary = (
        "科技厅提出了推荐名单（待发榜方确认后生效）。",
        "The department proposed the recommended list; it takes effect once the proposer "
        "confirms it.",
    )

    replaced: bool  # a new list replaced one not yet confirmed


@dataclass(frozen=True, kw_only=True)
class RecommendationConfirmed(RecommendationEvent):
    type: ClassVar[str] = "recommendation.confirmed"
    summary = (
        "推荐名单经联合确认生效：列入的申请为推荐，其余为未推荐；名单为空则流榜。",
        "The recommendation was jointly confirmed and took effect: the listed applications "
        "are recommended, the others not; an empty list failed the listing.",
    )

    not_recommended: int
    listing_failed: bool


@dataclass(frozen=True, kw_only=True)
class RecommendedWithoutReview(DomainEvent):
    type: ClassVar[str] = "listing.review_skipped"
    resource_type: ClassVar[str] = "listing"
    summary = (
        "应急类榜单由科技厅省略专家评审直接确定推荐名单（简化程序，已留痕）。",
        "The department recommended solvers for an emergency listing without an expert "
        "review (the simplified procedure, recorded).",
    )

    listing_id: uuid.UUID
    application_ids: list[uuid.UUID]  # best first; empty: no solver, the listing failed
    not_recommended: int
    listing_failed: bool
