"""The public notice with its objections, and the signing that creates the project (第九条
（七）（八）): objections only inside the period, the department's decision on each, and the
five signatures of R-WF-SIGN-ALL, the last of which creates exactly one project."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from test_agreements import Scene, cited, scene, submitted

from factories import (
    Sessions,
    agreement_body,
    bearer,
    create_credit_record,
    create_listing,
    create_organization,
    create_recommended_application,
    create_user,
)
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.kit.clock import SHANGHAI, FixedClock
from jiebang_api.models import Application, Event, Organization, Project
from jiebang_api.worker import sweep_once

CLOCK = "/api/v1/sandbox/clock"
OBJECTION = {
    "filer_name": "张三",
    "filer_kind": "individual",
    "contact": "13800000000",
    "grounds": "揭榜方团队负责人存在科研失信记录。",
}


async def on_notice(
    client: httpx.AsyncClient, s: Scene, admin_headers: dict[str, str], application: uuid.UUID
) -> tuple[str, dict[str, Any]]:
    """An agreement approved onto public notice today; its path and body."""
    where = await submitted(client, s, application)
    approved = await client.post(f"{where}/approve", json={}, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    return where, approved.json()


async def at(client: httpx.AsyncClient, admin_headers: dict[str, str], instant: datetime) -> None:
    moved = await client.post(CLOCK, json={"set_to": instant.isoformat()}, headers=admin_headers)
    assert moved.status_code == 200, moved.text


async def reset(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    assert (await client.post(CLOCK, json={"reset": True}, headers=admin_headers)).is_success


def notice_path(agreement: dict[str, Any]) -> str:
    return f"/api/v1/public/notices/{agreement['id']}"


async def statuses(sessions: Sessions, listing_id: uuid.UUID) -> dict[uuid.UUID, str]:
    async with sessions() as session:
        rows = await session.execute(
            select(Application.id, Application.status).where(Application.listing_id == listing_id)
        )
    return dict(rows.all())


# --- objections ---------------------------------------------------------------------------------


async def test_an_objection_one_second_after_the_period_is_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where, agreement = await on_notice(client, s, admin_headers, s.first)
    closes = datetime.fromisoformat(agreement["objections_close_at"])
    objections = f"{notice_path(agreement)}/objections"
    try:
        await at(client, admin_headers, closes - timedelta(seconds=1))
        last_second = await client.post(objections, json=OBJECTION)  # anonymous
        await at(client, admin_headers, closes + timedelta(seconds=1))
        late = await client.post(objections, json=OBJECTION)
        read = await client.get(where, headers=s.lead_headers)
    finally:
        await reset(client, admin_headers)
    assert last_second.status_code == 201, last_second.text
    assert last_second.json()["status"] == "open"
    assert (late.status_code, late.json()["code"]) == (409, "NOTICE_CLOSED")
    assert cited(late) == [("R-WF-PUBLICITY", "第九条（七）")]
    # The open objection holds the notice past its period until the department decides.
    assert (read.json()["status"], read.json()["open_objections"]) == ("in_publicity", 1)


async def test_before_its_first_day_a_notice_takes_no_objection(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    _, agreement = await on_notice(client, s, admin_headers, s.first)
    public = (await client.get(notice_path(agreement))).json()
    assert public["state"] == "upcoming"  # it starts on the next working day
    early = await client.post(f"{notice_path(agreement)}/objections", json=OBJECTION)
    assert (early.status_code, early.json()["code"]) == (409, "NOTICE_CLOSED")


async def test_a_dismissed_objection_counts_as_none_and_the_notice_passes(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where, agreement = await on_notice(client, s, admin_headers, s.first)
    closes = datetime.fromisoformat(agreement["objections_close_at"])
    try:
        await at(client, admin_headers, closes - timedelta(hours=1))
        filed = await client.post(f"{notice_path(agreement)}/objections", json=OBJECTION)
        assert filed.status_code == 201, filed.text
        await sweep_once(
            sessions, clock=FixedClock(closes + timedelta(days=1)), sandbox_enabled=False
        )
        await at(client, admin_headers, closes + timedelta(days=1))
        held = await client.get(notice_path(agreement))
        resolved = await client.post(
            f"/api/v1/objections/{filed.json()['id']}/resolve",
            json={"outcome": "dismissed", "reason": "所述记录已移出名单"},
            headers=admin_headers,
        )
        again = await client.post(
            f"/api/v1/objections/{filed.json()['id']}/resolve",
            json={"outcome": "upheld", "reason": "再议"},
            headers=admin_headers,
        )
    finally:
        await reset(client, admin_headers)
    assert held.json()["state"] == "awaiting_decision"  # the sweep did not pass it
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "dismissed"
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    read = (await client.get(where, headers=s.lead_headers)).json()
    assert (read["status"], read["open_objections"]) == ("publicity_passed", 0)
    history = (await client.get(f"{where}/history", headers=admin_headers)).json()["items"]
    assert [(e["action"], e["actor_type"]) for e in history[-1:]] == [
        ("agreement.pass_notice", "system")
    ]


async def test_an_upheld_objection_annuls_the_agreement_and_the_next_may_negotiate(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where, agreement = await on_notice(client, s, admin_headers, s.first)
    starts = datetime.fromisoformat(f"{agreement['publicity_starts_on']}T09:00:00+08:00")
    try:
        await at(client, admin_headers, starts)
        filed = await client.post(f"{notice_path(agreement)}/objections", json=OBJECTION)
        assert filed.status_code == 201, filed.text
        upheld = await client.post(
            f"/api/v1/objections/{filed.json()['id']}/resolve",
            json={"outcome": "upheld", "reason": "经核查，失信记录属实"},
            headers=admin_headers,
        )
    finally:
        await reset(client, admin_headers)
    assert upheld.status_code == 200, upheld.text
    assert (await client.get(where, headers=s.lead_headers)).json()["status"] == "annulled"
    assert (await client.get(notice_path(agreement))).json()["state"] == "withdrawn"
    assert await statuses(sessions, s.listing_id) == {
        s.first: "unsuccessful",
        s.second: "recommended",
    }
    record = {"held_on": "2027-03-02", "participants": ["双方"], "minutes": "重新协商"}
    negotiated = await client.post(
        f"/api/v1/applications/{s.second}/negotiations", json=record, headers=s.second_headers
    )
    assert negotiated.status_code == 201, negotiated.text
    history = (await client.get(f"{where}/history", headers=admin_headers)).json()["items"]
    assert history[-1]["action"] == "agreement.annul"


async def test_only_the_department_reads_the_filers_contact(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    _, agreement = await on_notice(client, s, admin_headers, s.first)
    starts = datetime.fromisoformat(f"{agreement['publicity_starts_on']}T09:00:00+08:00")
    try:
        await at(client, admin_headers, starts)
        filed = await client.post(
            f"{notice_path(agreement)}/objections", json=OBJECTION, headers=s.second_headers
        )
    finally:
        await reset(client, admin_headers)
    assert filed.status_code == 201, filed.text
    public = await client.get(notice_path(agreement))
    assert public.status_code == 200
    assert OBJECTION["contact"] not in public.text
    assert public.json()["supply_side"]
    assert public.json()["demand_side"]
    listed = await client.get(
        "/api/v1/objections", params={"agreement_id": agreement["id"]}, headers=admin_headers
    )
    assert [(o["contact"], o["filed_by"] is not None) for o in listed.json()["items"]] == [
        (OBJECTION["contact"], True)
    ]
    for headers in (s.lead_headers, s.second_headers):
        refused = await client.get("/api/v1/objections", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    side = await client.post(
        f"/api/v1/objections/{filed.json()['id']}/resolve",
        json={"outcome": "upheld", "reason": "x"},
        headers=s.lead_headers,
    )
    assert (side.status_code, side.json()["code"]) == (403, "FORBIDDEN")


async def test_objections_are_counted_per_client_address(
    app_factory: Any, client_for: Any, settings: Any, sessions: Sessions
) -> None:
    limited = app_factory(settings.database_url, objection_limit="2/hour")
    async with client_for(limited) as http:
        unknown = f"/api/v1/public/notices/{uuid.uuid4()}/objections"
        answers = [(await http.post(unknown, json=OBJECTION)).status_code for _ in range(3)]
    assert answers == [404, 404, 429]


async def test_a_draft_is_no_public_notice(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await submitted(client, s, s.first)
    agreement_id = where.rsplit("/", 1)[1]
    missing = await client.get(f"/api/v1/public/notices/{agreement_id}")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    refused = await client.post(f"/api/v1/public/notices/{agreement_id}/objections", json=OBJECTION)
    assert refused.status_code == 404


# --- signing -------------------------------------------------------------------------------------


async def passed(
    client: httpx.AsyncClient, s: Scene, sessions: Sessions, admin_headers: dict[str, str]
) -> str:
    """The first application's agreement, its notice passed (by the worker's sweep)."""
    where, agreement = await on_notice(client, s, admin_headers, s.first)
    closes = datetime.fromisoformat(agreement["objections_close_at"])
    await sweep_once(sessions, clock=FixedClock(closes), sandbox_enabled=False)
    assert (await client.get(where, headers=s.lead_headers)).json()["status"] == "publicity_passed"
    return where


async def scan(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    uploaded = await client.post(
        "/api/v1/attachments",
        files={"file": ("签字页.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    return str(uploaded.json()["id"])


def signers(s: Scene, admin_headers: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(document, party, who signs) for the five signatures of a technology breakthrough."""
    return [
        ("agreement", "demand", s.proposer_headers),
        ("agreement", "supply", s.lead_headers),
        ("task_book", "demand", s.proposer_headers),
        ("task_book", "supply", s.lead_headers),
        ("task_book", "department", admin_headers),
    ]


async def sign(
    client: httpx.AsyncClient, where: str, document: str, party: str, headers: dict[str, str]
) -> httpx.Response:
    body = {"document": document, "party": party, "attachment_id": await scan(client, headers)}
    return await client.post(f"{where}/signatures", json=body, headers=headers)


async def projects_of(sessions: Sessions, agreement_id: str) -> list[Project]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Project).where(Project.agreement_id == uuid.UUID(agreement_id))
        )
        return list(rows.all())


async def test_the_project_exists_only_after_all_five_signatures(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await passed(client, s, sessions, admin_headers)
    agreement_id = where.rsplit("/", 1)[1]
    for document, party, headers in signers(s, admin_headers)[:4]:
        signed = await sign(client, where, document, party, headers)
        assert signed.status_code == 201, signed.text
        assert signed.json()["project_id"] is None
        assert await projects_of(sessions, agreement_id) == []
    assert [m["party"] for m in signed.json()["missing"]] == ["department"]
    last = await sign(client, where, "task_book", "department", admin_headers)
    assert last.status_code == 201, last.text
    assert (last.json()["status"], last.json()["missing"]) == ("signed", [])
    [project] = await projects_of(sessions, agreement_id)
    assert last.json()["project_id"] == str(project.id)
    year = datetime.now(SHANGHAI).year
    assert re.fullmatch(rf"XM-{year}-\d{{4}}", project.code)
    # 24 months from 2027-04-01: the last day is 2029-03-31.
    assert (str(project.start_on), str(project.end_on)) == ("2027-04-01", "2029-03-31")
    listing = await client.get(f"/api/v1/listings/{s.listing_id}", headers=admin_headers)
    assert listing.json()["status"] == "awarded"
    assert await statuses(sessions, s.listing_id) == {
        s.first: "selected",
        s.second: "unsuccessful",
    }
    read = await client.get(f"/api/v1/projects/{project.id}", headers=s.proposer_headers)
    assert (read.status_code, read.json()["code"], read.json()["agreement_amount"]) == (
        200,
        project.code,
        "3000000.00",
    )
    # The agreement's milestones are the project's, and the sweep looks at the first.
    milestones = await client.get(
        f"/api/v1/projects/{project.id}/milestones", headers=admin_headers
    )
    assert [
        (m["seq"], m["title"], m["due_on"], m["status"]) for m in milestones.json()["items"]
    ] == [(1, "中试", "2028-03-31", "pending")]
    assert project.next_check_at == datetime(2028, 3, 31, 16, 0, tzinfo=UTC)
    mine = await client.get("/api/v1/projects", headers=s.lead_headers)
    assert [p["id"] for p in mine.json()["items"]] == [str(project.id)]
    stranger = await client.get(f"/api/v1/projects/{project.id}", headers=s.second_headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "NOT_FOUND")
    assert (await client.get("/api/v1/projects", headers=s.second_headers)).json()["items"] == []
    announced = await announcement_of(client, str(project.id))
    assert announced["body"]["project_code"] == project.code
    async with sessions() as session:
        kinds = Counter(
            (
                await session.scalars(
                    select(Event.type).where(Event.resource_id.in_([str(project.id), agreement_id]))
                )
            ).all()
        )
    assert (kinds["project.created"], kinds["agreement.signed"]) == (1, 1)


async def announcement_of(client: httpx.AsyncClient, project_id: str) -> dict[str, Any]:
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/public/announcements", params=params)).json()
        for item in page["items"]:
            if item["project_id"] == project_id:
                return dict(item)
        cursor = page["next_cursor"]
        assert cursor, "no announcement of the project"


async def test_each_party_signs_for_itself_once_after_the_notice(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where, agreement = await on_notice(client, s, admin_headers, s.first)
    early = await sign(client, where, "agreement", "supply", s.lead_headers)
    assert (early.status_code, early.json()["code"]) == (409, "INVALID_TRANSITION")
    closes = datetime.fromisoformat(agreement["objections_close_at"])
    await sweep_once(sessions, clock=FixedClock(closes), sandbox_enabled=False)
    for document, party, headers in (
        ("agreement", "demand", s.lead_headers),  # the supply side for the demand side
        ("task_book", "department", s.proposer_headers),
        ("agreement", "supply", admin_headers),  # the department for a side
    ):
        refused = await sign(client, where, document, party, headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    wrong_document = await sign(client, where, "agreement", "department", admin_headers)
    assert (wrong_document.status_code, wrong_document.json()["code"]) == (
        422,
        "VALIDATION_FAILED",
    )
    assert cited(wrong_document) == [("R-WF-SIGN-ALL", "第九条（七）")]
    stranger = await sign(client, where, "agreement", "supply", s.second_headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "NOT_FOUND")
    first = await sign(client, where, "agreement", "supply", s.lead_headers)
    assert first.status_code == 201, first.text
    twice = await sign(client, where, "agreement", "supply", s.lead_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")
    foreign_scan = await scan(client, s.proposer_headers)
    body = {"document": "task_book", "party": "supply", "attachment_id": foreign_scan}
    borrowed = await client.post(f"{where}/signatures", json=body, headers=s.lead_headers)
    assert [v["field"] for v in borrowed.json()["violations"]] == ["body.attachment_id"]
    # The sides read each other's signed pages; others do not.
    content = f"/api/v1/attachments/{first.json()['signatures'][0]['attachment_id']}/content"
    assert (await client.get(content, headers=s.proposer_headers)).status_code == 200
    assert (await client.get(content, headers=s.second_headers)).status_code == 404


async def test_a_side_with_an_active_dishonesty_record_cannot_sign(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await passed(client, s, sessions, admin_headers)
    async with sessions() as session:
        lead = await session.get(Organization, s.lead)
    assert lead is not None
    await create_credit_record(sessions, lead)
    refused = await sign(client, where, "agreement", "supply", s.lead_headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(refused) == [("R-ELIG-NO-DISHONESTY", "第十五条")]
    allowed = await sign(client, where, "agreement", "demand", s.proposer_headers)
    assert allowed.status_code == 201, allowed.text


async def test_an_emergency_project_is_signed_by_the_department_for_the_demand_side(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    at_lead = await create_user(sessions)
    lead = await create_organization(sessions, manager=at_lead)
    listing = await create_listing(sessions, None, status="closed")
    application = await create_recommended_application(sessions, listing, lead)
    lead_headers = bearer(app, at_lead)
    made = await client.post(
        "/api/v1/agreements", json=agreement_body(application.id), headers=admin_headers
    )
    where = f"/api/v1/agreements/{made.json()['id']}"
    for headers in (admin_headers, lead_headers):
        assert (await client.post(f"{where}/confirm", json={}, headers=headers)).is_success
    assert (await client.post(f"{where}/submit", json={}, headers=admin_headers)).is_success
    approved = await client.post(
        f"{where}/approve", json={"skip_notice": True}, headers=admin_headers
    )
    assert approved.json()["status"] == "publicity_passed"
    for document, party, headers in (
        ("agreement", "demand", admin_headers),
        ("agreement", "supply", lead_headers),
        ("task_book", "demand", admin_headers),
        ("task_book", "supply", lead_headers),
        ("task_book", "department", admin_headers),
    ):
        signed = await sign(client, where, document, party, headers)
        assert signed.status_code == 201, signed.text
    project = await client.get(
        f"/api/v1/projects/{signed.json()['project_id']}", headers=lead_headers
    )
    assert (project.json()["demand_org_id"], project.json()["kind"]) == (None, "emergency")
    announced = await announcement_of(client, project.json()["id"])
    assert announced["body"]["demand_side"] == "内蒙古自治区科学技术厅"


async def test_concurrent_last_signatures_create_exactly_one_project(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = await scene(app, sessions)
    where = await passed(client, s, sessions, admin_headers)
    agreement_id = where.rsplit("/", 1)[1]
    plan = signers(s, admin_headers)
    for document, party, headers in plan[:3]:
        assert (await sign(client, where, document, party, headers)).status_code == 201
    # The last two signatures, each sent twice at once; each request dawdles after reading
    # the signatures so far, so that without the agreement's lock all four would read three.
    read_signatures = agreements_repository.signatures

    async def dawdling(session: Any, agreement_id: uuid.UUID) -> list[Any]:
        found = await read_signatures(session, agreement_id)
        await asyncio.sleep(0.2)
        return found

    monkeypatch.setattr(agreements_repository, "signatures", dawdling)
    bodies = [
        (headers, {"document": d, "party": p, "attachment_id": await scan(client, headers)})
        for d, p, headers in plan[3:] * 2
    ]
    replies = await asyncio.gather(
        *(client.post(f"{where}/signatures", json=b, headers=h) for h, b in bodies)
    )
    assert sorted(r.status_code for r in replies) == [201, 201, 409, 409]
    [project] = await projects_of(sessions, agreement_id)
    async with sessions() as session:
        facts = Counter(
            (
                await session.scalars(
                    select(Event.type).where(Event.resource_id.in_([str(project.id), agreement_id]))
                )
            ).all()
        )
    assert (facts["project.created"], facts["agreement.signed"]) == (1, 1)
    assert facts["agreement.signature_added"] == 5
