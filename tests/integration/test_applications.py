"""Applications through the API: the dry run, submission under the eligibility engine, the
window, concurrency and who may see what."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from factories import (
    Sessions,
    add_member,
    bearer,
    create_credit_record,
    create_organization,
    create_published_listing,
    create_user,
)
from jiebang_api.models import Application, AuditEntry, Organization, User

PLAN = {
    "approach": "晶界扩散结合中试验证",
    "milestones": [{"title": "中试", "due_month": 12, "deliverable": "中试报告"}],
    "budget_total": "15000000.00",
    "team": [{"name": "王工", "title": "教授", "role": "技术负责人"}],
}
DECLARATIONS = {
    "has_transfer_team": True,
    "can_provide_funds": True,
    "can_provide_site": True,
    "market_channels": "区内整车企业",
}


class Scene:
    """A proposer with a published tech-breakthrough listing, and an applicant."""

    def __init__(
        self,
        app: FastAPI,
        proposer: Organization,
        proposer_user: User,
        applicant: Organization,
        applicant_user: User,
        listing_id: str,
    ) -> None:
        self.app, self.proposer, self.applicant = app, proposer, applicant
        self.proposer_headers = bearer(app, proposer_user)
        self.headers = bearer(app, applicant_user)
        self.applicant_user = applicant_user
        self.listing_id = listing_id


async def scene(
    app: FastAPI,
    sessions: Sessions,
    *,
    kind: str = "tech_breakthrough",
    applicant_type: str = "university",
    **applicant: Any,
) -> Scene:
    proposer_user, applicant_user = await create_user(sessions), await create_user(sessions)
    proposer = await create_organization(
        sessions,
        manager=proposer_user,
        type="university" if kind == "achievement_transfer" else "enterprise",
    )
    org = await create_organization(
        sessions, manager=applicant_user, type=applicant_type, verified=True, **applicant
    )
    listing = await create_published_listing(sessions, proposer, kind=kind)
    return Scene(app, proposer, proposer_user, org, applicant_user, str(listing.id))


def body(lead: Organization, **overrides: Any) -> dict[str, Any]:
    return {
        "lead_org_id": str(lead.id),
        "lead_budget_share": "100",
        "plan": PLAN,
        "declarations": DECLARATIONS,
        **overrides,
    }


async def draft(client: httpx.AsyncClient, s: Scene, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/listings/{s.listing_id}/applications",
        json=body(s.applicant, **overrides),
        headers=s.headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def submit(client: httpx.AsyncClient, s: Scene, application_id: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/applications/{application_id}/submit", json={}, headers=s.headers
    )


async def test_an_eligible_application_is_submitted_with_its_report(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions, strategic_agreement=True, verified_flags=["strategic_agreement"])
    created = await draft(client, s)
    assert created["status"] == "draft"
    submitted = await submit(client, s, created["id"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    report = submitted.json()["eligibility_report"]
    assert report["eligible"] is True
    assert [(p["rule"], p["article"]) for p in report["priorities"]] == [
        ("R-ELIG-PRIORITY", "第六条（三）")
    ]


@pytest.mark.parametrize(
    ("kind", "applicant_type", "flags", "priority"),
    [
        # 第六条（三）: strategic agreements with the regional government, on technology
        # breakthroughs only; being a 4+8+N partner is an eligibility ground, not this flag.
        ("tech_breakthrough", "university", {"partner_4_8_n": True}, False),
        ("tech_breakthrough", "university", {"strategic_agreement": True}, True),
        ("achievement_transfer", "enterprise", {"strategic_agreement": True}, False),
    ],
)
async def test_priority_is_for_strategic_agreements_on_tech_breakthroughs(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    kind: str,
    applicant_type: str,
    flags: dict[str, bool],
    priority: bool,
) -> None:
    s = await scene(
        app, sessions, kind=kind, applicant_type=applicant_type, verified_flags=list(flags), **flags
    )
    submitted = await submit(client, s, (await draft(client, s))["id"])
    assert submitted.status_code == 200, submitted.text
    priorities = submitted.json()["eligibility_report"]["priorities"]
    assert bool(priorities) is priority
    dry_run = await client.post(
        "/api/v1/eligibility/check",
        json={"listing_id": s.listing_id, "lead_org_id": str(s.applicant.id)},
        headers=s.headers,
    )
    assert dry_run.status_code == 200, dry_run.text
    assert bool(dry_run.json()["priorities"]) is priority


@pytest.mark.parametrize("kind", ["achievement_transfer", "emergency"])
async def test_an_application_without_a_plan_is_refused_citing_article_9_4(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, kind: str
) -> None:
    """第九条（四）: whoever applies submits an implementation plan, whatever the kind."""
    if kind == "emergency":
        s = await scene(app, sessions, applicant_type="enterprise")
        emergency = await create_published_listing(sessions, None, kind="emergency")
        s.listing_id = str(emergency.id)
    else:
        s = await scene(app, sessions, kind=kind, applicant_type="enterprise")
    created = await draft(client, s, plan={})
    refused = await submit(client, s, created["id"])
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "ELIGIBILITY_FAILED"
    cited = {(v["rule"], v["article"]) for v in problem["violations"]}
    assert cited == {("R-APP-PLAN", "第九条（四）")}
    assert {v["field"] for v in problem["violations"]} == {
        "plan.approach",
        "plan.milestones",
        "plan.budget_total",
        "plan.team",
    }
    with_plan = await client.patch(
        f"/api/v1/applications/{created['id']}", json={"plan": PLAN}, headers=s.headers
    )
    assert with_plan.status_code == 200, with_plan.text
    accepted = await submit(client, s, created["id"])
    assert accepted.status_code == 200, accepted.text


async def test_a_budget_of_0_is_no_plan(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    """第九条（四）"填报实施方案", read: a plan whose budget is 0 has no budget."""
    s = await scene(app, sessions)
    created = await draft(client, s, plan={**PLAN, "budget_total": "0.00"})
    refused = await submit(client, s, created["id"])
    assert refused.status_code == 422, refused.text
    assert {(v["rule"], v["article"], v["field"]) for v in refused.json()["violations"]} == {
        ("R-APP-PLAN", "第九条（四）", "plan.budget_total")
    }
    some = await client.patch(
        f"/api/v1/applications/{created['id']}",
        json={"plan": {**PLAN, "budget_total": "0.01"}},
        headers=s.headers,
    )
    assert some.status_code == 200, some.text
    accepted = await submit(client, s, created["id"])
    assert accepted.status_code == 200, accepted.text


SOLVER = ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）")


@pytest.mark.parametrize(
    ("flags", "verified", "warns"),
    [
        # 第四条（一）"科技型企业": a verified technology-based (or high-tech) enterprise.
        ({"tech_based": True}, ["tech_based"], False),
        ({"high_tech": True}, ["high_tech"], False),
        ({"tech_based": True}, [], True),
        ({}, [], True),
    ],
    ids=["tech-based", "high-tech", "self-declared", "unknown"],
)
async def test_an_enterprise_solver_not_known_to_be_technology_based_is_flagged(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    flags: dict[str, bool],
    verified: list[str],
    warns: bool,
) -> None:
    s = await scene(app, sessions, applicant_type="enterprise", verified_flags=verified, **flags)
    submitted = await submit(client, s, (await draft(client, s))["id"])
    assert submitted.status_code == 200, submitted.text
    warnings = submitted.json()["eligibility_report"]["warnings"]
    assert (SOLVER in {(w["rule"], w["article"]) for w in warnings}) is warns


async def test_a_subsidiary_of_the_proposer_is_refused_citing_article_4(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    child = await create_organization(sessions, parent_org_id=s.proposer.id, type="enterprise")
    await add_member(sessions, child, s.applicant_user)
    created = await draft(client, s, lead_org_id=str(child.id))
    refused = await submit(client, s, created["id"])
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "ELIGIBILITY_FAILED"
    assert ("R-ELIG-NOT-SUBSIDIARY", "第四条（一）") in {
        (v["rule"], v["article"]) for v in problem["violations"]
    }
    assert "第四条" in refused.text


async def test_a_university_cannot_lead_an_achievement_transfer(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions, kind="achievement_transfer", applicant_type="university")
    refused = await submit(client, s, (await draft(client, s))["id"])
    assert refused.status_code == 422
    assert "R-ELIG-AT-SOLVER-ENTERPRISE" in {v["rule"] for v in refused.json()["violations"]}


async def test_dishonesty_blocks_until_the_record_ends(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # records are in Shanghai days
    await create_credit_record(
        sessions, s.applicant, starts_on=date(today.year - 1, 1, 1), ends_on=today
    )
    created = await draft(client, s)
    refused = await submit(client, s, created["id"])
    assert refused.status_code == 422
    assert "R-ELIG-NO-DISHONESTY" in {v["rule"] for v in refused.json()["violations"]}
    try:  # the day after the record's ends_on, the same application goes through
        await client.post(
            "/api/v1/sandbox/clock", json={"advance_seconds": 2 * 86400}, headers=admin_headers
        )
        accepted = await submit(client, s, created["id"])
        assert accepted.status_code == 200, accepted.text
    finally:
        await client.post("/api/v1/sandbox/clock", json={"reset": True}, headers=admin_headers)


async def test_concurrent_submits_give_one_submission_and_one_audit_entry(
    app: FastAPI, client: httpx.AsyncClient, client_for: Any, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    created = await draft(client, s)

    async def attempt() -> int:
        async with client_for(app) as http:
            return (await submit(http, s, created["id"])).status_code

    statuses = await asyncio.gather(*(attempt() for _ in range(20)))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409}
    async with sessions() as session:
        entries = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.resource_id == created["id"],
                AuditEntry.action == "application.submit",
            )
        )
    assert entries == 1


async def test_a_submit_after_the_window_is_409_window_closed(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    created = await draft(client, s)
    try:
        await client.post(
            "/api/v1/sandbox/clock", json={"advance_seconds": 40 * 86400}, headers=admin_headers
        )
        refused = await submit(client, s, created["id"])
    finally:
        await client.post("/api/v1/sandbox/clock", json={"reset": True}, headers=admin_headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "WINDOW_CLOSED"
    assert refused.json()["violations"][0]["rule"] == "R-LIST-WINDOW"
    assert refused.json()["violations"][0]["article"] == "本系统规则"  # the service's own rule


async def test_the_proposer_sees_applications_only_after_the_window_closes(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    created = await draft(client, s)
    assert (await submit(client, s, created["id"])).status_code == 200
    url = f"/api/v1/applications/{created['id']}"
    assert (await client.get(url, headers=s.proposer_headers)).status_code == 404
    listed = await client.get(
        "/api/v1/applications", params={"listing_id": s.listing_id}, headers=s.proposer_headers
    )
    assert listed.json()["items"] == []
    try:
        await client.post(
            "/api/v1/sandbox/clock", json={"advance_seconds": 40 * 86400}, headers=admin_headers
        )
        seen = await client.get(url, headers=s.proposer_headers)
        assert seen.status_code == 200
        assert seen.json()["status"] == "under_review"
        listed = await client.get(
            "/api/v1/applications", params={"listing_id": s.listing_id}, headers=s.proposer_headers
        )
        assert [x["id"] for x in listed.json()["items"]] == [created["id"]]
    finally:
        await client.post("/api/v1/sandbox/clock", json={"reset": True}, headers=admin_headers)


async def test_closing_the_listing_moves_submitted_applications_to_review(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    created = await draft(client, s)
    await submit(client, s, created["id"])
    closed = await client.post(
        f"/api/v1/listings/{s.listing_id}/close", json={}, headers=admin_headers
    )
    assert closed.status_code == 200, closed.text
    async with sessions() as session:
        stored = await session.get(Application, uuid.UUID(created["id"]))
    assert stored is not None
    assert stored.status == "under_review"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lead_budget_share": "90"}, "body.lead_budget_share"),
        ({"members": "lead"}, "body.members"),
    ],
)
async def test_shares_and_members_are_checked(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    overrides: dict[str, Any],
    field: str,
) -> None:
    s = await scene(app, sessions)
    if overrides.get("members") == "lead":
        overrides = {
            "lead_budget_share": "50",
            "members": [{"org_id": str(s.applicant.id), "role": "成员", "budget_share": "50"}],
        }
    response = await client.post(
        f"/api/v1/listings/{s.listing_id}/applications",
        json=body(s.applicant, **overrides),
        headers=s.headers,
    )
    assert response.status_code == 422
    assert field in {v["field"] for v in response.json()["violations"]}


async def test_one_live_application_per_lead_and_listing(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    first = await draft(client, s)
    again = await client.post(
        f"/api/v1/listings/{s.listing_id}/applications", json=body(s.applicant), headers=s.headers
    )
    assert again.status_code == 409
    await client.post(f"/api/v1/applications/{first['id']}/withdraw", json={}, headers=s.headers)
    assert (await draft(client, s))["status"] == "draft"


async def test_the_dry_run_explains_without_saving(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    child = await create_organization(sessions, parent_org_id=s.proposer.id)
    check = {
        "listing_id": s.listing_id,
        "lead_org_id": str(s.applicant.id),
        "member_org_ids": [str(child.id)],
    }
    report = (await client.post("/api/v1/eligibility/check", json=check, headers=s.headers)).json()
    assert report["eligible"] is False
    assert [(v["rule"], v["org_id"]) for v in report["violations"]] == [
        ("R-ELIG-NOT-SUBSIDIARY", str(child.id))
    ]
    fine = (
        await client.post(
            "/api/v1/eligibility/check", json={**check, "member_org_ids": []}, headers=s.headers
        )
    ).json()
    assert fine["eligible"] is True
    listed = await client.get(
        "/api/v1/applications", params={"listing_id": s.listing_id}, headers=s.headers
    )
    assert listed.json()["items"] == []


async def test_strangers_cannot_see_an_application(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    created = await draft(client, s)
    stranger = bearer(app, await create_user(sessions))
    assert (
        await client.get(f"/api/v1/applications/{created['id']}", headers=stranger)
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/applications/{created['id']}/submit", json={}, headers=stranger)
    ).status_code == 404
