"""The agreement's state machine and its two sides (第九条（六）（七）) — pure.

    draft ──confirm (both sides)──▶ confirmed ──submit──▶ submitted ──approve──▶ in_publicity
      ▲  (an edit clears the confirmations)                 │                       │ notice
      └──────────────── returned ◀──────return──────────────┘                       ▼ ends
                                              signed ◀──last signature── publicity_passed
    any state before `signed` ──abandon (the department)──▶ annulled

Each side confirms the terms once (a member of the side's organisation; the department for
the demand side of an emergency listing); the second confirmation makes it `confirmed`. The
notice passes when its period ends (time-driven). An emergency listing's agreement may skip
the notice (R-WF-EM-SIMPLIFIED): approved straight to `publicity_passed`, the skip audited.
The notice passed, the two sides sign the agreement and the task book, and the department
the task book; the last of the five signatures makes it `signed` (R-WF-SIGN-ALL).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine
from jiebang_api.listings.enums import ListingKind


@labelled(
    {
        "draft": ("协议草稿", "Draft"),
        "confirmed": ("双方已确认", "Confirmed by both sides"),
        "submitted": ("已提交科技厅审查", "Submitted to the department"),
        "returned": ("退回修改", "Returned for revision"),
        "in_publicity": ("公示中", "On public notice"),
        "publicity_passed": ("公示无异议", "Notice passed"),
        "signed": ("已签约", "Signed"),
        "annulled": ("已作废", "Annulled"),
    }
)
class AgreementStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    IN_PUBLICITY = "in_publicity"
    PUBLICITY_PASSED = "publicity_passed"
    SIGNED = "signed"
    ANNULLED = "annulled"


class AgreementAction(StrEnum):
    CONFIRM_ONE = "confirm_one"  # the first side's confirmation
    CONFIRM_BOTH = "confirm_both"  # the second side's
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    APPROVE_WITHOUT_NOTICE = "approve_without_notice"  # emergency (R-WF-EM-SIMPLIFIED)
    PASS_NOTICE = "pass_notice"  # noqa: S105 - internal: the notice period ended
    SIGN = "sign"  # a signature, not the last
    SIGN_LAST = "sign_last"  # the last signature: the project exists
    ABANDON = "abandon"


S, A = AgreementStatus, AgreementAction
_BEFORE_SIGNING = (
    S.DRAFT,
    S.CONFIRMED,
    S.SUBMITTED,
    S.RETURNED,
    S.IN_PUBLICITY,
    S.PUBLICITY_PASSED,
)

MACHINE: StateMachine[AgreementStatus, AgreementAction] = StateMachine(
    "agreement",
    {
        (S.DRAFT, A.CONFIRM_ONE): S.DRAFT,
        (S.RETURNED, A.CONFIRM_ONE): S.RETURNED,
        (S.DRAFT, A.CONFIRM_BOTH): S.CONFIRMED,
        (S.RETURNED, A.CONFIRM_BOTH): S.CONFIRMED,
        (S.CONFIRMED, A.SUBMIT): S.SUBMITTED,
        (S.SUBMITTED, A.RETURN): S.RETURNED,
        (S.SUBMITTED, A.APPROVE): S.IN_PUBLICITY,
        (S.SUBMITTED, A.APPROVE_WITHOUT_NOTICE): S.PUBLICITY_PASSED,
        (S.IN_PUBLICITY, A.PASS_NOTICE): S.PUBLICITY_PASSED,
        (S.PUBLICITY_PASSED, A.SIGN): S.PUBLICITY_PASSED,
        (S.PUBLICITY_PASSED, A.SIGN_LAST): S.SIGNED,
        **{(state, A.ABANDON): S.ANNULLED for state in _BEFORE_SIGNING},
    },
    operations={
        A.CONFIRM_ONE: "confirm",
        A.CONFIRM_BOTH: "confirm",
        A.APPROVE_WITHOUT_NOTICE: "approve",
        A.SIGN: "signatures",
        A.SIGN_LAST: "signatures",
    },
    internal={A.PASS_NOTICE},
)
EDITABLE = frozenset({S.DRAFT, S.RETURNED})


# Who stands for the demand side of an emergency listing, by name (public notices,
# announcements, public projects).
DEPARTMENT_NAME = "内蒙古自治区科学技术厅"


@labelled({"demand": ("需求方", "Demand side"), "supply": ("供给方", "Supply side")})
class Side(StrEnum):
    DEMAND = "demand"
    SUPPLY = "supply"


@dataclass(frozen=True)
class Sides:
    """Who the two sides are; `demand` is None where the department stands for it."""

    demand: uuid.UUID | None
    supply: uuid.UUID


def sides(kind: ListingKind, proposer_org_id: uuid.UUID | None, lead_org_id: uuid.UUID) -> Sides:
    """The demand and supply sides by the listing's kind: a technology breakthrough's
    proposer needs the solver's work; an achievement transfer's proposer supplies it to the
    solver; an emergency listing's demand side is the department."""
    if kind is ListingKind.ACHIEVEMENT_TRANSFER and proposer_org_id is not None:
        return Sides(demand=lead_org_id, supply=proposer_org_id)
    if kind is ListingKind.EMERGENCY:
        return Sides(demand=None, supply=lead_org_id)
    return Sides(demand=proposer_org_id, supply=lead_org_id)


@labelled(
    {
        "open": ("待处理", "Open"),
        "upheld": ("异议成立", "Upheld"),
        "dismissed": ("异议不成立", "Dismissed"),
    }
)
class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


@labelled({"individual": ("个人", "An individual"), "organization": ("单位", "An organisation")})
class FilerKind(StrEnum):
    INDIVIDUAL = "individual"
    ORGANIZATION = "organization"


@labelled(
    {
        "upcoming": ("即将公示", "Starts on its first working day"),
        "open": ("公示中，接受异议", "On notice: objections are taken"),
        "awaiting_decision": ("公示期满，异议待处理", "Ended; an objection awaits a decision"),
        "passed": ("公示无异议", "Passed with no objection standing"),
        "withdrawn": ("协议已作废", "Withdrawn: the agreement was annulled"),
    }
)
class NoticeState(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    AWAITING_DECISION = "awaiting_decision"
    PASSED = "passed"
    WITHDRAWN = "withdrawn"


@labelled({"agreement": ("揭榜协议", "The agreement"), "task_book": ("任务书", "The task book")})
class Document(StrEnum):
    AGREEMENT = "agreement"
    TASK_BOOK = "task_book"


@labelled(
    {
        "demand": ("需求方", "The demand side"),
        "supply": ("供给方", "The supply side"),
        "department": ("科技厅", "The department"),
    }
)
class Party(StrEnum):
    DEMAND = "demand"
    SUPPLY = "supply"
    DEPARTMENT = "department"


# R-WF-SIGN-ALL: the agreement by both sides, the task book by both sides and the department.
SIGNATURES_NEEDED = frozenset(
    {
        (Document.AGREEMENT, Party.DEMAND),
        (Document.AGREEMENT, Party.SUPPLY),
        (Document.TASK_BOOK, Party.DEMAND),
        (Document.TASK_BOOK, Party.SUPPLY),
        (Document.TASK_BOOK, Party.DEPARTMENT),
    }
)
