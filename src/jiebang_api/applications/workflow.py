"""The application state machine (DESIGN §4), and the consortium members' consent — pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

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
    RECOMMEND = "recommend"  # the review's recommendation, confirmed, names it
    NOT_RECOMMEND = "not_recommend"  # … or leaves it out
    SELECT = "select"  # its agreement was signed
    NOT_SELECT = "not_select"  # its agreement was annulled, or another one's signed


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
        (S.UNDER_REVIEW, A.RECOMMEND): S.RECOMMENDED,
        (S.UNDER_REVIEW, A.NOT_RECOMMEND): S.NOT_RECOMMENDED,
        (S.RECOMMENDED, A.SELECT): S.SELECTED,
        (S.RECOMMENDED, A.NOT_SELECT): S.UNSUCCESSFUL,
        (S.NOT_RECOMMENDED, A.NOT_SELECT): S.UNSUCCESSFUL,
    },
    # Only submit and withdraw are the applicant's operations; the rest follow the listing,
    # its review and the agreement.
    internal={A.START_REVIEW, A.CANCEL, A.RECOMMEND, A.NOT_RECOMMEND, A.SELECT, A.NOT_SELECT},
)


# --- consortium consent ------------------------------------------------------------------
#
# Every consortium member of an application is invited: a manager of the member organisation
# accepts or declines for it (R-APP-MEMBER-CONSENT). The answer is kept on the member entry of
# the application's `members`, with who gave it and when.


@labelled(
    {
        "invited": ("已邀请，待答复", "Invited, no answer yet"),
        "accepted": ("已确认参加", "Accepted"),
        "declined": ("已拒绝参加", "Declined"),
    }
)
class ConsortiumConsent(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ConsortiumAnswer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


C, Answer = ConsortiumConsent, ConsortiumAnswer

# An acceptance may be taken back (declined) while the application is a draft; a decline
# stands until the lead removes the member, or invites it again on another share.
CONSENT: StateMachine[ConsortiumConsent, ConsortiumAnswer] = StateMachine(
    "consortium_invitation",
    {
        (C.INVITED, Answer.ACCEPT): C.ACCEPTED,
        (C.INVITED, Answer.DECLINE): C.DECLINED,
        (C.ACCEPTED, Answer.DECLINE): C.DECLINED,
    },
)
UNANSWERED: dict[str, Any] = {"consent": C.INVITED.value, "decided_by": None, "decided_at": None}


def consent_of(member: Mapping[str, Any]) -> ConsortiumConsent:
    """A member entry's answer; an entry written before invitations existed is unanswered."""
    return ConsortiumConsent(member.get("consent") or C.INVITED.value)


def _same_share(a: Any, b: Any) -> bool:
    return Decimal(str(a)) == Decimal(str(b))


def invite(
    previous: Sequence[Mapping[str, Any]], proposed: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The members after the lead's edit, and the organisations (re)invited by it: a member
    already there on the same budget share keeps its answer (a new role does not change what
    it agreed to pay for); an added member, or one whose share changed, is invited afresh."""
    before = {str(m["org_id"]): m for m in previous}
    members, invited = [], []
    for entry in proposed:
        org_id = str(entry["org_id"])
        old = before.get(org_id)
        terms = {k: entry[k] for k in ("org_id", "role", "budget_share")}
        if old is not None and _same_share(old["budget_share"], entry["budget_share"]):
            answer = {k: old.get(k) for k in UNANSWERED}
            answer["consent"] = consent_of(old).value
            members.append({**terms, **answer})
        else:
            members.append({**terms, **UNANSWERED})
            invited.append(org_id)
    return members, invited


def answered(
    members: Sequence[Mapping[str, Any]],
    org_id: str,
    answer: ConsortiumAnswer,
    *,
    by: str | None,
    at: str,
) -> tuple[list[dict[str, Any]], ConsortiumConsent]:
    """The members with `org_id`'s answer recorded, and the state it left (InvalidTransition
    when the answer is not open to it)."""
    result: list[dict[str, Any]] = []
    before = None
    for entry in members_of(members):
        if entry["org_id"] == org_id:
            before = consent_of(entry)
            after = CONSENT.next_state(before, answer)
            entry = {**entry, "consent": after.value, "decided_by": by, "decided_at": at}
        result.append(entry)
    if before is None:
        raise KeyError(org_id)
    return result, before


def members_of(members: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each member entry with its answer spelled out (older entries have none: invited)."""
    return [
        {
            **{k: m.get(k) for k in UNANSWERED},
            **m,
            "org_id": str(m["org_id"]),
            "consent": consent_of(m).value,
        }
        for m in members
    ]


def unaccepted(members: Sequence[Mapping[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The members (with their place in the list) that have not accepted: submission waits
    for them, or for the lead to remove a member that declined."""
    return [(n, m) for n, m in enumerate(members_of(members)) if m["consent"] != C.ACCEPTED.value]
