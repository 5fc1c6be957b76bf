"""The application state machine (DESIGN §4) — pure."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine


@labelled(
    {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "under_review": ("评审中", "Under review"),
        "recommended": ("推荐", "Recommended"),
        "not_recommended": ("未推荐", "Not recommended"),
        "selected": ("揭榜成功", "Selected"),
        "unsuccessful": ("未成功", "Unsuccessful"),
        "withdrawn": ("已撤回", "Withdrawn"),
        "cancelled": ("榜单已取消", "Cancelled with its listing"),
    }
)
class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RECOMMENDED = "recommended"
    NOT_RECOMMENDED = "not_recommended"
    SELECTED = "selected"
    UNSUCCESSFUL = "unsuccessful"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class ApplicationAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    START_REVIEW = "start_review"  # the listing closed: submitted applications go to review
    CANCEL = "cancel"  # the listing was cancelled


S, A = ApplicationStatus, ApplicationAction

MACHINE: StateMachine[ApplicationStatus, ApplicationAction] = StateMachine(
    "application",
    {
        (S.DRAFT, A.SUBMIT): S.SUBMITTED,
        (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
        (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
        (S.SUBMITTED, A.START_REVIEW): S.UNDER_REVIEW,
        (S.DRAFT, A.CANCEL): S.CANCELLED,
        (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    },
)
