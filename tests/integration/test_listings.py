"""Listings through the API: the whole workflow, its refusals, and the proposer rules."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from factories import Sessions, bearer, create_credit_record, create_organization, create_user
from jiebang_api.models import Event, User

LISTINGS = "/api/v1/listings"


def listing_body(org_id: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "tech_breakthrough",
        "proposer_org_id": str(org_id) if org_id else None,
        "title": "稀土永磁材料高矫顽力制备关键技术",
        "industry": "新材料",
        "background": "现有产品矫顽力不足。",
        "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
        "time_requirement_months": 24,
        "total_rd_investment": "15000000.00",
        "demand_requirements": "提供中试线。",
        "supply_requirements": "具备研发团队。",
        "ip_ownership": "双方共有。",
        "benefit_sharing": "按投入比例。",
        **overrides,
    }


# What an achievement transfer states besides the common text: 第九条（一） (content and form),
# 第七条（一） (application direction, industrial effect), 第七条（三） (service team).
TRANSFER_TEXT = {
    "transfer_content": "专利许可",
    "transfer_form": "许可",
    "application_direction": "新能源汽车驱动电机",
    "industrial_effect": "带动稀土永磁产业升级",
    "transfer_service": "学校技术转移中心团队",
}


def window(days: int = 30) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "application_opens_at": now.isoformat(),
        "application_closes_at": (now + timedelta(days=days)).isoformat(),
    }


class World:
    def __init__(self, app: FastAPI, admin: User, manager: User, org_id: Any) -> None:
        self.admin, self.member = bearer(app, admin), bearer(app, manager)
        self.org_id = org_id


@pytest.fixture
async def world(app: FastAPI, sessions: Sessions, admin: User) -> World:
    manager = await create_user(sessions)
    org = await create_organization(
        sessions,
        manager=manager,
        independent_legal_person=True,
        high_tech=True,
        verified_flags=["independent_legal_person", "high_tech"],
    )
    return World(app, admin, manager, org.id)


async def step(
    client: httpx.AsyncClient,
    listing_id: str,
    action: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    expect: int = 200,
) -> dict[str, Any]:
    response = await client.post(
        f"{LISTINGS}/{listing_id}/{action}", json=body or {}, headers=headers
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def drafted(client: httpx.AsyncClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        LISTINGS, json=listing_body(world.org_id, **overrides), headers=world.member
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_whole_tech_breakthrough_path(
    client: httpx.AsyncClient, world: World, sessions: Sessions
) -> None:
    listing = await drafted(client, world)
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    assert listing["code"].startswith(f"JB-{year}-TB-")
    lid = listing["id"]
    assert (await step(client, lid, "submit", world.member))["status"] == "submitted"
    assert (await step(client, lid, "screen", world.admin, {"passed": True}))[
        "status"
    ] == "under_assessment"
    opinion = await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "张教授", "conclusion": "support", "comment": "需求明确"},
        headers=world.admin,
    )
    assert opinion.status_code == 201
    assert (await step(client, lid, "approve", world.admin))["status"] == "approved"
    assert (await step(client, lid, "confirm", world.member))["status"] == "confirmed"
    published = await step(client, lid, "publish", world.admin, window())
    assert published["status"] == "published"
    assert published["allowed_actions"] == ["close", "cancel"]
    assert (await step(client, lid, "close", world.admin))["status"] == "closed"

    history = (await client.get(f"{LISTINGS}/{lid}/history", headers=world.member)).json()["items"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("listing.create", None, "draft"),
        ("listing.submit", "draft", "submitted"),
        ("listing.screen_pass", "submitted", "under_assessment"),
        ("listing.assess", "under_assessment", "under_assessment"),
        ("listing.approve", "under_assessment", "approved"),
        ("listing.confirm", "approved", "confirmed"),
        ("listing.publish", "confirmed", "published"),
        ("listing.close", "published", "closed"),
    ]
    assert all(e["actor_id"] and e["occurred_at"] for e in history)
    async with sessions() as session:
        events = (
            await session.scalars(
                select(Event.type).where(Event.resource_id == lid).order_by(Event.sequence)
            )
        ).all()
    assert events[-2:] == ["listing.published", "listing.closed"]


async def test_publish_before_confirm_names_the_allowed_actions(
    client: httpx.AsyncClient, world: World
) -> None:
    lid = (await drafted(client, world))["id"]
    await step(client, lid, "submit", world.member)
    await step(client, lid, "screen", world.admin, {"passed": True})
    await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "李", "conclusion": "support"},
        headers=world.admin,
    )
    await step(client, lid, "approve", world.admin)
    refused = await step(client, lid, "publish", world.admin, window(), expect=409)
    assert refused["code"] == "INVALID_TRANSITION"
    assert refused["current_state"] == "approved"
    assert refused["allowed_actions"] == ["return", "confirm", "withdraw", "cancel"]
    # 第九条（三）"自治区科技厅会同申报单位研究确定有关需求": the proposer confirms first.
    assert [(v["rule"], v["article"]) for v in refused["violations"]] == [
        ("R-WF-PUBLISH-JOINT", "第九条（三）")
    ]
    await step(client, lid, "confirm", world.member)
    assert (await step(client, lid, "publish", world.admin, window()))["status"] == "published"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("screen", {"passed": True}),
        ("approve", {}),
        ("confirm", {}),
        ("close", {}),
        ("publish", None),
    ],
)
async def test_invalid_transitions_from_draft(
    client: httpx.AsyncClient, world: World, action: str, body: dict[str, Any] | None
) -> None:
    lid = (await drafted(client, world))["id"]
    headers = world.member if action == "confirm" else world.admin
    refused = await step(
        client, lid, action, headers, body if body is not None else window(), expect=409
    )
    assert refused["code"] == "INVALID_TRANSITION"
    assert refused["allowed_actions"] == ["submit", "withdraw", "cancel"]


async def test_approval_needs_an_assessment(client: httpx.AsyncClient, world: World) -> None:
    lid = (await drafted(client, world))["id"]
    await step(client, lid, "submit", world.member)
    await step(client, lid, "screen", world.admin, {"passed": True})
    refused = await step(client, lid, "approve", world.admin, expect=409)
    assert refused["code"] == "CONFLICT"
    assert [(v["rule"], v["article"]) for v in refused["violations"]] == [
        ("R-WF-ASSESS", "第九条（二）")
    ]


async def test_submission_lists_every_violation(
    client: httpx.AsyncClient, world: World, sessions: Sessions
) -> None:
    await create_credit_record(sessions, await _org(sessions, world), ends_on=None)
    lid = (await drafted(client, world, title="x", background=None, key_technologies=[]))["id"]
    refused = await step(client, lid, "submit", world.member, expect=422)
    assert refused["code"] == "ELIGIBILITY_FAILED"
    cited = {(v["rule"], v["field"]) for v in refused["violations"]}
    assert ("R-LIST-FIELDS", "listing.background") in cited
    assert ("R-LIST-FIELDS", "listing.key_technologies") in cited
    assert ("R-ELIG-NO-DISHONESTY", "proposer") in cited
    listing = (await client.get(f"{LISTINGS}/{lid}", headers=world.member)).json()
    assert listing["status"] == "draft", "a refused submission changes nothing"


async def _org(sessions: Sessions, world: World) -> Any:
    from jiebang_api.models import Organization

    async with sessions() as session:
        return await session.get(Organization, world.org_id)


async def test_a_university_cannot_propose_a_tech_breakthrough(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    manager = await create_user(sessions)
    uni = await create_organization(sessions, manager=manager, type="university")
    response = await client.post(LISTINGS, json=listing_body(uni.id), headers=bearer(app, manager))
    refused = await step(client, response.json()["id"], "submit", bearer(app, manager), expect=422)
    assert {(v["rule"], v["article"]) for v in refused["violations"]} == {
        ("R-ELIG-TB-PROPOSER", "第五条")
    }


async def test_achievement_transfer_needs_the_proposers_own_ip(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    manager = await create_user(sessions)
    uni = await create_organization(
        sessions, manager=manager, type="university", name="内蒙古大学测试"
    )
    headers = bearer(app, manager)
    ip = {
        "kind": "invention_patent",
        "number": "ZL2024",
        "title": "一种方法",
        "holder": "另一所大学",
    }
    body = listing_body(
        uni.id,
        kind="achievement_transfer",
        ip_records=[ip],
        **TRANSFER_TEXT,
    )
    lid = (await client.post(LISTINGS, json=body, headers=headers)).json()["id"]
    refused = await step(client, lid, "submit", headers, expect=422)
    assert {v["rule"] for v in refused["violations"]} == {"R-ELIG-AT-OWN-IP"}
    fixed = await client.patch(
        f"{LISTINGS}/{lid}",
        json={"ip_records": [{**ip, "holder": "内蒙古大学测试"}]},
        headers=headers,
    )
    assert fixed.status_code == 200
    assert (await step(client, lid, "submit", headers))["status"] == "submitted"


async def test_emergency_listings_skip_steps_on_record(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await client.post(
        LISTINGS, json=listing_body(None, kind="emergency"), headers=world.admin
    )
    assert created.status_code == 201
    assert created.json()["code"].split("-")[2] == "EM"
    lid = created.json()["id"]
    assert (await step(client, lid, "approve", world.admin))["status"] == "approved"
    assert (await step(client, lid, "publish", world.admin, window()))["status"] == "published"
    history = (await client.get(f"{LISTINGS}/{lid}/history", headers=world.admin)).json()["items"]
    skipped = [
        e["data"].get("skipped_steps")
        for e in history
        if e["data"].get("rule") == "R-WF-EM-SIMPLIFIED"
    ]
    assert skipped == [["submit", "screen", "assess"], ["confirm"]]


def cited(problem: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(v["rule"], v["article"], v["field"]) for v in problem["violations"]}


async def test_an_emergency_listing_with_only_a_title_cannot_be_published(
    client: httpx.AsyncClient, world: World
) -> None:
    """第九条: the emergency procedure may be simplified, its listing's content may not: the
    shortcut draft → approved → published still meets R-LIST-FIELDS (第九条（一）)."""
    created = await client.post(
        LISTINGS,
        json={"kind": "emergency", "proposer_org_id": None, "title": "应急攻关"},
        headers=world.admin,
    )
    assert created.status_code == 201, created.text
    lid = created.json()["id"]
    await step(client, lid, "approve", world.admin)
    refused = await step(client, lid, "publish", world.admin, window(), expect=422)
    assert refused["code"] == "RULE_VIOLATION"
    assert {
        ("R-LIST-FIELDS", "第九条（一）", "listing.background"),
        ("R-LIST-FIELDS", "第九条（一）", "listing.total_rd_investment"),
        ("R-LIST-FIELDS", "第九条（一）", "listing.key_technologies"),
    } <= cited(refused)
    assert {r for r, _, _ in cited(refused)} == {"R-LIST-FIELDS"}
    detail = await client.get(f"{LISTINGS}/{lid}", headers=world.admin)
    assert detail.json()["status"] == "approved"  # nothing published, nothing recorded

    text = {k: v for k, v in listing_body(None).items() if k not in ("kind", "proposer_org_id")}
    zero = await client.patch(
        f"{LISTINGS}/{lid}", json={**text, "total_rd_investment": "0.00"}, headers=world.admin
    )
    assert zero.status_code == 200, zero.text
    refused = await step(client, lid, "publish", world.admin, window(), expect=422)
    assert cited(refused) == {("R-LIST-FIELDS", "第九条（一）", "listing.total_rd_investment")}

    await client.patch(
        f"{LISTINGS}/{lid}", json={"total_rd_investment": "800000.00"}, headers=world.admin
    )
    assert (await step(client, lid, "publish", world.admin, window()))["status"] == "published"


async def test_a_total_rd_investment_of_0_cannot_be_submitted(
    client: httpx.AsyncClient, world: World
) -> None:
    lid = (await drafted(client, world, total_rd_investment="0"))["id"]
    refused = await step(client, lid, "submit", world.member, expect=422)
    assert cited(refused) == {("R-LIST-FIELDS", "第九条（一）", "listing.total_rd_investment")}


@pytest.mark.parametrize(
    ("missing", "rule", "article"),
    [
        ("transfer_service", "R-ELIG-AT-SERVICE-TEAM", "第七条（三）"),
        ("application_direction", "R-ELIG-AT-LAYOUT", "第七条（一）"),
        ("transfer_form", "R-LIST-FIELDS", "第九条（一）"),
    ],
)
async def test_an_achievement_transfer_states_its_service_team_and_layout(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    missing: str,
    rule: str,
    article: str,
) -> None:
    manager = await create_user(sessions)
    uni = await create_organization(
        sessions, manager=manager, type="university", name="内蒙古大学测试"
    )
    headers = bearer(app, manager)
    ip = {"kind": "invention_patent", "number": "ZL1", "title": "一种方法", "holder": uni.name}
    text = {k: v for k, v in TRANSFER_TEXT.items() if k != missing}
    body = listing_body(uni.id, kind="achievement_transfer", ip_records=[ip], **text)
    lid = (await client.post(LISTINGS, json=body, headers=headers)).json()["id"]
    refused = await step(client, lid, "submit", headers, expect=422)
    assert cited(refused) == {(rule, article, f"listing.{missing}")}
    fixed = await client.patch(
        f"{LISTINGS}/{lid}", json={missing: TRANSFER_TEXT[missing]}, headers=headers
    )
    assert fixed.status_code == 200, fixed.text
    assert (await step(client, lid, "submit", headers))["status"] == "submitted"


async def test_a_long_time_requirement_is_a_warning_for_assessors(
    client: httpx.AsyncClient, world: World
) -> None:
    """第十六条: a technology breakthrough lasts in principle no more than three years."""
    lid = (await drafted(client, world, time_requirement_months=40))["id"]
    submitted = await step(client, lid, "submit", world.member)
    assert submitted["status"] == "submitted"
    assert ("R-TIME-TB-36M", "第十六条") in {
        (w["rule"], w["article"]) for w in submitted["eligibility_warnings"]
    }


async def test_a_listing_without_an_industry_cites_article_3(
    client: httpx.AsyncClient, world: World
) -> None:
    """第三条 "须聚焦自治区重点产业、重点领域": the industry is required under 第三条."""
    lid = (await drafted(client, world, industry=None))["id"]
    refused = await step(client, lid, "submit", world.member, expect=422)
    assert cited(refused) == {("R-LIST-FIELDS", "第三条", "listing.industry")}


async def test_the_duration_warning_follows_edits_until_publication(
    client: httpx.AsyncClient, world: World
) -> None:
    """第十六条: the department may change the time requirement until publication, so the
    warning for assessors is evaluated again when it publishes."""
    lid = (await drafted(client, world))["id"]
    submitted = await step(client, lid, "submit", world.member)
    assert "R-TIME-TB-36M" not in {w["rule"] for w in submitted["eligibility_warnings"]}
    await step(client, lid, "screen", world.admin, {"passed": True})
    await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "李", "conclusion": "support"},
        headers=world.admin,
    )
    await step(client, lid, "approve", world.admin)
    edited = await client.patch(
        f"{LISTINGS}/{lid}", json={"time_requirement_months": 48}, headers=world.admin
    )
    assert edited.status_code == 200, edited.text
    await step(client, lid, "confirm", world.member)
    published = await step(client, lid, "publish", world.admin, window())
    assert published["status"] == "published", "a warning, never a block"
    assert ("R-TIME-TB-36M", "第十六条") in {
        (w["rule"], w["article"]) for w in published["eligibility_warnings"]
    }


class Holder:
    """A university offering an achievement (第四条（二）), and its department-side view."""

    def __init__(self, app: FastAPI, manager: User, org_id: Any, name: str) -> None:
        self.headers = bearer(app, manager)
        self.org_id, self.name = org_id, name

    def ip(self, holder: str | None = None) -> dict[str, str]:
        return {
            "kind": "invention_patent",
            "number": "ZL1",
            "title": "一种方法",
            "holder": holder or self.name,
        }


@pytest.fixture
async def holder(app: FastAPI, sessions: Sessions) -> Holder:
    manager = await create_user(sessions)
    uni = await create_organization(
        sessions, manager=manager, type="university", name=f"内蒙古大学{uuid.uuid4().hex[:6]}"
    )
    return Holder(app, manager, uni.id, uni.name)


async def transfer_under_assessment(
    client: httpx.AsyncClient, holder: Holder, admin: dict[str, str]
) -> str:
    body = listing_body(
        holder.org_id, kind="achievement_transfer", ip_records=[holder.ip()], **TRANSFER_TEXT
    )
    created = await client.post(LISTINGS, json=body, headers=holder.headers)
    assert created.status_code == 201, created.text
    lid: str = created.json()["id"]
    await step(client, lid, "submit", holder.headers)
    await step(client, lid, "screen", admin, {"passed": True})
    return lid


async def assess(
    client: httpx.AsyncClient, lid: str, admin: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "王教授", "conclusion": "support", **fields},
        headers=admin,
    )


LAYOUT = ("R-ELIG-AT-LAYOUT", "第七条（一）")


async def test_an_achievement_transfer_is_approved_only_once_judged_to_fit_the_layout(
    client: httpx.AsyncClient, holder: Holder, admin_headers: dict[str, str]
) -> None:
    """第七条（一）"所提出的拟转化成果符合自治区经济社会发展总体布局": the assessment judges
    it (layout_fit), approval needs a judgement, and the latest one must be that it fits."""
    lid = await transfer_under_assessment(client, holder, admin_headers)

    unjudged = await assess(client, lid, admin_headers)
    assert unjudged.status_code == 201, unjudged.text
    assert unjudged.json()["layout_fit"] is None
    refused = await step(client, lid, "approve", admin_headers, expect=409)
    assert [(v["rule"], v["article"]) for v in refused["violations"]] == [LAYOUT]

    fits = await assess(client, lid, admin_headers, layout_fit=True)
    assert fits.status_code == 201, fits.text
    assert fits.json()["layout_fit"] is True
    does_not = await assess(client, lid, admin_headers, conclusion="oppose", layout_fit=False)
    assert does_not.json()["layout_fit"] is False
    read_back = await client.get(f"{LISTINGS}/{lid}/assessments", headers=holder.headers)
    assert [a["layout_fit"] for a in read_back.json()["items"]] == [None, True, False]
    refused = await step(client, lid, "approve", admin_headers, expect=409)
    assert [(v["rule"], v["article"]) for v in refused["violations"]] == [LAYOUT]
    assert "latest" in refused["violations"][0]["message_en"]

    await assess(client, lid, admin_headers, layout_fit=True)
    assert (await step(client, lid, "approve", admin_headers))["status"] == "approved"
    history = (await client.get(f"{LISTINGS}/{lid}/history", headers=admin_headers)).json()
    judged = [e["data"]["layout_fit"] for e in history["items"] if e["action"] == "listing.assess"]
    assert judged == [None, True, False, True]


async def test_layout_fit_is_judged_only_on_achievement_transfers(
    client: httpx.AsyncClient, world: World
) -> None:
    lid = (await drafted(client, world))["id"]
    await step(client, lid, "submit", world.member)
    await step(client, lid, "screen", world.admin, {"passed": True})
    refused = await assess(client, lid, world.admin, layout_fit=True)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "VALIDATION_FAILED"
    assert [v["field"] for v in refused.json()["violations"]] == ["body.layout_fit"]
    opinions = (await client.get(f"{LISTINGS}/{lid}/assessments", headers=world.admin)).json()
    assert opinions["items"] == [], "nothing recorded"
    assert (await assess(client, lid, world.admin, layout_fit=None)).status_code == 201
    assert (await step(client, lid, "approve", world.admin))["status"] == "approved"


async def test_an_ip_edit_that_breaks_own_ip_is_refused_at_publication(
    client: httpx.AsyncClient, holder: Holder, admin_headers: dict[str, str]
) -> None:
    """第七条（二）"对拟转化成果拥有自主知识产权": the department may edit the IP records until
    publication, so R-ELIG-AT-OWN-IP is checked again when it publishes."""
    lid = await transfer_under_assessment(client, holder, admin_headers)
    await assess(client, lid, admin_headers, layout_fit=True)
    await step(client, lid, "approve", admin_headers)
    edited = await client.patch(
        f"{LISTINGS}/{lid}", json={"ip_records": [holder.ip("另一所大学")]}, headers=admin_headers
    )
    assert edited.status_code == 200, edited.text
    await step(client, lid, "confirm", holder.headers)
    refused = await step(client, lid, "publish", admin_headers, window(), expect=422)
    assert refused["code"] == "RULE_VIOLATION"
    assert cited(refused) == {("R-ELIG-AT-OWN-IP", "第七条（二）", "listing.ip_records")}
    detail = (await client.get(f"{LISTINGS}/{lid}", headers=admin_headers)).json()
    assert detail["status"] == "confirmed", "nothing published"

    await client.patch(
        f"{LISTINGS}/{lid}", json={"ip_records": [holder.ip()]}, headers=admin_headers
    )
    await step(client, lid, "confirm", holder.headers)
    assert (await step(client, lid, "publish", admin_headers, window()))["status"] == "published"


async def test_only_the_department_creates_emergency_listings(
    client: httpx.AsyncClient, world: World
) -> None:
    refused = await client.post(
        LISTINGS, json=listing_body(None, kind="emergency"), headers=world.member
    )
    assert refused.status_code == 403


async def test_editing_confirmed_text_clears_the_confirmation(
    client: httpx.AsyncClient, world: World
) -> None:
    lid = (await drafted(client, world))["id"]
    await step(client, lid, "submit", world.member)
    await step(client, lid, "screen", world.admin, {"passed": True})
    await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "李", "conclusion": "support"},
        headers=world.admin,
    )
    await step(client, lid, "approve", world.admin)
    confirmed = await step(client, lid, "confirm", world.member)
    assert confirmed["confirmed_at"] is not None
    edited = await client.patch(
        f"{LISTINGS}/{lid}", json={"title": "修订后的榜单名称"}, headers=world.admin
    )
    assert edited.json()["status"] == "approved"
    assert edited.json()["confirmed_at"] is None
    proposer_edit = await client.patch(
        f"{LISTINGS}/{lid}", json={"title": "再改"}, headers=world.member
    )
    assert proposer_edit.status_code == 409


async def test_a_published_listing_reads_closed_when_its_window_ends(
    client: httpx.AsyncClient, world: World, admin_headers: dict[str, str]
) -> None:
    lid = (await drafted(client, world))["id"]
    await step(client, lid, "submit", world.member)
    await step(client, lid, "screen", world.admin, {"passed": True})
    await client.post(
        f"{LISTINGS}/{lid}/assessments",
        json={"assessor": "李", "conclusion": "support"},
        headers=world.admin,
    )
    await step(client, lid, "approve", world.admin)
    await step(client, lid, "confirm", world.member)
    await step(client, lid, "publish", world.admin, window(days=2))
    try:
        await client.post(
            "/api/v1/sandbox/clock", json={"advance_seconds": 3 * 86400}, headers=admin_headers
        )
        listing = (await client.get(f"{LISTINGS}/{lid}", headers=world.member)).json()
        assert listing["status"] == "closed"
        refused = await step(client, lid, "close", world.admin, expect=409)
        assert refused["current_state"] == "closed"
    finally:
        await client.post("/api/v1/sandbox/clock", json={"reset": True}, headers=admin_headers)


async def test_a_window_in_the_past_is_refused(client: httpx.AsyncClient, world: World) -> None:
    created = await client.post(
        LISTINGS, json=listing_body(None, kind="emergency"), headers=world.admin
    )
    lid = created.json()["id"]
    await step(client, lid, "approve", world.admin)
    past = {
        "application_opens_at": "2020-01-01T00:00:00Z",
        "application_closes_at": "2020-02-01T00:00:00Z",
    }
    refused = await step(client, lid, "publish", world.admin, past, expect=422)
    assert refused["violations"][0]["rule"] == "R-LIST-WINDOW"
    assert refused["violations"][0]["article"] == "本系统规则"  # the service's own rule


async def test_strangers_cannot_see_a_listing(
    client: httpx.AsyncClient, world: World, app: FastAPI, sessions: Sessions
) -> None:
    lid = (await drafted(client, world))["id"]
    stranger = bearer(app, await create_user(sessions))
    assert (await client.get(f"{LISTINGS}/{lid}", headers=stranger)).status_code == 404
    assert (
        await client.post(f"{LISTINGS}/{lid}/submit", json={}, headers=stranger)
    ).status_code == 404
    mine = (await client.get(LISTINGS, headers=stranger)).json()["items"]
    assert lid not in {x["id"] for x in mine}


async def test_codes_are_unique_under_concurrency(
    app: FastAPI, client_for: Any, world: World
) -> None:
    async def create() -> str:
        async with client_for(app) as http:
            response = await http.post(
                LISTINGS, json=listing_body(world.org_id), headers=world.member
            )
            assert response.status_code == 201, response.text
            code: str = response.json()["code"]
            return code

    codes = await asyncio.gather(*(create() for _ in range(8)))
    assert len(set(codes)) == 8


async def test_money_is_a_decimal_string(client: httpx.AsyncClient, world: World) -> None:
    for bad in (1500000.5, "1500000.123", "-5.00", "1e6"):
        response = await client.post(
            LISTINGS, json=listing_body(world.org_id, total_rd_investment=bad), headers=world.member
        )
        assert response.status_code == 422, bad
    ok = await drafted(client, world, total_rd_investment="1500000.5")
    assert ok["total_rd_investment"] == "1500000.50"


@pytest.mark.parametrize("amount", ["9999999999999999.99", "0.01", "1234567890123.45"])
async def test_amounts_survive_storage_to_the_cent(
    client: httpx.AsyncClient, world: World, amount: str
) -> None:
    """SQLite has no exact decimal: the largest amounts must still come back unchanged."""
    created = await drafted(client, world, total_rd_investment=amount)
    read = (await client.get(f"{LISTINGS}/{created['id']}", headers=world.member)).json()
    assert read["total_rd_investment"] == amount


async def _attachment(sessions: Sessions, owner: User) -> str:
    from jiebang_api.models import Attachment

    attachment = Attachment(
        id=uuid.uuid4(),
        filename="a.pdf",
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        storage_key=uuid.uuid4().hex,
        uploaded_by=owner.id,
    )
    async with sessions() as session:
        session.add(attachment)
        await session.commit()
    return str(attachment.id)


async def test_a_listing_links_only_its_own_uploads(
    client: httpx.AsyncClient, world: World, sessions: Sessions, app: FastAPI
) -> None:
    """Linking grants download rights, so nobody may link another's file (or one that
    does not exist)."""
    me = (await client.get("/api/v1/me", headers=world.member)).json()["user"]["id"]
    async with sessions() as session:
        owner = await session.get(User, uuid.UUID(me))
    assert owner is not None
    mine = await _attachment(sessions, owner)
    theirs = await _attachment(sessions, await create_user(sessions))
    refused = await client.post(
        LISTINGS, json=listing_body(world.org_id, attachment_ids=[theirs]), headers=world.member
    )
    assert refused.status_code == 422
    assert theirs in refused.text
    missing = await client.post(
        LISTINGS,
        json=listing_body(world.org_id, attachment_ids=[str(uuid.uuid4())]),
        headers=world.member,
    )
    assert missing.status_code == 422
    created = await client.post(
        LISTINGS, json=listing_body(world.org_id, attachment_ids=[mine]), headers=world.member
    )
    assert created.status_code == 201
    edited = await client.patch(
        f"{LISTINGS}/{created.json()['id']}",
        json={"attachment_ids": [mine, theirs]},
        headers=world.member,
    )
    assert edited.status_code == 422
