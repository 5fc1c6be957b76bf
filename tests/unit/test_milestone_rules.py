"""A project's milestones and reports as rules (pure): when a milestone becomes overdue (the
end of its due day in Shanghai), what the sweep records and when it looks next, and what a
project's reports still owe before acceptance (`outstanding_of`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from jiebang_api.projects import milestones
from jiebang_api.projects.milestones import MilestoneStatus
from jiebang_api.projects.workflow import ProjectStatus


@dataclass
class M:
    seq: int
    due_on: date
    status: str = "pending"
    title: str = "中试"
    overdue_recorded_at: datetime | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class R:
    kind: str
    created_at: datetime
    review_outcome: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


DUE = date(2028, 3, 31)
# The end of 31 March in Shanghai is 16:00 UTC that day.
END_OF_DAY = datetime(2028, 3, 31, 16, 0, tzinfo=UTC)
T0 = datetime(2027, 10, 1, 2, 0, tzinfo=UTC)


def test_a_milestone_is_due_by_the_end_of_its_day_in_shanghai() -> None:
    assert milestones.due_at(DUE) == END_OF_DAY


@pytest.mark.parametrize(
    ("now", "status", "expected"),
    [
        (END_OF_DAY - timedelta(microseconds=1), "pending", MilestoneStatus.PENDING),
        (END_OF_DAY, "pending", MilestoneStatus.OVERDUE),
        (END_OF_DAY + timedelta(days=400), "pending", MilestoneStatus.OVERDUE),
        (END_OF_DAY + timedelta(days=1), "met", MilestoneStatus.MET),
        (END_OF_DAY - timedelta(days=1), "met", MilestoneStatus.MET),
    ],
)
def test_the_effective_status(now: datetime, status: str, expected: MilestoneStatus) -> None:
    assert milestones.status_at(M(1, DUE, status), now) is expected


def test_the_sweep_records_each_overdue_milestone_once_and_looks_next_at_the_earliest() -> None:
    first, second, met = M(1, DUE), M(2, DUE + timedelta(days=30)), M(3, DUE, "met")
    rows = [second, met, first]
    assert milestones.next_check(rows) == END_OF_DAY
    assert milestones.newly_overdue(rows, END_OF_DAY - timedelta(seconds=1)) == []
    assert milestones.newly_overdue(rows, END_OF_DAY) == [first]
    first.overdue_recorded_at = END_OF_DAY
    assert milestones.newly_overdue(rows, END_OF_DAY + timedelta(days=60)) == [second]
    assert milestones.next_check(rows) == milestones.due_at(second.due_on)
    second.status = "met"
    assert milestones.next_check(rows) is None


@pytest.mark.parametrize(
    ("status", "now", "overdue"),
    [
        (ProjectStatus.IN_PROGRESS, END_OF_DAY - timedelta(microseconds=1), False),
        (ProjectStatus.IN_PROGRESS, END_OF_DAY, True),
        (ProjectStatus.ACCEPTANCE_REQUESTED, END_OF_DAY + timedelta(days=9), False),
        (ProjectStatus.SUSPENDED, END_OF_DAY + timedelta(days=9), False),
        (ProjectStatus.COMPLETED, END_OF_DAY + timedelta(days=9), False),
    ],
)
def test_acceptance_is_overdue_after_the_last_day_while_nobody_asked_for_it(
    status: ProjectStatus, now: datetime, overdue: bool
) -> None:
    """第十四条: acceptance is organised in time; a project that ran to the end of its last
    day (Shanghai) still in progress has its acceptance overdue."""
    assert milestones.acceptance_overdue(status, DUE, now) is overdue


def test_the_sweep_also_looks_at_the_project_s_end() -> None:
    later = M(1, DUE + timedelta(days=30))
    assert milestones.next_check([later], acceptance_due_on=DUE) == END_OF_DAY
    assert milestones.next_check([M(1, DUE - timedelta(days=1))], acceptance_due_on=DUE) == (
        END_OF_DAY - timedelta(days=1)
    )
    assert milestones.next_check([], acceptance_due_on=DUE) == END_OF_DAY
    assert milestones.next_check([]) is None


def test_the_day_of_a_report_is_shanghai_s() -> None:
    assert milestones.today(datetime(2027, 12, 31, 16, 30, tzinfo=UTC)) == date(2028, 1, 1)


def test_nothing_outstanding_when_every_milestone_is_met_and_no_revision_is_owed() -> None:
    reports = [
        R("progress", T0, "needs_revision"),
        R("progress", T0 + timedelta(days=1)),
        R("expenditure", T0 + timedelta(days=2), "accepted"),
    ]
    assert milestones.outstanding_of([M(1, DUE, "met"), M(2, DUE, "met")], reports) == []
    assert milestones.outstanding_of([], []) == []


def test_each_unmet_milestone_is_outstanding_in_order() -> None:
    found = milestones.outstanding_of([M(2, DUE, title="验收"), M(1, DUE), M(3, DUE, "met")], [])
    assert [v.field for v in found] == ["milestones", "milestones"]
    assert found[0].message.en == "Milestone 1 (中试, due 2028-03-31) is not met."
    assert "里程碑 2「验收」尚未完成" in found[1].message.zh
    assert all(v.rule is None for v in found)


def test_a_returned_report_without_a_later_one_of_its_kind_is_outstanding() -> None:
    returned = R("expenditure", T0, "needs_revision")
    # A later progress report does not answer a returned expenditure report.
    reports = [returned, R("progress", T0 + timedelta(days=1))]
    found = milestones.outstanding_of([], reports)
    assert [v.field for v in found] == ["reports"]
    assert str(returned.id) in found[0].message.en
    assert "expenditure report" in found[0].message.en
    assert "经费支出报告" in found[0].message.zh
    # A later one of its kind does, even before it is reviewed; an earlier one does not.
    assert milestones.outstanding_of([], [*reports, R("expenditure", T0 + timedelta(2))]) == []
    earlier = R("expenditure", T0 - timedelta(days=1))
    assert len(milestones.outstanding_of([], [earlier, *reports])) == 1


def test_the_last_revision_of_a_kind_counts() -> None:
    reports = [
        R("progress", T0, "needs_revision"),
        R("progress", T0 + timedelta(days=1), "needs_revision"),
    ]
    found = milestones.outstanding_of([], reports)
    assert len(found) == 1
    assert str(reports[1].id) in found[0].message.en
