"""The project's state machine (DESIGN §4) — pure.

    in_progress ──request_acceptance──▶ acceptance_requested ──pass──▶ accepted ──final
         │                                        │ fail                   tranche──▶ completed
         │                                        ▼
         │                              acceptance_failed ──close──▶ closed
         └─termination approved (R-CHG-FORCE-MAJEURE)──▶ terminating ──recovered or
                                                                written off──▶ terminated
    in_progress, acceptance_requested, accepted, terminating ──misconduct case opened──▶
    suspended ──case cleared──▶ back to where it was (R-INTEG-MISCONDUCT, a reading)

A project starts `in_progress` when the last signature is in. An approved extension keeps
it `in_progress` and moves its end date. Most steps are taken by other use cases (the final
tranche completes the project, a misconduct case suspends it): those actions are internal.
"""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled
from jiebang_api.kit.statemachine import StateMachine


@labelled(
    {
        "in_progress": ("实施中", "In progress"),
        "acceptance_requested": ("已申请验收", "Acceptance requested"),
        "accepted": ("验收通过", "Accepted"),
        "acceptance_failed": ("验收未通过", "Acceptance failed"),
        "completed": ("已完成", "Completed"),
        "closed": ("已结项", "Closed"),
        "suspended": ("已暂停", "Suspended"),
        "terminating": ("终止中", "Terminating"),
        "terminated": ("已终止", "Terminated"),
    }
)
class ProjectStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    ACCEPTANCE_REQUESTED = "acceptance_requested"
    ACCEPTED = "accepted"
    ACCEPTANCE_FAILED = "acceptance_failed"
    COMPLETED = "completed"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    TERMINATING = "terminating"
    TERMINATED = "terminated"


class ProjectAction(StrEnum):
    REQUEST_ACCEPTANCE = "request_acceptance"
    PASS_ACCEPTANCE = "pass_acceptance"  # noqa: S105 - an action, not a secret
    FAIL_ACCEPTANCE = "fail_acceptance"
    CLOSE = "close"  # internal: a failed acceptance closes the project without the rest
    COMPLETE = "complete"  # internal: the final tranche is paid
    EXTEND = "extend"  # internal: an approved extension
    TERMINATE = "terminate"  # internal: an approved termination (or a sanction)
    FINISH_TERMINATION = "finish_termination"  # internal: recovered or written off
    SUSPEND = "suspend"  # internal: a misconduct case is opened
    RESUME = "resume"  # internal: the last open case is closed; back to where it was


S, A = ProjectStatus, ProjectAction
# Where a misconduct case may suspend a project, and where clearing it returns it.
SUSPENDABLE = (S.IN_PROGRESS, S.ACCEPTANCE_REQUESTED, S.ACCEPTED, S.TERMINATING)
# Where a party may still ask for an extension or a termination.
CHANGEABLE = (S.IN_PROGRESS,)

MACHINE: StateMachine[ProjectStatus, ProjectAction] = StateMachine(
    "project",
    {
        (S.IN_PROGRESS, A.REQUEST_ACCEPTANCE): S.ACCEPTANCE_REQUESTED,
        (S.ACCEPTANCE_REQUESTED, A.PASS_ACCEPTANCE): S.ACCEPTED,
        (S.ACCEPTANCE_REQUESTED, A.FAIL_ACCEPTANCE): S.ACCEPTANCE_FAILED,
        (S.ACCEPTANCE_FAILED, A.CLOSE): S.CLOSED,
        (S.ACCEPTED, A.COMPLETE): S.COMPLETED,
        (S.IN_PROGRESS, A.EXTEND): S.IN_PROGRESS,
        **{(state, A.TERMINATE): S.TERMINATING for state in CHANGEABLE},
        (S.TERMINATING, A.FINISH_TERMINATION): S.TERMINATED,
        **{(state, A.SUSPEND): S.SUSPENDED for state in SUSPENDABLE},
        # The table's target is the usual one; `transitions.move` returns the project to the
        # state it was suspended from.
        (S.SUSPENDED, A.RESUME): S.IN_PROGRESS,
    },
    operations={
        A.REQUEST_ACCEPTANCE: "acceptance",
        A.PASS_ACCEPTANCE: "acceptance_result",
        A.FAIL_ACCEPTANCE: "acceptance_result",
    },
    internal={
        A.CLOSE,
        A.COMPLETE,
        A.EXTEND,
        A.TERMINATE,
        A.FINISH_TERMINATION,
        A.SUSPEND,
        A.RESUME,
    },
)
# Nothing more is paid out on these (R-INTEG-MISCONDUCT, R-CHG-FORCE-MAJEURE, 第十六条).
FROZEN = frozenset({S.SUSPENDED, S.TERMINATING, S.TERMINATED})
