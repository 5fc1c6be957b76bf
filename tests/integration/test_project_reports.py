"""A project's milestones and reports over HTTP (第十三条, 第十四条): the sides report progress
and spending, a `met` update meets a milestone, spending never passes what was disbursed
(R-FUND-USE) even under concurrent reports, the department or an agency entrusted with
reports reviews them once (R-MGMT-AGENCY), the sweep records an overdue milestone once, and
the projects list filters on overdue milestones."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from factories import (
    Sessions,
    add_member,
    bearer,
    create_organization,
    create_project,
    create_user,
)
from jiebang_api import wiring
from jiebang_api.kit import sweep
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.models import (
    AuditEntry,
    Event,
    Organization,
    Project,
    ProjectMilestone,
    ProjectReport,
)
from jiebang_api.projects import reports
from jiebang_api.projects import repository as projects_repository

# Long past and far ahead: no other test's milestone falls due before PAST's sweep.
PAST = date(2001, 3, 31)
LATER = date(2001, 6, 30)
FUTURE = date(2099, 12, 31)


@dataclass
class Scene:
    project: Project
    demand: Organization
    supply: Organization
    demand_headers: dict[str, str]
    supply_headers: dict[str, str]
    milestones: list[ProjectMilestone]

    @property
    def path(self) -> str:
        return f"/api/v1/projects/{self.project.id}"


async def plan(sessions: Sessions, project: Project, *due: date) -> list[ProjectMilestone]:
    """The milestones the last signature would copy from the agreement, one per due day."""
    agreed = [
        {"title": f"节点{i}", "due_on": d.isoformat(), "deliverable": "报告", "kpi": "达标"}
        for i, d in enumerate(due, start=1)
    ]
    async with sessions() as session:
        row = await session.get(Project, project.id)
        assert row is not None
        rows = await reports.plan(session, row, agreed)
        await session.commit()
    return rows


async def scene(
    app: FastAPI,
    sessions: Sessions,
    *due: date,
    disbursed: str = "300000.00",
    status: str = "in_progress",
) -> Scene:
    at_demand, at_supply = await create_user(sessions), await create_user(sessions)
    demand = await create_organization(sessions, manager=at_demand)
    supply = await create_organization(sessions, manager=at_supply)
    project = await create_project(
        sessions,
        demand,
        supply,
        subsidy=Decimal("1000000.00"),
        disbursed=Decimal(disbursed),
        end_on=FUTURE,  # its acceptance is never due in these tests
    )
    if status != "in_progress":
        async with sessions() as session:
            row = await session.get(Project, project.id)
            assert row is not None
            row.status = status
            await session.commit()
    rows = await plan(sessions, project, *(due or (FUTURE,)))
    return Scene(project, demand, supply, bearer(app, at_demand), bearer(app, at_supply), rows)


def progress(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "progress",
        "period_start": "2027-04-01",
        "period_end": "2027-09-30",
        "summary": "第一阶段完成。",
        **overrides,
    }


def spending(*amounts: str, **overrides: Any) -> dict[str, Any]:
    return progress(
        kind="expenditure",
        expenditures=[{"category": "key_tech_rd", "amount": a} for a in amounts],
        **overrides,
    )


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def cited(response: httpx.Response) -> list[str | None]:
    return [v.get("rule") for v in response.json()["violations"]]


def fields(response: httpx.Response) -> list[str | None]:
    return [v.get("field") for v in response.json()["violations"]]


async def review(
    client: httpx.AsyncClient, report_id: str, headers: dict[str, str], outcome: str = "accepted"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/reports/{report_id}/review",
        json={"outcome": outcome, "comment": "意见"},
        headers=headers,
    )


async def agency_headers(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin: dict[str, str],
    project: Project,
    *scope: str,
) -> dict[str, str]:
    """A user with the agency role, of an agency organisation the department entrusts with
    `scope` on the project."""
    user = await create_user(sessions, roles=("agency",))
    agency = await create_organization(sessions, type="agency")
    await add_member(sessions, agency, user)
    entrusted = await client.post(
        f"/api/v1/projects/{project.id}/entrustments",
        json={"agency_org_id": str(agency.id), "scope": list(scope)},
        headers=admin,
    )
    assert entrusted.status_code == 201, entrusted.text
    return bearer(app, user)


async def test_a_side_reports_and_meets_a_milestone_and_the_department_reviews_once(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, FUTURE, FUTURE + timedelta(days=1))
    listed = await client.get(f"{s.path}/milestones", headers=s.supply_headers)
    assert listed.status_code == 200, listed.text
    assert [(m["seq"], m["status"]) for m in listed.json()["items"]] == [
        (1, "pending"),
        (2, "pending"),
    ]
    first = listed.json()["items"][0]["id"]
    body = progress(
        milestone_updates=[{"milestone_id": first, "status": "met", "note": "中试完成"}]
    )
    made = await client.post(f"{s.path}/reports", json=body, headers=s.supply_headers)
    assert made.status_code == 201, made.text
    report = made.json()
    assert made.headers["location"] == f"/api/v1/reports/{report['id']}"
    today = datetime.now(SHANGHAI).date().isoformat()
    assert (report["status"], report["spent"], report["submitted_on"]) == (
        "submitted",
        "0.00",
        today,
    )
    after = (await client.get(f"{s.path}/milestones", headers=admin_headers)).json()["items"]
    assert [(m["status"], m["met_on"]) for m in after] == [("met", today), ("pending", None)]
    assert (after[0]["last_progress"], after[0]["last_note"]) == ("met", "中试完成")
    assert after[0]["last_report_id"] == report["id"]
    # Either side and the department read it; the list pages.
    read = await client.get(f"/api/v1/reports/{report['id']}", headers=s.demand_headers)
    assert read.json() == report
    page = await client.get(f"{s.path}/reports?limit=1", headers=admin_headers)
    assert [r["id"] for r in page.json()["items"]] == [report["id"]]
    assert page.json()["next_cursor"] is None
    # The sides do not review; the department does, once.
    side = await review(client, report["id"], s.supply_headers)
    assert (side.status_code, side.json()["code"]) == (403, "FORBIDDEN")
    reviewed = await review(client, report["id"], admin_headers)
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["status"], reviewed.json()["review_comment"]) == ("accepted", "意见")
    again = await review(client, report["id"], admin_headers, "needs_revision")
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    async with sessions() as session:
        kinds = Counter(
            await session.scalars(select(Event.type).where(Event.resource_id == report["id"]))
        )
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.resource_id == report["id"])
            )
        )
    assert (kinds["report.submitted"], kinds["report.reviewed"]) == (1, 1)
    assert actions == {"report.submit", "report.review"}


async def test_a_report_s_shape_is_checked_at_its_fields(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    other = await scene(app, sessions)
    where, h = f"{s.path}/reports", s.demand_headers

    wrong_category = spending("1.00")
    wrong_category["expenditures"][0]["category"] = "entertainment"
    refused = await client.post(where, json=wrong_category, headers=h)
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED")
    assert "body.expenditures.0.category" in fields(refused)

    for body, field in (
        (progress(period_end="2027-03-31"), "body.period_end"),
        (
            progress(expenditures=[{"category": "pilot_test", "amount": "1.00"}]),
            "body.expenditures",
        ),
        (spending(), "body.expenditures"),
        (
            progress(
                milestone_updates=[{"milestone_id": str(other.milestones[0].id), "status": "met"}]
            ),
            "body.milestone_updates.0.milestone_id",
        ),
        (progress(attachment_ids=[str(uuid.uuid4())]), "body.attachment_ids"),
    ):
        refused = await client.post(where, json=body, headers=h)
        assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED"), body
        assert field in fields(refused), refused.text
    assert (await client.get(where, headers=h)).json()["items"] == []
    # Each category of Art. 13 is accepted.
    categories = [
        "key_tech_rd",
        "pilot_test",
        "new_product_dev",
        "promotion_risk_compensation",
        "standard_setting",
    ]
    lines = [{"category": c, "amount": "10.00"} for c in categories]
    made = await client.post(
        where, json=progress(kind="expenditure", expenditures=lines), headers=h
    )
    assert (made.status_code, made.json()["spent"]) == (201, "50.00")


async def test_spending_never_passes_what_was_disbursed(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, disbursed="300000.00")
    where = f"{s.path}/reports"
    first = await client.post(
        where, json=spending("150000.00", "50000.00"), headers=s.demand_headers
    )
    assert (first.status_code, first.json()["spent"]) == (201, "200000.00")
    over = await client.post(where, json=spending("100000.01"), headers=s.supply_headers)
    assert (over.status_code, over.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(over) == ["R-FUND-USE"]
    assert over.json()["violations"][0]["article"] == "第十三条"
    exactly = await client.post(where, json=spending("100000.00"), headers=s.supply_headers)
    assert exactly.status_code == 201, exactly.text
    # A report returned for revision no longer counts: its corrected version takes its place.
    returned = await review(client, first.json()["id"], admin_headers, "needs_revision")
    assert returned.json()["status"] == "needs_revision"
    corrected = await client.post(where, json=spending("200000.00"), headers=s.demand_headers)
    assert corrected.status_code == 201, corrected.text
    nothing_paid = await scene(app, sessions, disbursed="0")
    refused = await client.post(
        f"{nothing_paid.path}/reports", json=spending("0.01"), headers=nothing_paid.demand_headers
    )
    assert cited(refused) == ["R-FUND-USE"]


async def test_two_concurrent_reports_that_together_exceed_leave_one_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions, disbursed="300000.00")
    replies = await asyncio.gather(
        client.post(f"{s.path}/reports", json=spending("200000.00"), headers=s.demand_headers),
        client.post(f"{s.path}/reports", json=spending("200000.00"), headers=s.supply_headers),
    )
    assert sorted(r.status_code for r in replies) == [201, 422]
    [refused] = [r for r in replies if r.status_code == 422]
    assert cited(refused) == ["R-FUND-USE"]
    async with sessions() as session:
        spent = list(
            await session.scalars(
                select(ProjectReport.spent).where(ProjectReport.project_id == s.project.id)
            )
        )
    assert spent == [Decimal("200000.00")]


async def test_concurrent_reviews_of_one_report_leave_one_review(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    made = await client.post(f"{s.path}/reports", json=progress(), headers=s.demand_headers)
    report = made.json()["id"]
    replies = await asyncio.gather(
        *(review(client, report, admin_headers, o) for o in ("accepted", "needs_revision") * 3)
    )
    assert sorted(r.status_code for r in replies) == [200] + [409] * 5
    async with sessions() as session:
        kinds = Counter(
            await session.scalars(select(Event.type).where(Event.resource_id == report))
        )
    assert kinds["report.reviewed"] == 1


async def test_only_the_sides_report_and_only_while_the_project_runs(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    stranger = bearer(app, await create_user(sessions))
    hidden = await client.post(f"{s.path}/reports", json=progress(), headers=stranger)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")
    for path in ("reports", "milestones"):
        read = await client.get(f"{s.path}/{path}", headers=stranger)
        assert read.status_code == 404
    department = await client.post(f"{s.path}/reports", json=progress(), headers=admin_headers)
    assert (department.status_code, department.json()["code"]) == (403, "FORBIDDEN")
    made = await client.post(f"{s.path}/reports", json=progress(), headers=s.supply_headers)
    report = made.json()["id"]
    assert (await client.get(f"/api/v1/reports/{report}", headers=stranger)).status_code == 404
    assert (await review(client, report, stranger)).status_code == 404
    assert (
        await client.get(f"/api/v1/reports/{uuid.uuid4()}", headers=admin_headers)
    ).status_code == 404
    for status in ("suspended", "terminating", "acceptance_requested", "accepted"):
        running = await scene(app, sessions, status=status)
        ok = await client.post(
            f"{running.path}/reports", json=progress(), headers=running.demand_headers
        )
        assert ok.status_code == 201, (status, ok.text)
    for status in ("completed", "closed", "terminated", "acceptance_failed"):
        done = await scene(app, sessions, status=status)
        late = await client.post(
            f"{done.path}/reports", json=progress(), headers=done.demand_headers
        )
        assert (late.status_code, late.json()["code"]) == (409, "INVALID_TRANSITION"), status
        assert late.json()["current_state"] == status


async def test_an_agency_reviews_within_the_scope_entrusted_to_it(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    made = await client.post(f"{s.path}/reports", json=progress(), headers=s.supply_headers)
    report = made.json()["id"]
    # Entrusted with acceptance only: it reads the report, but may not review it.
    acceptance_only = await agency_headers(
        client, app, sessions, admin_headers, s.project, "acceptance"
    )
    assert (
        await client.get(f"/api/v1/reports/{report}", headers=acceptance_only)
    ).status_code == 200
    outside = await review(client, report, acceptance_only)
    assert (outside.status_code, outside.json()["code"]) == (403, "FORBIDDEN")
    assert cited(outside) == ["R-MGMT-AGENCY"]
    assert outside.json()["violations"][0]["article"] == "第十四条"
    # An agency entrusted with another project sees nothing of this one.
    elsewhere = await scene(app, sessions)
    unrelated = await agency_headers(
        client, app, sessions, admin_headers, elsewhere.project, "reports"
    )
    assert (await review(client, report, unrelated)).status_code == 404
    # Entrusted with reports: it reviews.
    in_scope = await agency_headers(
        client, app, sessions, admin_headers, s.project, "reports", "audit"
    )
    reviewed = await review(client, report, in_scope, "needs_revision")
    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "needs_revision")
    # Only the sides report, an agency neither.
    refused = await client.post(f"{s.path}/reports", json=progress(), headers=in_scope)
    assert refused.status_code == 403


async def test_the_sweep_records_an_overdue_milestone_once_and_reads_compute_it(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    wiring.wire()
    s = await scene(app, sessions, PAST, LATER, FUTURE)
    first_due = datetime(2001, 3, 31, 16, 0, tzinfo=UTC)  # the end of 31 March in Shanghai
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        assert row.next_check_at == first_due
    # Read before any sweep: overdue, computed, nothing written.
    read = (await client.get(f"{s.path}/milestones", headers=s.demand_headers)).json()["items"]
    assert [m["status"] for m in read] == ["overdue", "overdue", "pending"]

    async def sweep_at(now: datetime) -> None:
        async with sessions() as session:
            await sweep.sweep(session, now=now)
            await session.commit()

    async def recorded() -> Counter[str]:
        async with sessions() as session:
            rows = await session.scalars(
                select(Event.payload).where(
                    Event.type == "project.milestone_overdue",
                    Event.resource_id == str(s.project.id),
                )
            )
            return Counter(str(p["seq"]) for p in rows)

    assert await recorded() == Counter()
    await sweep_at(first_due - timedelta(seconds=1))
    assert await recorded() == Counter()
    await sweep_at(first_due)
    assert await recorded() == Counter({"1": 1})
    await sweep_at(first_due + timedelta(days=1))
    assert await recorded() == Counter({"1": 1})
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        assert row.next_check_at == datetime(2001, 6, 30, 16, 0, tzinfo=UTC)
    # Meeting the second milestone before the sweep reaches it: nothing more to record.
    second = str(s.milestones[1].id)
    body = progress(milestone_updates=[{"milestone_id": second, "status": "met"}])
    made = await client.post(f"{s.path}/reports", json=body, headers=s.supply_headers)
    assert made.status_code == 201, made.text
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        assert row.next_check_at == datetime(2099, 12, 31, 16, 0, tzinfo=UTC)
    await sweep_at(datetime(2002, 1, 1, tzinfo=UTC))
    assert await recorded() == Counter({"1": 1})
    # A finished project has nothing more due: the sweep records nothing and stops looking.
    finished = await scene(app, sessions, PAST, status="completed")
    await sweep_at(datetime(2002, 1, 1, tzinfo=UTC))
    async with sessions() as session:
        row = await session.get(Project, finished.project.id)
        assert row is not None
        assert row.next_check_at is None
        found = await session.scalar(
            select(Event.id).where(
                Event.type == "project.milestone_overdue",
                Event.resource_id == str(finished.project.id),
            )
        )
        assert found is None
    history = await client.get(f"{s.path}/history", headers=s.demand_headers)
    overdue = [e for e in history.json()["items"] if e["action"] == "project.milestone_overdue"]
    assert len(overdue) == 1
    assert overdue[0]["actor_type"] == "system"


async def test_projects_filter_on_overdue_milestones(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    late = await scene(app, sessions, PAST, FUTURE)
    # The same sides' second project, whose only milestone is far ahead.
    on_time = await create_project(sessions, late.demand, late.supply)
    await plan(sessions, on_time, FUTURE)
    # A third whose past milestone is met.
    done = await create_project(sessions, late.demand, late.supply)
    [met] = await plan(sessions, done, PAST)
    async with sessions() as session:
        row = await session.get(ProjectMilestone, met.id)
        assert row is not None
        row.status, row.met_on = "met", PAST
        await session.commit()

    async def ids(query: str) -> set[str]:
        found = await client.get(f"/api/v1/projects{query}", headers=late.demand_headers)
        assert found.status_code == 200, found.text
        return {p["id"] for p in found.json()["items"]}

    mine = {str(late.project.id), str(on_time.id), str(done.id)}
    assert await ids("") == mine
    assert await ids("?overdue=true") == {str(late.project.id)}
    assert await ids("?overdue=false") == {str(on_time.id), str(done.id)}
    assert await ids("?overdue=true&status=completed") == set()
    refused = await client.get("/api/v1/projects?overdue=maybe", headers=late.demand_headers)
    assert refused.status_code == 422


async def test_overdue_follows_the_sandbox_clock(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    """The request's clock decides: moved past the end of the due day (Shanghai), the
    milestone reads overdue and the project lists as overdue; nothing is written."""
    due = date(2034, 6, 30)  # within the sandbox clock's reach
    s = await scene(app, sessions, due)

    async def at(instant: str) -> None:
        body = {"set_to": instant} if instant else {"reset": True}
        moved = await client.post("/api/v1/sandbox/clock", json=body, headers=admin_headers)
        assert moved.status_code == 200, moved.text

    async def seen() -> tuple[str, bool]:
        read = await client.get(f"{s.path}/milestones", headers=s.demand_headers)
        listed = await client.get("/api/v1/projects?overdue=true", headers=s.demand_headers)
        ids = {p["id"] for p in listed.json()["items"]}
        return read.json()["items"][0]["status"], str(s.project.id) in ids

    try:
        await at("2034-06-30T15:59:59Z")  # 23:59:59 on the due day in Shanghai
        assert await seen() == ("pending", False)
        await at("2034-06-30T16:00:00Z")
        assert await seen() == ("overdue", True)
    finally:
        await at("")
    async with sessions() as session:
        row = await session.get(ProjectMilestone, s.milestones[0].id)
        assert row is not None
        assert row.overdue_recorded_at is None


async def test_one_idempotency_key_makes_one_report(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    headers = {**s.demand_headers, **key()}
    first = await client.post(f"{s.path}/reports", json=spending("1000.00"), headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(f"{s.path}/reports", json=spending("1000.00"), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(ProjectReport.id).where(ProjectReport.project_id == s.project.id)
            )
        )
    assert len(rows) == 1


async def test_outstanding_names_unmet_milestones_and_owed_revisions(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, FUTURE)

    async def owed() -> list[str]:
        async with sessions() as session:
            row = await session.get(Project, s.project.id)
            assert row is not None
            found = await reports.outstanding(session, row, datetime.now(UTC))
        return [v.field or "" for v in found]

    assert await owed() == ["milestones"]
    met = progress(milestone_updates=[{"milestone_id": str(s.milestones[0].id), "status": "met"}])
    made = await client.post(f"{s.path}/reports", json=met, headers=s.demand_headers)
    assert await owed() == []
    await review(client, made.json()["id"], admin_headers, "needs_revision")
    assert await owed() == ["reports"]
    await client.post(f"{s.path}/reports", json=progress(), headers=s.demand_headers)
    assert await owed() == []


async def test_a_report_s_attachments_are_read_by_the_project_s_readers(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    uploaded = await client.post(
        "/api/v1/attachments",
        files={"file": ("进展.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=s.supply_headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    other_side = f"/api/v1/attachments/{file_id}"
    assert (await client.get(other_side, headers=s.demand_headers)).status_code == 404
    body = progress(attachment_ids=[file_id])
    made = await client.post(f"{s.path}/reports", json=body, headers=s.supply_headers)
    assert (made.status_code, made.json()["attachment_ids"]) == (201, [file_id])
    assert (await client.get(other_side, headers=s.demand_headers)).status_code == 200
    stranger = bearer(app, await create_user(sessions))
    assert (await client.get(other_side, headers=stranger)).status_code == 404


async def test_the_reports_of_a_project_page_oldest_first(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    made = [
        (
            await client.post(f"{s.path}/reports", json=progress(summary=f"第{i}期"), headers=h)
        ).json()
        for i, h in enumerate((s.demand_headers, s.supply_headers, s.demand_headers), start=1)
    ]
    first = await client.get(f"{s.path}/reports?limit=2", headers=s.supply_headers)
    assert [r["summary"] for r in first.json()["items"]] == ["第1期", "第2期"]
    cursor = first.json()["next_cursor"]
    assert cursor
    rest = await client.get(
        f"{s.path}/reports", params={"cursor": cursor}, headers=s.supply_headers
    )
    assert [r["id"] for r in rest.json()["items"]] == [made[2]["id"]]
    assert rest.json()["next_cursor"] is None
    broken = await client.get(f"{s.path}/reports?cursor=nonsense", headers=s.supply_headers)
    assert (broken.status_code, broken.json()["code"]) == (422, "VALIDATION_FAILED")


async def test_the_sweep_records_once_that_a_project_ended_without_asking_for_acceptance(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    """第十四条: a project still in progress after its last day has its acceptance overdue:
    the sweep records it once (`project.acceptance_overdue`), the list shows it overdue; an
    approved extension moves the end and the deadline with it."""
    wiring.wire()
    s = await scene(app, sessions, FUTURE)
    end = date(2029, 3, 30)
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        row.end_on = end
        reports.reschedule(row, await projects_repository.milestones(session, row.id))
        await session.commit()
    end_of_day = datetime(2029, 3, 30, 16, 0, tzinfo=UTC)

    async def state() -> tuple[datetime | None, datetime | None, int]:
        async with sessions() as session:
            row = await session.get(Project, s.project.id)
            assert row is not None
            found = await session.scalars(
                select(Event.id).where(
                    Event.type == "project.acceptance_overdue",
                    Event.resource_id == str(s.project.id),
                )
            )
            return row.next_check_at, row.acceptance_overdue_at, len(found.all())

    async def sweep_at(now: datetime) -> None:
        async with sessions() as session:
            await sweep.sweep(session, now=now)
            await session.commit()

    assert await state() == (end_of_day, None, 0)
    await sweep_at(end_of_day - timedelta(seconds=1))
    assert (await state())[2] == 0
    await sweep_at(end_of_day)
    await sweep_at(end_of_day + timedelta(days=3))
    next_check, recorded, events = await state()
    assert (recorded, events) == (end_of_day, 1)
    assert next_check == datetime(2099, 12, 31, 16, 0, tzinfo=UTC)  # the milestone's
    # An extension (both sides and the department) sets a new end: due again then.
    body = {
        "kind": "extension",
        "reason_category": "force_majeure",
        "description": "疫情停工",
        "new_end_on": "2030-03-30",
        "attachment_ids": [],
    }
    filed = await client.post(
        f"{s.path}/change-requests", json=body, headers={**s.supply_headers, **key()}
    )
    assert filed.status_code == 201, filed.text
    where = f"/api/v1/change-requests/{filed.json()['id']}"
    consent = await client.post(f"{where}/consent", json={}, headers=s.demand_headers)
    assert consent.status_code == 200, consent.text
    approved = await client.post(f"{where}/approve", json={"reason": "同意"}, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    assert await state() == (datetime(2030, 3, 30, 16, 0, tzinfo=UTC), None, 1)
