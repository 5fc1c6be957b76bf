"""The facts applications publish (pure). Past tense, one class per fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from jiebang_api.applications.workflow import ApplicationStatus
from jiebang_api.events.base import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ApplicationEvent(DomainEvent):
    """What every application event carries: the application, its listing and lead, and the
    state it left and entered."""

    resource_type: ClassVar[str] = "application"

    application_id: uuid.UUID
    listing_id: uuid.UUID
    lead_org_id: uuid.UUID
    status: ApplicationStatus
    from_status: ApplicationStatus | None


@dataclass(frozen=True, kw_only=True)
class ApplicationCreated(ApplicationEvent):
    type: ClassVar[str] = "application.created"
    summary = ("揭榜申请草稿已创建。", "A draft application was created.")


@dataclass(frozen=True, kw_only=True)
class ApplicationUpdated(ApplicationEvent):
    type: ClassVar[str] = "application.updated"
    summary = ("揭榜申请草稿已修改。", "The draft application was edited.")

    fields: list[str]


@dataclass(frozen=True, kw_only=True)
class ApplicationSubmitted(ApplicationEvent):
    type: ClassVar[str] = "application.submitted"
    summary = ("揭榜申请已提交（资格审查通过）。", "The application was submitted (eligible).")


@dataclass(frozen=True, kw_only=True)
class ApplicationWithdrawn(ApplicationEvent):
    type: ClassVar[str] = "application.withdrawn"
    summary = ("揭榜申请已撤回。", "The application was withdrawn.")


@dataclass(frozen=True, kw_only=True)
class ApplicationReviewStarted(ApplicationEvent):
    type: ClassVar[str] = "application.review_started"
    summary = ("榜单截止，申请进入评审。", "The listing closed; the application is under review.")


@dataclass(frozen=True, kw_only=True)
class ApplicationCancelled(ApplicationEvent):
    type: ClassVar[str] = "application.cancelled"
    summary = (
        "榜单已取消，申请随之取消。",
        "The listing was cancelled, and the application with it.",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationRecommended(ApplicationEvent):
    type: ClassVar[str] = "application.recommended"
    summary = (
        "联合确认的推荐名单列入了该申请（附名次）。",
        "The jointly confirmed recommendation names the application, at its rank.",
    )

    rank: int


@dataclass(frozen=True, kw_only=True)
class ApplicationNotRecommended(ApplicationEvent):
    type: ClassVar[str] = "application.not_recommended"
    summary = (
        "联合确认的推荐名单未列入该申请。",
        "The jointly confirmed recommendation leaves the application out.",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationSelected(ApplicationEvent):
    type: ClassVar[str] = "application.selected"
    summary = (
        "揭榜成功：申请的协议和任务书已全部签署。",
        "The application won the listing: its agreement and task book are signed.",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationNotSelected(ApplicationEvent):
    type: ClassVar[str] = "application.not_selected"
    summary = (
        "申请未能揭榜成功（其协议被作废，或另一申请已签约）。",
        "The application did not win the listing (its agreement was annulled, or another "
        "application's was signed).",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationMemberEvent(ApplicationEvent):
    """A fact about one consortium member's invitation to the application."""

    member_org_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ApplicationMemberInvited(ApplicationMemberEvent):
    type: ClassVar[str] = "application.member_invited"
    summary = (
        "牵头单位邀请成员单位加入联合体（新增成员，或其预算份额已变更）。",
        "The lead invited an organisation to the consortium (a new member, or its budget "
        "share changed).",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationMemberAccepted(ApplicationMemberEvent):
    type: ClassVar[str] = "application.member_accepted"
    summary = (
        "成员单位管理员确认参加联合体。",
        "A manager of the member organisation accepted the invitation to the consortium.",
    )


@dataclass(frozen=True, kw_only=True)
class ApplicationMemberDeclined(ApplicationMemberEvent):
    type: ClassVar[str] = "application.member_declined"
    summary = (
        "成员单位管理员拒绝参加联合体（或撤回此前的确认）。",
        "A manager of the member organisation declined the invitation to the consortium (or "
        "took back its acceptance).",
    )
