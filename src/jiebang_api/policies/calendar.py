"""The working-day calendar the service counts with: the department's record of each year's
holiday notice ahead of the `chinese-calendar` package (`kit.workdays`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.errors import InputInvalid, Message, Violation
from jiebang_api.kit.workdays import Calendar, CalendarSource, YearNotice
from jiebang_api.models import CalendarYear


def _notice(row: CalendarYear) -> YearNotice:
    return YearNotice(
        row.year,
        frozenset(date.fromisoformat(d) for d in row.holidays),
        frozenset(date.fromisoformat(d) for d in row.workdays),
    )


async def calendar(session: AsyncSession) -> Calendar:
    """The calendar with every year the department recorded."""
    rows = (await session.scalars(select(CalendarYear))).all()
    return Calendar({row.year: _notice(row) for row in rows})


@dataclass(frozen=True)
class YearView:
    year: int
    source: CalendarSource
    holidays: list[date]
    workdays: list[date]
    record: CalendarYear | None  # the department's, when there is one


async def _row(session: AsyncSession, year: int) -> CalendarYear | None:
    statement = select(CalendarYear).where(CalendarYear.year == year)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_year(session: AsyncSession, *, principal: Principal, year: int) -> YearView:
    """The year's holidays and worked weekend days, and where they come from (admin)."""
    policy.require(principal, Permission.MANAGE_POLICY)
    known = await calendar(session)
    notice = known.notice(year)
    return YearView(
        year,
        known.source(year),
        sorted(notice.holidays) if notice else [],
        sorted(notice.workdays) if notice else [],
        await _row(session, year),
    )


def _check(year: int, holidays: Sequence[date], workdays: Sequence[date]) -> list[Violation]:
    found = []
    for name, days in (("holidays", holidays), ("workdays", workdays)):
        for n, day in enumerate(days):
            if day.year != year:
                found.append(
                    Violation(
                        Message(f"日期不在 {year} 年。", f"The date is not in {year}."),
                        field=f"body.{name}.{n}",
                    )
                )
            elif day in days[:n]:
                found.append(
                    Violation(Message("重复列出。", "Listed twice."), field=f"body.{name}.{n}")
                )
    for n, day in enumerate(workdays):
        if day.weekday() < 5:
            found.append(
                Violation(
                    Message(
                        "调休上班日须为周末。",
                        "A working day in lieu is a Saturday or a Sunday.",
                    ),
                    field=f"body.workdays.{n}",
                )
            )
        elif day in holidays:
            found.append(
                Violation(
                    Message("同一天不能既放假又上班。", "A day cannot be both off and worked."),
                    field=f"body.workdays.{n}",
                )
            )
    return found


async def put_year(
    session: AsyncSession,
    *,
    principal: Principal,
    year: int,
    holidays: Sequence[date],
    workdays: Sequence[date],
    document_ref: str,
    now: datetime,
) -> YearView:
    """Record (or replace) the year's notice (admin): it wins over the package from now on;
    periods already counted keep their dates. Audited with the old and new days."""
    policy.require(principal, Permission.MANAGE_POLICY)
    found = _check(year, holidays, workdays)
    if found:
        raise InputInvalid(violations=found)
    row = await _row(session, year)
    if row is None:
        row = CalendarYear(id=uuid.uuid4(), year=year)
        session.add(row)
    row.holidays = sorted(d.isoformat() for d in holidays)
    row.workdays = sorted(d.isoformat() for d in workdays)
    row.document_ref = document_ref
    row.updated_by = principal.user_id
    await session.flush()
    await audit.record(
        session,
        actor=principal.actor,
        action="calendar_year.put",
        resource_type="calendar_year",
        resource_id=row.id,
        now=now,
        data={"year": year, "document_ref": document_ref},
    )
    return await get_year(session, principal=principal, year=year)
