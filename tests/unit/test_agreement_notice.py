"""The public notice's period and the instant objections close, with the dates spelled out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from jiebang_api.agreements import notice
from jiebang_api.agreements.workflow import AgreementAction
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.workdays import Calendar, CalendarSource


def test_an_agreement_approved_on_30_september_2026() -> None:
    # Five working days after the National Day holiday (1–7 October): Thursday 8, Friday 9,
    # Saturday 10 (worked in lieu), Monday 12, Tuesday 13 October.
    found = notice.notice_after(Calendar(), date(2026, 9, 30), 5)
    assert (found.starts_on, found.ends_on) == (date(2026, 10, 8), date(2026, 10, 13))
    # Objections until 2026-10-13 23:59:59 in Asia/Shanghai, i.e. 15:59:59 UTC.
    last = datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)
    assert last < found.objections_close_at <= last + timedelta(seconds=1)
    assert found.objections_close_at == datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    assert found.sources == {"2026": CalendarSource.PACKAGE}
    assert not found.guessed


def test_a_year_nobody_knows_is_said_to_be_guessed() -> None:
    found = notice.notice_after(Calendar(), date(2031, 3, 6), 5)  # a Thursday
    assert (found.starts_on, found.ends_on) == (date(2031, 3, 7), date(2031, 3, 13))
    assert found.guessed


@dataclass
class Row:
    status: str
    objections_close_at: datetime | None
    open_objections: int = 0
    publicity_starts_on: date | None = None


def test_only_a_notice_in_progress_has_a_deadline() -> None:
    closes = datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    due = notice.next_deadline(Row("in_publicity", closes))
    assert due is not None
    assert (due.due_at, due.action) == (closes, AgreementAction.PASS_NOTICE)
    assert notice.next_deadline(Row("publicity_passed", closes)) is None
    assert notice.next_deadline(Row("submitted", None)) is None


def test_an_open_objection_holds_the_notice_until_the_department_decides() -> None:
    closes = datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    held = Row("in_publicity", closes, open_objections=1)
    assert notice.next_deadline(held) is None
    assert notice.effective_status(held, closes + timedelta(days=30)) == "in_publicity"
    assert notice.effective_status(Row("in_publicity", closes), closes) == "publicity_passed"


def test_objections_are_taken_from_the_first_day_to_the_end_of_the_last() -> None:
    found = notice.notice_after(Calendar(), date(2026, 9, 30), 5)
    row = Row("in_publicity", found.objections_close_at, publicity_starts_on=found.starts_on)
    first = datetime(2026, 10, 8, 0, 0, tzinfo=SHANGHAI)
    assert not notice.accepts_objections(row, first - timedelta(seconds=1))
    assert notice.accepts_objections(row, first)
    assert notice.accepts_objections(row, datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI))
    assert not notice.accepts_objections(row, datetime(2026, 10, 14, 0, 0, tzinfo=SHANGHAI))
    assert not notice.accepts_objections(
        Row("publicity_passed", found.objections_close_at, publicity_starts_on=found.starts_on),
        first,
    )
