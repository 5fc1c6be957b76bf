"""The public notice of an agreement (公示, 第九条（七）) — pure.

The notice runs for the policy version's number of working days of the PRC calendar,
starting on the first working day after the department approves the agreement; objections
are taken until the end of its last day in Asia/Shanghai. When that instant has passed and
no objection is open (R-WF-PUBLICITY; an upheld one annuls the agreement), the notice has
passed. While an objection is open, the notice waits for the department's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from jiebang_api.agreements.workflow import AgreementAction, AgreementStatus, NoticeState
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.deadlines import Deadline
from jiebang_api.kit.workdays import Calendar, CalendarSource

DEFAULT_WORKING_DAYS = 5


@dataclass(frozen=True)
class Notice:
    starts_on: date
    ends_on: date
    objections_close_at: datetime  # exclusive: the first instant after the last day
    sources: dict[str, CalendarSource]

    @property
    def guessed(self) -> bool:
        """Some year was counted Monday–Friday: nobody knew its holidays."""
        return CalendarSource.WEEKDAYS in self.sources.values()


def end_of_day(day: date) -> datetime:
    """The first instant after `day` in Asia/Shanghai (in UTC, as instants are kept)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def notice_after(calendar: Calendar, approved_on: date, working_days: int) -> Notice:
    """The notice of an agreement approved on `approved_on` (a Shanghai date)."""
    period = calendar.period_after(approved_on, working_days)
    return Notice(
        period.starts_on,
        period.ends_on,
        end_of_day(period.ends_on),
        {str(year): source for year, source in period.sources.items()},
    )


class Scheduled(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def publicity_starts_on(self) -> date | None: ...
    @property
    def objections_close_at(self) -> datetime | None: ...
    @property
    def open_objections(self) -> int: ...


def next_deadline(agreement: Scheduled) -> Deadline[AgreementAction] | None:
    """The next step time takes on its own: the notice passes when its period has ended,
    unless an objection is still open (then the department's decision moves it on)."""
    closes = agreement.objections_close_at
    if (
        AgreementStatus(agreement.status) is AgreementStatus.IN_PUBLICITY
        and closes is not None
        and not agreement.open_objections
    ):
        return Deadline(closes, AgreementAction.PASS_NOTICE)
    return None


def accepts_objections(agreement: Scheduled, now: datetime) -> bool:
    """Whether `now` is inside the notice period: from the start of its first day to the
    end of its last (Asia/Shanghai)."""
    starts_on, closes = agreement.publicity_starts_on, agreement.objections_close_at
    if AgreementStatus(agreement.status) is not AgreementStatus.IN_PUBLICITY:
        return False
    if starts_on is None or closes is None:
        return False
    opens = end_of_day(starts_on - timedelta(days=1))
    return opens <= now < closes


def effective_status(agreement: Scheduled, now: datetime) -> AgreementStatus:
    """The status as of `now`: a notice whose period has ended reads as passed before the
    worker (or the next change) records it."""
    due = next_deadline(agreement)
    if due is not None and due.due_at <= now:
        return AgreementStatus.PUBLICITY_PASSED
    return AgreementStatus(agreement.status)


def state(agreement: Scheduled, now: datetime) -> NoticeState:
    """Where the public notice of an agreement that went on notice stands at `now`."""
    status = effective_status(agreement, now)
    if status is AgreementStatus.ANNULLED:
        return NoticeState.WITHDRAWN
    if status is not AgreementStatus.IN_PUBLICITY:
        return NoticeState.PASSED
    if accepts_objections(agreement, now):
        return NoticeState.OPEN
    closes = agreement.objections_close_at
    if closes is not None and now >= closes:
        return NoticeState.AWAITING_DECISION
    return NoticeState.UPCOMING
