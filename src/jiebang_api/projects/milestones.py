"""A project's milestones and reports, as rules (pure).

A milestone is due by the end of its `due_on` in the region's time zone (kit.clock.SHANGHAI):
it is `overdue` from that instant while not met. Reads compute it; the sweep records, once
per milestone, that it became overdue, and the project's `next_check_at` is the earliest due
instant of a pending milestone not yet recorded — or of its end, when it is still in progress
there and its acceptance is overdue (recorded once too). A project's reports are up to date when
every milestone is met and no report returned for revision lacks a later one of its kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import Message, Violation
from jiebang_api.kit.labels import labelled
from jiebang_api.projects.workflow import ProjectStatus


@labelled(
    {
        "pending": ("未完成", "Pending"),
        "met": ("已完成", "Met"),
        "overdue": ("已逾期", "Overdue"),
    }
)
class MilestoneStatus(StrEnum):
    """A milestone as read: `overdue` is `pending` past the end of its due day."""

    PENDING = "pending"
    MET = "met"
    OVERDUE = "overdue"


@labelled(
    {
        "met": ("已完成", "Met"),
        "on_track": ("按计划推进", "On track"),
        "delayed": ("滞后", "Delayed"),
    }
)
class MilestoneProgress(StrEnum):
    """What a report says of a milestone; `met` marks it met."""

    MET = "met"
    ON_TRACK = "on_track"
    DELAYED = "delayed"


@labelled(
    {
        "progress": ("进展报告", "Progress report"),
        "expenditure": ("经费支出报告", "Expenditure report"),
    }
)
class ReportKind(StrEnum):
    PROGRESS = "progress"
    EXPENDITURE = "expenditure"


@labelled(
    {
        "accepted": ("审查通过", "Accepted"),
        "needs_revision": ("退回修改", "Needs revision"),
    }
)
class ReviewOutcome(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_REVISION = "needs_revision"


# Where the sides report: while the project runs, waits for or has passed acceptance, and
# while suspended or being terminated (what was done and spent is still owed).
REPORTABLE = frozenset(
    {
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.ACCEPTANCE_REQUESTED,
        ProjectStatus.ACCEPTED,
        ProjectStatus.SUSPENDED,
        ProjectStatus.TERMINATING,
    }
)
# Where nothing more falls due: the sweep records no overdue milestone on these.
FINISHED = frozenset({ProjectStatus.COMPLETED, ProjectStatus.CLOSED, ProjectStatus.TERMINATED})


class MilestoneLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def seq(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def due_on(self) -> date: ...
    @property
    def status(self) -> str: ...
    @property
    def overdue_recorded_at(self) -> datetime | None: ...


class ReportLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def review_outcome(self) -> str | None: ...


M = TypeVar("M", bound=MilestoneLike)


def due_at(due_on: date) -> datetime:
    """The instant a milestone due on `due_on` becomes overdue: the end of that day in
    Shanghai (the next midnight there)."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def today(now: datetime) -> date:
    """The region's calendar day at `now` (a report's date, a milestone's `met_on`)."""
    return now.astimezone(SHANGHAI).date()


def is_overdue(milestone: MilestoneLike, now: datetime) -> bool:
    return milestone.status != MilestoneStatus.MET and now >= due_at(milestone.due_on)


def status_at(milestone: MilestoneLike, now: datetime) -> MilestoneStatus:
    """The milestone's effective status at `now`."""
    if milestone.status == MilestoneStatus.MET:
        return MilestoneStatus.MET
    return MilestoneStatus.OVERDUE if is_overdue(milestone, now) else MilestoneStatus.PENDING


def newly_overdue(milestones: Iterable[M], now: datetime) -> list[M]:
    """The milestones overdue at `now` that the sweep has not recorded yet, in order."""
    found = [m for m in milestones if is_overdue(m, now) and m.overdue_recorded_at is None]
    return sorted(found, key=lambda m: m.seq)


def acceptance_overdue(status: ProjectStatus, end_on: date, now: datetime) -> bool:
    """Whether the project's acceptance is overdue at `now` (第十四条: acceptance is organised
    in time): it ran to the end of its last day and is still in progress, no acceptance
    requested."""
    return status is ProjectStatus.IN_PROGRESS and now >= due_at(end_on)


def next_check(
    milestones: Iterable[MilestoneLike], *, acceptance_due_on: date | None = None
) -> datetime | None:
    """What goes into the project's `next_check_at`: the earliest due instant of a pending
    milestone not yet recorded overdue, or of the acceptance (`acceptance_due_on`, the
    project's end, while it is awaited and not yet recorded); None when there is none."""
    due = [
        due_at(m.due_on)
        for m in milestones
        if m.status != MilestoneStatus.MET and m.overdue_recorded_at is None
    ]
    if acceptance_due_on is not None:
        due.append(due_at(acceptance_due_on))
    return min(due, default=None)


def not_met(milestone: MilestoneLike) -> Violation:
    return Violation(
        Message(
            f"里程碑 {milestone.seq}「{milestone.title}」尚未完成"
            f"（计划 {milestone.due_on.isoformat()}）。",
            f"Milestone {milestone.seq} ({milestone.title}, due "
            f"{milestone.due_on.isoformat()}) is not met.",
        ),
        field="milestones",
    )


def revision_owed(report: ReportLike) -> Violation:
    kind = ReportKind(report.kind)
    zh, en = {
        ReportKind.PROGRESS: ("进展报告", "progress report"),
        ReportKind.EXPENDITURE: ("经费支出报告", "expenditure report"),
    }[kind]
    return Violation(
        Message(
            f"{zh} {report.id} 被退回修改，尚未提交新的{zh}。",
            f"The {en} {report.id} was returned for revision and no later {en} was submitted.",
        ),
        field="reports",
    )


def outstanding_of(
    milestones: Sequence[MilestoneLike], reports: Sequence[ReportLike]
) -> list[Violation]:
    """What keeps a project's reports from being up to date (empty when they are): each
    milestone not met, then each report returned for revision without a later report of
    the same kind."""
    found = [not_met(m) for m in sorted(milestones, key=lambda m: m.seq) if m.status != "met"]
    ordered = sorted(reports, key=lambda r: (r.created_at, r.id))
    for position, report in enumerate(ordered):
        if report.review_outcome != ReviewOutcome.NEEDS_REVISION:
            continue
        if not any(later.kind == report.kind for later in ordered[position + 1 :]):
            found.append(revision_owed(report))
    return found
