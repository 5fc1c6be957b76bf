"""Working days of the PRC calendar (pure): public holidays and the adjusted working days
(调休) that the State Council announces each year.

For each year the first source that knows it wins: the department's own record of the
year's notice (kept by the service, for years the package does not know yet), then the
`chinese-calendar` package, then plain Monday–Friday, which the caller must say it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "department": ("科技厅登记的国务院放假通知", "The department's record of the notice"),
        "package": ("chinese-calendar 数据", "The chinese-calendar package"),
        "weekdays": ("未知年份：按周一至周五计", "Unknown year: Monday to Friday"),
    }
)
class CalendarSource(StrEnum):
    DEPARTMENT = "department"
    PACKAGE = "package"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class YearNotice:
    """One year's holidays and adjusted working days (weekend days worked), as announced."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5


@dataclass(frozen=True)
class Period:
    """A run of working days: the first and the last, and where each year's days came from."""

    starts_on: date
    ends_on: date
    sources: Mapping[int, CalendarSource]

    @property
    def guessed(self) -> bool:
        """Whether some year of it was counted Monday–Friday (no notice known)."""
        return CalendarSource.WEEKDAYS in self.sources.values()


@dataclass
class Calendar:
    """Working days, with the department's notices (by year) ahead of the package."""

    notices: Mapping[int, YearNotice] = field(default_factory=dict)

    def source(self, year: int) -> CalendarSource:
        if year in self.notices:
            return CalendarSource.DEPARTMENT
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return CalendarSource.WEEKDAYS
        return CalendarSource.PACKAGE

    def notice(self, year: int) -> YearNotice | None:
        """The year's holidays and adjusted working days as the winning source knows them
        (None: nobody knows the year)."""
        source = self.source(year)
        if source is CalendarSource.DEPARTMENT:
            return self.notices[year]
        if source is CalendarSource.WEEKDAYS:
            return None
        return YearNotice(
            year,
            frozenset(d for d in chinese_calendar.holidays if d.year == year),
            frozenset(d for d in chinese_calendar.workdays if d.year == year),
        )

    def is_workday(self, day: date) -> bool:
        source = self.source(day.year)
        if source is CalendarSource.DEPARTMENT:
            return self.notices[day.year].is_workday(day)
        if source is CalendarSource.PACKAGE:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def period_after(self, day: date, working_days: int) -> Period:
        """`working_days` working days, starting on the first working day after `day`."""
        if working_days < 1:
            raise ValueError("a period has at least one working day")
        start = end = self.next_workday(day)
        for _ in range(working_days - 1):
            end = self.next_workday(end)
        years = range((day + timedelta(days=1)).year, end.year + 1)  # every year consulted
        return Period(start, end, {year: self.source(year) for year in years})
