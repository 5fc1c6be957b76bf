"""A change request's kinds, reasons and states (R-CHG-FORCE-MAJEURE, 第十六条) — pure.

    awaiting_consent ──the other side consents──▶ awaiting_approval ──approve──▶ approved
           │                                              │
           └──────────────reject (the department)─────────┴──reject──▶ rejected

The filing side consents by filing. Where the other side is the department (the demand side
of an emergency project), its approval is that side's consent: the request awaits approval
at once.
"""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine


@labelled({"extension": ("延期", "Extension"), "termination": ("终止", "Termination")})
class ChangeKind(StrEnum):
    EXTENSION = "extension"
    TERMINATION = "termination"


@labelled(
    {
        "force_majeure": ("不可抗力", "Force majeure"),
        "other": ("其他原因（不予受理）", "Another reason (refused)"),
    }
)
class ReasonCategory(StrEnum):
    """Why a change is asked for: only force majeure qualifies (第十六条)."""

    FORCE_MAJEURE = "force_majeure"
    OTHER = "other"


@labelled(
    {
        "awaiting_consent": ("待另一方同意", "Awaiting the other side's consent"),
        "awaiting_approval": ("待科技厅审核", "Awaiting the department's approval"),
        "approved": ("已批准", "Approved"),
        "rejected": ("未批准", "Rejected"),
    }
)
class ChangeStatus(StrEnum):
    AWAITING_CONSENT = "awaiting_consent"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"


class ChangeAction(StrEnum):
    CONSENT = "consent"
    APPROVE = "approve"
    REJECT = "reject"


S, A = ChangeStatus, ChangeAction
OPEN = (S.AWAITING_CONSENT, S.AWAITING_APPROVAL)

MACHINE: StateMachine[ChangeStatus, ChangeAction] = StateMachine(
    "change_request",
    {
        (S.AWAITING_CONSENT, A.CONSENT): S.AWAITING_APPROVAL,
        (S.AWAITING_CONSENT, A.REJECT): S.REJECTED,
        (S.AWAITING_APPROVAL, A.APPROVE): S.APPROVED,
        (S.AWAITING_APPROVAL, A.REJECT): S.REJECTED,
    },
)


def status_at_filing(*, other_side_is_department: bool) -> ChangeStatus:
    """A new request awaits the other side's consent, or straight the department's approval
    where the department is that other side."""
    return S.AWAITING_APPROVAL if other_side_is_department else S.AWAITING_CONSENT
