"""The facts listings publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from jiebang_api.events.base import DomainEvent
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingAction, ListingStatus


@dataclass(frozen=True, kw_only=True)
class ListingEvent(DomainEvent):
    """What every listing event carries: the listing, and the state it left and entered."""

    resource_type: ClassVar[str] = "listing"

    listing_id: uuid.UUID
    code: str
    kind: ListingKind
    status: ListingStatus
    from_status: ListingStatus | None


@dataclass(frozen=True, kw_only=True)
class ListingCreated(ListingEvent):
    type: ClassVar[str] = "listing.created"
    summary = ("榜单草稿已创建。", "A draft listing was created.")


@dataclass(frozen=True, kw_only=True)
class ListingUpdated(ListingEvent):
    type: ClassVar[str] = "listing.updated"
    summary = ("榜单文本已修改。", "The listing's text was edited.")

    fields: list[str]


@dataclass(frozen=True, kw_only=True)
class ListingSubmitted(ListingEvent):
    type: ClassVar[str] = "listing.submitted"
    summary = ("发榜单位已提交榜单。", "The proposer submitted the listing.")


@dataclass(frozen=True, kw_only=True)
class ListingScreened(ListingEvent):
    type: ClassVar[str] = "listing.screened"
    summary = ("榜单通过初筛，进入论证。", "The listing passed screening and goes to assessment.")


@dataclass(frozen=True, kw_only=True)
class ListingRejected(ListingEvent):
    type: ClassVar[str] = "listing.rejected"
    summary = ("榜单未通过初筛或论证。", "The listing failed screening or assessment.")


@dataclass(frozen=True, kw_only=True)
class ListingAssessed(ListingEvent):
    type: ClassVar[str] = "listing.assessed"
    summary = ("已记录一条论证意见。", "An assessment opinion was recorded.")

    conclusion: str


@dataclass(frozen=True, kw_only=True)
class ListingApproved(ListingEvent):
    type: ClassVar[str] = "listing.approved"
    summary = ("榜单论证通过。", "The listing was approved.")


@dataclass(frozen=True, kw_only=True)
class ListingReturned(ListingEvent):
    type: ClassVar[str] = "listing.returned"
    summary = ("榜单退回修改。", "The listing was returned for revision.")


@dataclass(frozen=True, kw_only=True)
class ListingConfirmed(ListingEvent):
    type: ClassVar[str] = "listing.confirmed"
    summary = ("发榜单位已确认榜单终稿。", "The proposer confirmed the final text.")


@dataclass(frozen=True, kw_only=True)
class ListingPublished(ListingEvent):
    type: ClassVar[str] = "listing.published"
    summary = ("榜单已发布，揭榜期限开始。", "The listing was published with its window.")

    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True, kw_only=True)
class ListingClosed(ListingEvent):
    type: ClassVar[str] = "listing.closed"
    summary = (
        "揭榜截止（期限届满或科技厅关闭）。",
        "Applications closed (window ended or closed).",
    )


@dataclass(frozen=True, kw_only=True)
class ListingWithdrawn(ListingEvent):
    type: ClassVar[str] = "listing.withdrawn"
    summary = ("发榜单位撤回了榜单。", "The proposer withdrew the listing.")


@dataclass(frozen=True, kw_only=True)
class ListingCancelled(ListingEvent):
    type: ClassVar[str] = "listing.cancelled"
    summary = ("科技厅取消了榜单。", "The department cancelled the listing.")


@dataclass(frozen=True, kw_only=True)
class ListingFailed(ListingEvent):
    type: ClassVar[str] = "listing.failed"
    summary = (
        "流榜：联合确认的推荐名单为空，或已无推荐申请可签约。",
        "The listing failed: the confirmed recommendation named no solver, or no "
        "recommended application is left to sign.",
    )


@dataclass(frozen=True, kw_only=True)
class ListingAwarded(ListingEvent):
    type: ClassVar[str] = "listing.awarded"
    summary = (
        "揭榜成功：揭榜协议和任务书全部签署，项目立项。",
        "The listing was awarded: the agreement and the task book are signed, the project exists.",
    )


# The event each plain workflow step publishes.
BY_ACTION: dict[ListingAction, type[ListingEvent]] = {
    ListingAction.SUBMIT: ListingSubmitted,
    ListingAction.SCREEN_PASS: ListingScreened,
    ListingAction.SCREEN_FAIL: ListingRejected,
    ListingAction.REJECT: ListingRejected,
    ListingAction.APPROVE: ListingApproved,
    ListingAction.RETURN: ListingReturned,
    ListingAction.CONFIRM: ListingConfirmed,
    ListingAction.CLOSE: ListingClosed,
    ListingAction.WITHDRAW: ListingWithdrawn,
    ListingAction.CANCEL: ListingCancelled,
    ListingAction.FAIL: ListingFailed,
    ListingAction.AWARD: ListingAwarded,
}
