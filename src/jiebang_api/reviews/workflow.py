"""The review round's and the assignment's state machines (第九条（五）) — pure.

    open ──close──▶ closed ──propose──▶ recommendation_proposed ──confirm──▶ …_confirmed
                                          └─propose (a new list)─┘

The department proposes the ordered list of recommended applications from the results; it
takes effect only when a proposer's reviewer named on the round confirms it (the department
alone for an emergency listing): R-WF-RECOMMEND-JOINT. Until then the department may propose
again, and the new list replaces the old one.
"""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine


@labelled(
    {
        "open": ("评分中", "Open: the experts score"),
        "closed": ("评分结束，已汇总排序", "Closed: aggregated and ranked"),
        "recommendation_proposed": ("已提出推荐名单", "Recommendation proposed"),
        "recommendation_confirmed": ("推荐名单已确认", "Recommendation confirmed"),
    }
)
class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    RECOMMENDATION_PROPOSED = "recommendation_proposed"
    RECOMMENDATION_CONFIRMED = "recommendation_confirmed"


class RoundAction(StrEnum):
    CLOSE = "close"
    PROPOSE = "propose"
    CONFIRM = "confirm"


R, RA = RoundStatus, RoundAction

ROUND: StateMachine[RoundStatus, RoundAction] = StateMachine(
    "review_round",
    {
        (R.OPEN, RA.CLOSE): R.CLOSED,
        (R.CLOSED, RA.PROPOSE): R.RECOMMENDATION_PROPOSED,
        (R.RECOMMENDATION_PROPOSED, RA.PROPOSE): R.RECOMMENDATION_PROPOSED,
        (R.RECOMMENDATION_PROPOSED, RA.CONFIRM): R.RECOMMENDATION_CONFIRMED,
    },
    operations={RA.PROPOSE: "recommendation", RA.CONFIRM: "recommendation/confirm"},
)


@labelled(
    {
        "assigned": ("待评审", "Assigned: not answered yet"),
        "scored": ("已评分", "Scored"),
        "declined": ("已回避", "Declined (a conflict of interest the expert declared)"),
    }
)
class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    SCORED = "scored"
    DECLINED = "declined"


class AssignmentAction(StrEnum):
    SCORE = "score"
    DECLINE = "decline"


ASSIGNMENT: StateMachine[AssignmentStatus, AssignmentAction] = StateMachine(
    "review_assignment",
    {
        (AssignmentStatus.ASSIGNED, AssignmentAction.SCORE): AssignmentStatus.SCORED,
        (AssignmentStatus.ASSIGNED, AssignmentAction.DECLINE): AssignmentStatus.DECLINED,
    },
    operations={AssignmentAction.SCORE: "scores"},
)
