"""An emergency listing's recommendation without an expert review (第九条, R-WF-EM-SIMPLIFIED):
the department may shorten an emergency listing's procedure to the steps it chooses; once
the window has closed it names the recommended applications itself, best first, and the
skipped review is recorded. Every other listing is reviewed by experts and its
recommendation confirmed jointly (R-WF-RECOMMEND-JOINT)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications import service as applications_service
from jiebang_api.applications.workflow import ApplicationStatus
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, InputInvalid, Message, NotFound, Violation
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus
from jiebang_api.reviews import events as reviews_events
from jiebang_api.reviews import repository as reviews_repository
from jiebang_api.reviews.service import NOT_CLOSED, ROUND_EXISTS

SIMPLIFIED, ARTICLE = "R-WF-EM-SIMPLIFIED", "第九条"
ONLY_EMERGENCY = Message(
    "只有应急类榜单可以省略专家评审；其他榜单须经专家评审并由科技厅与发榜方联合确定。",
    "Only an emergency listing may skip the expert review; every other listing is reviewed "
    "by experts and its recommendation confirmed jointly.",
)
WHY = "科技厅简化程序直接确定推荐名单（第九条）"


@dataclass(frozen=True)
class DirectRecommendation:
    listing_id: uuid.UUID
    application_ids: list[uuid.UUID]
    not_recommended: int
    listing_failed: bool


def _check(application_ids: Sequence[uuid.UUID], under_review: set[uuid.UUID]) -> None:
    """Each application once, each of the listing's under review (422 otherwise)."""
    found: list[Violation] = []
    for n, app_id in enumerate(application_ids):
        where = f"body.application_ids.{n}"
        if app_id in application_ids[:n]:
            found.append(Violation(Message("重复列出。", "Listed twice."), field=where))
        elif app_id not in under_review:
            found.append(
                Violation(
                    Message("不是本榜单评审中的申请。", "Not an application under review here."),
                    field=where,
                )
            )
    if found:
        raise InputInvalid(violations=found)


async def recommend(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    application_ids: Sequence[uuid.UUID],
    reason: str,
    now: datetime,
) -> DirectRecommendation:
    """Recommend an emergency listing's applications without a review (the department)."""
    policy.require(principal, Permission.USE_API)
    if await listings_repository.one(session, listing_id) is None:
        raise NotFound()
    policy.require(principal, Permission.MANAGE_REVIEWS)
    listing = await listings_repository.get_for_update(session, listing_id)
    if listing is None:
        raise NotFound()
    if ListingKind(listing.kind) is not ListingKind.EMERGENCY:
        raise Conflict(
            ONLY_EMERGENCY,
            violations=[Violation(ONLY_EMERGENCY, rule=SIMPLIFIED, article=ARTICLE)],
        )
    await listings_service.run_deadlines(session, listing, now)  # an ended window closes first
    if listing.status != ListingStatus.CLOSED:
        raise Conflict(NOT_CLOSED, extensions={"current_state": listing.status})
    if await reviews_repository.of_listing(session, listing.id) is not None:
        raise Conflict(ROUND_EXISTS)
    apps = await applications_repository.of_listing_for_update(session, listing.id)
    _check(application_ids, {a.id for a in apps if a.status == ApplicationStatus.UNDER_REVIEW})
    ranked = list(application_ids)
    _, not_recommended = await applications_service.follow_recommendation(
        session, principal=principal, listing_id=listing.id, ranked=ranked, reason=WHY, now=now
    )
    data = {
        "skipped_steps": ["review_round", "joint_confirmation"],
        "rule": SIMPLIFIED,
        "application_ids": [str(a) for a in ranked],
    }
    if not ranked:
        await listings_service.fail(session, principal, listing.id, data=data, now=now)
    await events.record(
        session,
        reviews_events.RecommendedWithoutReview(
            occurred_at=now,
            listing_id=listing.id,
            application_ids=ranked,
            not_recommended=not_recommended,
            listing_failed=not ranked,
        ),
        actor=principal.actor,
        action="listing.recommend_without_review",
        from_state=ListingStatus.CLOSED.value,
        to_state=listing.status,
        reason=reason,
        data=data,
    )
    return DirectRecommendation(listing.id, ranked, not_recommended, not ranked)
