"""The working-day calendar: the department's record of each year's holiday notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from jiebang_api.api.deps import NowDep, PrincipalDep, SessionDep
from jiebang_api.api.problems import problems
from jiebang_api.api.routing import StrictRouter
from jiebang_api.api.v1.schemas.calendar import CalendarYearIn, CalendarYearOut
from jiebang_api.policies import calendar as calendars

router = StrictRouter(prefix="/calendar", tags=["meta"])
Year = Annotated[int, Path(ge=2000, le=2100, description="The calendar year, e.g. 2027.")]


def _out(view: calendars.YearView) -> CalendarYearOut:
    record = view.record
    return CalendarYearOut(
        year=view.year,
        source=view.source,
        holidays=view.holidays,
        workdays=view.workdays,
        document_ref=record.document_ref if record else None,
        updated_by=record.updated_by if record else None,
        updated_at=record.updated_at if record else None,
    )


@router.get(
    "/{year}",
    response_model=CalendarYearOut,
    summary="A year's public holidays and working days in lieu (admin)",
    description="What the service counts working days with (a public notice's period): the "
    "department's record of the year's State Council notice when there is one, else the "
    "`chinese-calendar` package (which knows the years up to 2026), else plain Monday to "
    "Friday (`source: weekdays`, with both lists empty).",
    responses=problems(401, 403, 422),
)
async def get_calendar_year(
    year: Year, session: SessionDep, principal: PrincipalDep
) -> CalendarYearOut:
    return _out(await calendars.get_year(session, principal=principal, year=year))


@router.put(
    "/{year}",
    response_model=CalendarYearOut,
    summary="Record a year's holiday notice (admin)",
    description="The public holidays and the weekend days worked in lieu (调休) of the year, "
    "as the State Council's notice lists them, with the notice's reference. It replaces any "
    "earlier record of the year and wins over the package; periods counted before keep their "
    "dates. Each date must lie in the year, once; a day worked in lieu is a Saturday or "
    "Sunday and not also a holiday (422 at the date otherwise). Audited.",
    responses=problems(401, 403, 422),
)
async def put_calendar_year(
    year: Year, body: CalendarYearIn, session: SessionDep, principal: PrincipalDep, now: NowDep
) -> CalendarYearOut:
    view = await calendars.put_year(
        session,
        principal=principal,
        year=year,
        holidays=body.holidays,
        workdays=body.workdays,
        document_ref=body.document_ref,
        now=now,
    )
    return _out(view)
