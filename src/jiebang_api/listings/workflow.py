"""The listing state machine (Art. 9 (1)–(3); DESIGN §4) — pure.

    draft ──submit──▶ submitted ──screen_pass──▶ under_assessment ──approve──▶ approved
      ▲                  │  └─screen_fail─▶ rejected ◀──reject──┘                │
      └──(edit)── returned ◀──return── (submitted, under_assessment, approved)   confirm
                                                                                  ▼
        closed ◀──close── published ◀──────────────publish────────────────── confirmed
          └──fail──▶ failed (流榜: the confirmed recommendation named no solver)

Emergency listings (R-WF-EM-SIMPLIFIED) are the department's own: it may approve a draft and
publish without the proposer's confirmation; every skipped step is recorded in the audit.
Withdrawal (proposer) is possible before publication, cancellation (department) until close.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine
from jiebang_api.listings.enums import ListingKind


@labelled(
    {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "under_assessment": ("论证中", "Under assessment"),
        "returned": ("退回修改", "Returned for revision"),
        "approved": ("论证通过", "Approved"),
        "confirmed": ("发榜方已确认", "Confirmed by the proposer"),
        "published": ("已发布", "Published"),
        "closed": ("揭榜截止", "Closed"),
        "awarded": ("已揭榜", "Awarded"),
        "failed": ("流榜", "Failed"),
        "rejected": ("未通过", "Rejected"),
        "withdrawn": ("已撤回", "Withdrawn"),
        "cancelled": ("已取消", "Cancelled"),
    }
)
class ListingStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_ASSESSMENT = "under_assessment"
    RETURNED = "returned"
    APPROVED = "approved"
    CONFIRMED = "confirmed"
    PUBLISHED = "published"
    CLOSED = "closed"
    AWARDED = "awarded"
    FAILED = "failed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


@labelled(
    {
        "submit": ("提交", "Submit"),
        "screen_pass": ("初筛通过", "Pass screening"),
        "screen_fail": ("初筛未通过", "Fail screening"),
        "assess": ("论证意见", "Add an assessment"),
        "approve": ("论证通过", "Approve"),
        "reject": ("不予通过", "Reject"),
        "return": ("退回修改", "Return for revision"),
        "confirm": ("确认榜单文本", "Confirm the final text"),
        "publish": ("发布", "Publish"),
        "close": ("截止", "Close"),
        "withdraw": ("撤回", "Withdraw"),
        "cancel": ("取消", "Cancel"),
        "fail": ("流榜", "Fail: no solver recommended"),
        "award": ("揭榜成功", "Award: the solver's agreement is signed"),
    }
)
class ListingAction(StrEnum):
    SUBMIT = "submit"
    SCREEN_PASS = "screen_pass"  # noqa: S105 - an action, not a secret
    SCREEN_FAIL = "screen_fail"
    ASSESS = "assess"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    CONFIRM = "confirm"
    PUBLISH = "publish"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"
    FAIL = "fail"  # internal: the review's confirmed recommendation is empty
    AWARD = "award"  # internal: the last signature on a solver's agreement is in


S, A = ListingStatus, ListingAction

_BEFORE_PUBLICATION = (
    S.DRAFT,
    S.RETURNED,
    S.SUBMITTED,
    S.UNDER_ASSESSMENT,
    S.APPROVED,
    S.CONFIRMED,
)

_COMMON: dict[tuple[ListingStatus, ListingAction], ListingStatus] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.SCREEN_PASS): S.UNDER_ASSESSMENT,
    (S.SUBMITTED, A.SCREEN_FAIL): S.REJECTED,
    (S.UNDER_ASSESSMENT, A.ASSESS): S.UNDER_ASSESSMENT,
    (S.UNDER_ASSESSMENT, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.UNDER_ASSESSMENT, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.UNDER_ASSESSMENT, A.RETURN): S.RETURNED,
    (S.APPROVED, A.RETURN): S.RETURNED,
    (S.APPROVED, A.CONFIRM): S.CONFIRMED,
    (S.CONFIRMED, A.PUBLISH): S.PUBLISHED,
    (S.PUBLISHED, A.CLOSE): S.CLOSED,
    (S.CLOSED, A.FAIL): S.FAILED,
    (S.CLOSED, A.AWARD): S.AWARDED,
    **{(state, A.WITHDRAW): S.WITHDRAWN for state in _BEFORE_PUBLICATION},
    **{(state, A.CANCEL): S.CANCELLED for state in (*_BEFORE_PUBLICATION, S.PUBLISHED)},
}

# R-WF-EM-SIMPLIFIED: the department approves its own draft and publishes without confirmation.
_EMERGENCY_SHORTCUTS = {
    (S.DRAFT, A.APPROVE): S.APPROVED,
    (S.APPROVED, A.PUBLISH): S.PUBLISHED,
}

# The API operation of each action whose name differs: POST /listings/{id}/{operation}.
OPERATIONS = {A.SCREEN_PASS: "screen", A.SCREEN_FAIL: "screen", A.ASSESS: "assessments"}
# Actions no listing operation offers: another use case takes them.
INTERNAL = frozenset({A.FAIL, A.AWARD})
ORDINARY = StateMachine("listing", _COMMON, operations=OPERATIONS, internal=INTERNAL)
EMERGENCY = StateMachine(
    "listing", {**_COMMON, **_EMERGENCY_SHORTCUTS}, operations=OPERATIONS, internal=INTERNAL
)

# Steps an emergency shortcut skips, recorded in the audit trail.
SKIPPED_BY_SHORTCUT = {
    (S.DRAFT, A.APPROVE): ["submit", "screen", "assess"],
    (S.APPROVED, A.PUBLISH): ["confirm"],
}

EDITABLE_BY_PROPOSER = frozenset({S.DRAFT, S.RETURNED})
# The department settles the final text with the proposer (Art. 9 (3)) until publication.
EDITABLE_BY_DEPARTMENT = frozenset(
    {S.DRAFT, S.RETURNED, S.SUBMITTED, S.UNDER_ASSESSMENT, S.APPROVED, S.CONFIRMED}
)
PUBLIC = frozenset({S.PUBLISHED, S.CLOSED, S.AWARDED, S.FAILED})


def machine(kind: ListingKind) -> StateMachine[ListingStatus, ListingAction]:
    return EMERGENCY if kind is ListingKind.EMERGENCY else ORDINARY


# R-WF-PUBLISH-JOINT: the states in which an ordinary listing still lacks the proposer's
# confirmation of its final text (and could yet get it).
AWAITING_CONFIRMATION = frozenset(
    {S.DRAFT, S.RETURNED, S.SUBMITTED, S.UNDER_ASSESSMENT, S.APPROVED}
)


def awaits_confirmation(kind: ListingKind, status: ListingStatus) -> bool:
    """Whether publishing now would skip the proposer's confirmation (emergency listings
    need none: R-WF-EM-SIMPLIFIED)."""
    return kind is not ListingKind.EMERGENCY and status in AWAITING_CONFIRMATION


def after_edit(status: ListingStatus) -> ListingStatus:
    """An edit of confirmed text clears the confirmation (R-WF-PUBLISH-JOINT)."""
    return S.APPROVED if status is S.CONFIRMED else status


def effective_status(
    status: ListingStatus, closes_at: datetime | None, now: datetime
) -> ListingStatus:
    """A published listing whose window has ended reads as closed at once (R-LIST-WINDOW)."""
    if status is S.PUBLISHED and closes_at is not None and now >= closes_at:
        return S.CLOSED
    return status
