"""The working-day calendar: the package's years, the department's records of later notices,
and Monday–Friday (said so) for years nobody knows."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from factories import Sessions, bearer, create_user
from jiebang_api.models import AuditEntry

# Years the tests record: far from any year a period here counts (the database is shared).
RECORDED, OTHER = 2041, 2042


async def test_a_year_the_package_knows(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get("/api/v1/calendar/2026", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "package"
    assert {"2026-10-01", "2026-10-07"} <= set(body["holidays"])
    assert {"2026-09-20", "2026-10-10"} <= set(body["workdays"])  # worked in lieu
    assert body["document_ref"] is None


async def test_a_year_nobody_knows_says_it_counts_weekdays(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    body = (await client.get(f"/api/v1/calendar/{OTHER}", headers=admin_headers)).json()
    assert (body["source"], body["holidays"], body["workdays"]) == ("weekdays", [], [])


async def test_the_department_records_a_years_notice(
    client: httpx.AsyncClient, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    notice = {
        "holidays": [f"{RECORDED}-01-01", f"{RECORDED}-10-01"],
        "workdays": [f"{RECORDED}-09-29"],  # a Sunday
        "document_ref": "国办发明电〔2040〕1号",
    }
    put = await client.put(f"/api/v1/calendar/{RECORDED}", json=notice, headers=admin_headers)
    assert put.status_code == 200, put.text
    read = (await client.get(f"/api/v1/calendar/{RECORDED}", headers=admin_headers)).json()
    assert read["source"] == "department"
    assert (read["holidays"], read["workdays"]) == (notice["holidays"], notice["workdays"])
    assert read["document_ref"] == "国办发明电〔2040〕1号"
    async with sessions() as session:
        entries = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "calendar_year.put")
        )
        recorded = [e.data for e in entries if e.data["year"] == RECORDED]
    assert recorded == [{"year": RECORDED, "document_ref": "国办发明电〔2040〕1号"}]


async def test_a_notice_is_checked_day_by_day(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    wrong = {
        "holidays": [f"{OTHER}-01-01", f"{OTHER + 1}-01-01"],
        "workdays": [f"{OTHER}-01-02", f"{OTHER}-01-01"],  # a Thursday; a holiday
        "document_ref": "x",
    }
    response = await client.put(f"/api/v1/calendar/{OTHER}", json=wrong, headers=admin_headers)
    assert (response.status_code, response.json()["code"]) == (422, "VALIDATION_FAILED")
    assert [(v["field"], v["message_en"]) for v in response.json()["violations"]] == [
        ("body.holidays.1", f"The date is not in {OTHER}."),
        ("body.workdays.0", "A working day in lieu is a Saturday or a Sunday."),
        ("body.workdays.1", "A working day in lieu is a Saturday or a Sunday."),
    ]
    kept = (await client.get(f"/api/v1/calendar/{OTHER}", headers=admin_headers)).json()
    assert kept["source"] == "weekdays"  # nothing recorded


async def test_only_the_department_keeps_the_calendar(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    member = bearer(app, await create_user(sessions))
    for method in ("GET", "PUT"):
        body = {"holidays": [], "workdays": [], "document_ref": "x"} if method == "PUT" else None
        response = await client.request(
            method, f"/api/v1/calendar/{OTHER}", json=body, headers=member
        )
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert (await client.get(f"/api/v1/calendar/{OTHER}")).status_code == 401
    out_of_range = await client.get("/api/v1/calendar/1999", headers=member)
    assert out_of_range.status_code == 422
