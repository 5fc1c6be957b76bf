"""Working days of the PRC calendar: the package, the department's own notices, and
Monday–Friday for years nobody knows (said so)."""

from __future__ import annotations

from datetime import date

import pytest

from jiebang_api.kit.workdays import Calendar, CalendarSource, YearNotice


def test_five_working_days_after_the_national_day_holiday_of_2026() -> None:
    # Approved on Wednesday 2026-09-30; 1–7 October are holidays; Saturday 10 October is an
    # adjusted working day (调休), so it counts, and Sunday 11 October does not.
    period = Calendar().period_after(date(2026, 9, 30), 5)
    assert period.starts_on == date(2026, 10, 8)
    assert period.ends_on == date(2026, 10, 13)
    assert period.sources == {2026: CalendarSource.PACKAGE}
    assert not period.guessed


def test_an_ordinary_week() -> None:
    # Friday 2026-11-27: Monday 30 November to Friday 4 December.
    period = Calendar().period_after(date(2026, 11, 27), 5)
    assert (period.starts_on, period.ends_on) == (date(2026, 11, 30), date(2026, 12, 4))


def test_the_departments_notice_wins_over_the_package() -> None:
    # A notice for 2026 that (unlike the real one) declares no holiday at all.
    calendar = Calendar({2026: YearNotice(2026, frozenset(), frozenset())})
    assert calendar.source(2026) is CalendarSource.DEPARTMENT
    assert calendar.period_after(date(2026, 9, 30), 1).starts_on == date(2026, 10, 1)


def test_a_year_the_package_does_not_know_takes_the_departments_notice() -> None:
    notice = YearNotice(
        2031,
        holidays=frozenset({date(2031, 1, 1), date(2031, 1, 2)}),  # Wednesday, Thursday
        workdays=frozenset({date(2031, 1, 4)}),  # Saturday, worked
    )
    period = Calendar({2031: notice}).period_after(date(2030, 12, 31), 3)
    assert (period.starts_on, period.ends_on) == (date(2031, 1, 3), date(2031, 1, 6))
    assert period.sources == {2031: CalendarSource.DEPARTMENT}
    assert not period.guessed
    # From a day in 2030, which nobody knows, the count says it guessed for 2030.
    across = Calendar({2031: notice}).period_after(date(2030, 12, 27), 4)  # a Friday
    assert (across.starts_on, across.ends_on) == (date(2030, 12, 30), date(2031, 1, 4))
    assert across.sources == {2030: CalendarSource.WEEKDAYS, 2031: CalendarSource.DEPARTMENT}
    assert across.guessed


def test_a_year_nobody_knows_counts_monday_to_friday_and_says_so() -> None:
    calendar = Calendar()
    assert calendar.source(2031) is CalendarSource.WEEKDAYS
    period = calendar.period_after(date(2031, 1, 3), 2)  # a Friday
    assert (period.starts_on, period.ends_on) == (date(2031, 1, 6), date(2031, 1, 7))
    assert period.guessed


def test_a_period_has_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Calendar().period_after(date(2026, 1, 5), 0)


def test_the_notice_of_a_year_as_its_source_knows_it() -> None:
    calendar = Calendar({2031: YearNotice(2031, frozenset({date(2031, 1, 1)}), frozenset())})
    known = calendar.notice(2026)
    assert known is not None
    # 2026's National Day: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
    assert {date(2026, 10, d) for d in range(1, 8)} <= known.holidays
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= known.workdays
    assert all(d.year == 2026 for d in known.holidays | known.workdays)
    assert calendar.notice(2031) == calendar.notices[2031]
    assert calendar.notice(2030) is None
