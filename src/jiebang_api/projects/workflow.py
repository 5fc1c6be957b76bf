"""The project's states (DESIGN §4) — pure. A project starts `in_progress` when the last
signature is in; the later states come with funding, acceptance and termination."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled


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
