"""The whole programme through the API, once per kind (第九条 to 第十二条): a listing, an
application, the expert review and the joint recommendation, the agreement and its notice,
the five signatures, the funding decision, the demand side's first payment, the first
tranche, the reports, the acceptance and the final tranche — until the project is
`completed` and what was disbursed is exactly the subsidy. The sandbox clock passes the
application window and the notice period; organisations and accounts are the only rows made
directly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factories import Sessions, add_member, bearer, create_organization, create_user

CLOCK = "/api/v1/sandbox/clock"
PDF = b"%PDF-1.7\n%%EOF\n"
TB, AT, EM = "tech_breakthrough", "achievement_transfer", "emergency"


@dataclass
class Cast:
    """Who takes part: the department, the proposer (none for an emergency listing), the
    solver, three experts and a reviewer of the proposer's."""

    kind: str
    admin: dict[str, str]
    proposer_id: str | None
    proposer_name: str
    proposer: dict[str, str]
    solver_id: str
    solver: dict[str, str]
    experts: list[tuple[str, dict[str, str]]]
    reviewer_id: str
    reviewer: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def demand(self) -> dict[str, str]:
        """Who acts for the demand side: the proposer of a technology breakthrough, the solver
        of an achievement transfer, the department for an emergency listing."""
        return {TB: self.proposer, AT: self.solver, EM: self.admin}[self.kind]

    @property
    def supply(self) -> dict[str, str]:
        return {TB: self.solver, AT: self.proposer, EM: self.solver}[self.kind]


async def cast(app: FastAPI, sessions: Sessions, kind: str, admin: dict[str, str]) -> Cast:
    proposer_user, solver_user, reviewer = [await create_user(sessions) for _ in range(3)]
    flags = ["independent_legal_person", "high_tech", "pays_tax_in_region"]
    verified = {"verified": True, "verified_flags": flags, **dict.fromkeys(flags, True)}
    # A university offers an achievement; an enterprise takes it up. A breakthrough the other
    # way round.
    proposer_type, solver_type = (
        ("university", "enterprise") if kind == AT else ("enterprise", "university")
    )
    proposer = await create_organization(
        sessions, manager=proposer_user, type=proposer_type, **verified
    )
    solver = await create_organization(sessions, manager=solver_user, type=solver_type, **verified)
    await add_member(sessions, proposer, reviewer)
    experts = [await create_user(sessions, roles=("expert",)) for _ in range(3)]
    return Cast(
        kind=kind,
        admin=admin,
        proposer_id=None if kind == EM else str(proposer.id),
        proposer_name=proposer.name,
        proposer=bearer(app, proposer_user),
        solver_id=str(solver.id),
        solver=bearer(app, solver_user),
        experts=[(str(e.id), bearer(app, e)) for e in experts],
        reviewer_id=str(reviewer.id),
        reviewer=bearer(app, reviewer),
    )


async def ok(response: Any, status: int = 200) -> dict[str, Any]:
    reply = await response
    assert reply.status_code == status, f"{reply.request.method} {reply.request.url}: {reply.text}"
    return dict(reply.json()) if reply.content else {}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def upload(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    uploaded = await ok(
        client.post(
            "/api/v1/attachments",
            files={"file": ("文件.pdf", PDF, "application/pdf")},
            headers=headers,
        ),
        201,
    )
    return str(uploaded["id"])


async def now_of(client: httpx.AsyncClient, admin: dict[str, str]) -> datetime:
    clock = await ok(client.get(CLOCK, headers=admin))
    return datetime.fromisoformat(clock["now"])


async def move_to(client: httpx.AsyncClient, admin: dict[str, str], instant: datetime) -> None:
    await ok(client.post(CLOCK, json={"set_to": instant.isoformat()}, headers=admin))


LISTING: dict[str, Any] = {
    "title": "稀土永磁材料高矫顽力制备关键技术",
    "industry": "新材料",
    "background": "现有产品矫顽力不足。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": "10000000.00",
    "demand_requirements": "提供中试线。",
    "supply_requirements": "具备研发团队。",
    "ip_ownership": "双方共有。",
    "benefit_sharing": "按投入比例。",
    "attachment_ids": [],
}
TRANSFER = {
    "application_direction": "新能源汽车驱动电机用高性能磁体。",
    "industrial_effect": "带动区内稀土永磁材料向高端应用延伸。",
    "transfer_content": "晶界扩散制备高矫顽力钕铁硼磁体的成套工艺。",
    "transfer_form": "专利实施许可",
    "transfer_service": "发榜方技术转移中心团队全程参与工艺移植与调试。",
    "ip_records": [
        {
            "holder": "",  # the proposer's name
            "kind": "invention_patent",
            "number": "ZL202110123456.7",
            "title": "一种高矫顽力钕铁硼磁体的制备方法",
        }
    ],
}


async def publish_listing(client: httpx.AsyncClient, c: Cast, opens: datetime) -> str:
    """Draft to published: the proposer drafts, submits and confirms, the department screens,
    assesses, approves and publishes; an emergency listing is the department's, its skips
    recorded (R-WF-EM-SIMPLIFIED)."""
    body = {**LISTING, "kind": c.kind, "proposer_org_id": c.proposer_id}
    if c.kind == AT:  # the proposer owns the IP of its achievement (R-ELIG-AT-OWN-IP)
        records = [{**r, "holder": c.proposer_name} for r in TRANSFER["ip_records"]]
        body |= {**TRANSFER, "ip_records": records}
    author = c.admin if c.kind == EM else c.proposer
    listing = await ok(client.post("/api/v1/listings", json=body, headers=author), 201)
    where = f"/api/v1/listings/{listing['id']}"
    if c.kind != EM:
        await ok(client.post(f"{where}/submit", json={}, headers=c.proposer))
        await ok(client.post(f"{where}/screen", json={"passed": True}, headers=c.admin))
        opinion = {"assessor": "张教授", "conclusion": "support", "comment": "需求明确"}
        if c.kind == AT:
            opinion["layout_fit"] = True
        await ok(client.post(f"{where}/assessments", json=opinion, headers=c.admin), 201)
    await ok(client.post(f"{where}/approve", json={}, headers=c.admin))
    if c.kind != EM:
        await ok(client.post(f"{where}/confirm", json={}, headers=c.proposer))
    window = {
        "application_opens_at": opens.isoformat(),
        "application_closes_at": (opens + timedelta(days=30)).isoformat(),
    }
    published = await ok(client.post(f"{where}/publish", json=window, headers=c.admin))
    assert published["status"] == "published"
    return str(listing["id"])


async def apply(client: httpx.AsyncClient, c: Cast, listing_id: str) -> str:
    body = {
        "lead_org_id": c.solver_id,
        "lead_budget_share": "100",
        "plan": {
            "approach": "晶界扩散结合中试验证",
            "milestones": [{"title": "中试", "due_month": 12, "deliverable": "中试报告"}],
            "budget_total": "10000000.00",
            "team": [{"name": "王工", "title": "教授", "role": "技术负责人"}],
        },
        "declarations": {
            "has_transfer_team": True,
            "can_provide_funds": True,
            "can_provide_site": True,
            "market_channels": "区内整车企业",
        },
        "attachment_ids": [],
    }
    made = await ok(
        client.post(f"/api/v1/listings/{listing_id}/applications", json=body, headers=c.solver), 201
    )
    submitted = await ok(
        client.post(f"/api/v1/applications/{made['id']}/submit", json={}, headers=c.solver)
    )
    assert submitted["status"] == "submitted", submitted
    return str(made["id"])


async def review(client: httpx.AsyncClient, c: Cast, listing_id: str, application_id: str) -> None:
    """The department opens a round of three experts (the proposer's reviewer with them, the
    department's own criteria for an emergency listing); each scores; the department closes
    it and proposes the application; the proposer's reviewer (the department alone for an
    emergency listing) confirms the recommendation (R-WF-RECOMMEND-JOINT)."""
    body: dict[str, Any] = {"expert_user_ids": [e for e, _ in c.experts]}
    if c.kind == EM:
        body["criteria"] = [
            {
                "key": "feasibility",
                "name_zh": "方案可行性",
                "name_en": "Feasibility",
                "max_score": "60.0",
            },
            {
                "key": "capacity",
                "name_zh": "应急保障能力",
                "name_en": "Capacity",
                "max_score": "40.0",
            },
        ]
    else:
        body["proposer_reviewer_user_ids"] = [c.reviewer_id]
    opened = await ok(
        client.post(f"/api/v1/listings/{listing_id}/review-rounds", json=body, headers=c.admin),
        201,
    )
    sheet = {k["key"]: str(Decimal(k["max_score"]) - 5) for k in opened["criteria"]}
    for _, headers in c.experts:
        mine = await ok(client.get("/api/v1/review-assignments", headers=headers))
        assignment = next(a for a in mine["items"] if a["review_round_id"] == opened["id"])
        await ok(
            client.post(
                f"/api/v1/review-assignments/{assignment['id']}/scores",
                json={"scores": sheet, "comment": "可行"},
                headers=headers,
            )
        )
    where = f"/api/v1/review-rounds/{opened['id']}"
    await ok(client.post(f"{where}/close", json={}, headers=c.admin))
    await ok(
        client.post(
            f"{where}/recommendation", json={"application_ids": [application_id]}, headers=c.admin
        )
    )
    confirmer = c.admin if c.kind == EM else c.reviewer
    await ok(client.post(f"{where}/recommendation/confirm", json={}, headers=confirmer))


def terms(application_id: str, start_on: str, milestone_on: str) -> dict[str, Any]:
    """A = 3,000,000.00 of T = 10,000,000.00; S asked 2,000,000.00."""
    return {
        "application_id": application_id,
        "agreement_amount": "3000000.00",
        "total_rd_investment": "10000000.00",
        "requested_subsidy": "2000000.00",
        "start_on": start_on,
        "duration_months": 24,
        "payment_schedule": [
            {"seq": 1, "amount": "1000000.00", "due_on": start_on, "condition": "签约后"},
            {"seq": 2, "amount": "2000000.00", "due_on": milestone_on, "condition": "中试通过"},
        ],
        "ip_ownership": "新成果归需求方所有",
        "benefit_sharing": "产业化收益按 7:3 分配",
        "milestones": [
            {"title": "中试", "due_on": milestone_on, "deliverable": "中试报告", "kpi": "良率≥95%"}
        ],
        "budget_lines": [
            {"category": "key_tech_rd", "amount": "1500000.00"},
            {"category": "pilot_test", "amount": "500000.00"},
        ],
    }


async def agree(client: httpx.AsyncClient, c: Cast, application_id: str, today: datetime) -> str:
    """Negotiation, the agreement confirmed by both sides, the department's approval and the
    public notice passed (skipped for an emergency listing, R-WF-EM-SIMPLIFIED)."""
    await ok(
        client.post(
            f"/api/v1/applications/{application_id}/negotiations",
            json={"held_on": today.date().isoformat(), "participants": ["双方"], "minutes": "议定"},
            headers=c.supply,
        ),
        201,
    )
    start = (today + timedelta(days=30)).date()
    body = terms(application_id, start.isoformat(), (start + timedelta(days=300)).isoformat())
    made = await ok(client.post("/api/v1/agreements", json=body, headers=c.supply), 201)
    where = f"/api/v1/agreements/{made['id']}"
    for side in (c.demand, c.supply):
        await ok(client.post(f"{where}/confirm", json={}, headers=side))
    await ok(client.post(f"{where}/submit", json={}, headers=c.supply))
    approved = await ok(
        client.post(f"{where}/approve", json={"skip_notice": c.kind == EM}, headers=c.admin)
    )
    if c.kind != EM:
        assert approved["status"] == "in_publicity"
        await move_to(
            client,
            c.admin,
            datetime.fromisoformat(approved["objections_close_at"]) + timedelta(seconds=1),
        )
    assert (await ok(client.get(where, headers=c.admin)))["status"] == "publicity_passed"
    return str(made["id"])


async def sign(client: httpx.AsyncClient, c: Cast, agreement_id: str) -> str:
    """The five signatures (R-WF-SIGN-ALL); the last creates the project."""
    where = f"/api/v1/agreements/{agreement_id}/signatures"
    signed: dict[str, Any] = {}
    for document, party, headers in (
        ("agreement", "demand", c.demand),
        ("agreement", "supply", c.supply),
        ("task_book", "demand", c.demand),
        ("task_book", "supply", c.supply),
        ("task_book", "department", c.admin),
    ):
        body = {
            "document": document,
            "party": party,
            "attachment_id": await upload(client, headers),
        }
        signed = await ok(client.post(where, json=body, headers={**headers, **key()}), 201)
    assert signed["status"] == "signed"
    return str(signed["project_id"])


async def fund(client: httpx.AsyncClient, c: Cast, project: str) -> None:
    """S = 1,000,000.00; the first tranche follows the verified first payment P1 =
    1,000,000.00 of A = 3,000,000.00 (R-DISB-FIRST-RATIO): 333,333.33; an emergency
    project's decision sets it (R-FUND-EM-FISCAL): 400,000.00."""
    decision: dict[str, Any] = {
        "subsidy": "1000000.00",
        "total_rd_investment_verified": True,
        "agreement_verified": True,
    }
    if c.kind == EM:
        decision["first_tranche"] = "400000.00"
    await ok(client.post(f"{project}/funding-decision", json=decision, headers=c.admin), 201)
    if c.kind != EM:
        supply = (await ok(client.get(project, headers=c.admin)))["supply_org_id"]
        payment = {
            "instalment_seq": 1,
            "amount": "1000000.00",
            "paid_on": "2027-04-15",
            "payee_org_id": supply,
            "proof_attachment_id": await upload(client, c.demand),
        }
        paid = await ok(client.post(f"{project}/payments", json=payment, headers=c.demand), 201)
        verify = f"/api/v1/payments/{paid['id']}/verify"
        await ok(client.post(verify, json={"accepted": True}, headers=c.admin))
    first = await ok(
        client.post(
            f"{project}/disbursements", json={"tranche": "first"}, headers={**c.admin, **key()}
        ),
        201,
    )
    assert first["amount"] == ("400000.00" if c.kind == EM else "333333.33")


async def report(client: httpx.AsyncClient, c: Cast, project: str) -> None:
    """Acceptance waits for the reports: the milestone not met is outstanding (409); the
    supply side reports it met and what the first tranche paid for (第十三条 categories,
    R-FUND-USE); the department reviews."""
    early = await client.post(
        f"{project}/acceptance", json={"summary": "申请验收"}, headers={**c.demand, **key()}
    )
    assert (early.status_code, [v["field"] for v in early.json()["violations"]]) == (
        409,
        ["milestones"],
    )
    milestones = await ok(client.get(f"{project}/milestones", headers=c.supply))
    met = [
        {"milestone_id": m["id"], "status": "met", "note": "中试完成"} for m in milestones["items"]
    ]
    period = {"period_start": "2027-01-01", "period_end": "2027-12-31"}
    progress = {"kind": "progress", "summary": "中试完成。", "milestone_updates": met, **period}
    spent = {
        "kind": "expenditure",
        "summary": "首笔补助支出。",
        "expenditures": [
            {"category": "key_tech_rd", "amount": "300000.00"},
            {"category": "pilot_test", "amount": "33333.33"},
        ],
        **period,
    }
    for body in (progress, spent):
        made = await ok(client.post(f"{project}/reports", json=body, headers=c.supply), 201)
        review = {"outcome": "accepted", "comment": "同意"}
        await ok(client.post(f"/api/v1/reports/{made['id']}/review", json=review, headers=c.admin))


async def accept_and_complete(client: httpx.AsyncClient, c: Cast, project: str) -> None:
    await ok(
        client.post(
            f"{project}/acceptance", json={"summary": "申请验收"}, headers={**c.demand, **key()}
        ),
        201,
    )
    result = {"method": "acceptance", "outcome": "passed", "score": "90.0", "comments": "达标"}
    await ok(client.post(f"{project}/acceptance/result", json=result, headers=c.admin))
    final = await ok(
        client.post(
            f"{project}/disbursements", json={"tranche": "final"}, headers={**c.admin, **key()}
        ),
        201,
    )
    assert final["amount"] == ("600000.00" if c.kind == EM else "666666.67")


@pytest.mark.parametrize("kind", [TB, AT, EM])
async def test_each_kind_goes_from_a_listing_to_a_completed_project(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
    kind: str,
) -> None:
    c = await cast(app, sessions, kind, admin_headers)
    try:
        opens = await now_of(client, admin_headers)
        listing = await publish_listing(client, c, opens)
        application = await apply(client, c, listing)
        # The window ends: the listing closes and the applications go under review.
        await move_to(client, admin_headers, opens + timedelta(days=30, seconds=1))
        read = await ok(client.get(f"/api/v1/listings/{listing}", headers=admin_headers))
        assert read["status"] == "closed"
        await review(client, c, listing, application)
        today = await now_of(client, admin_headers)
        agreement = await agree(client, c, application, today)
        project = f"/api/v1/projects/{await sign(client, c, agreement)}"
        await fund(client, c, project)
        await report(client, c, project)
        await accept_and_complete(client, c, project)
    finally:
        await ok(client.post(CLOCK, json={"reset": True}, headers=admin_headers))
    done = await ok(client.get(project, headers=c.supply))
    assert (done["status"], done["kind"]) == ("completed", kind)
    money = await ok(client.get(f"{project}/funding", headers=c.demand if kind != EM else c.admin))
    assert money["disbursed"] == money["subsidy"] == "1000000.00"
    paid = await ok(client.get(f"{project}/disbursements", headers=admin_headers))
    assert sum(Decimal(d["amount"]) for d in paid["items"]) == Decimal("1000000.00")
    listed = await ok(client.get(f"/api/v1/listings/{listing}", headers=admin_headers))
    assert listed["status"] == "awarded"
    history = await ok(client.get(f"{project}/history", headers=admin_headers))
    moves = [
        (e["from_state"], e["to_state"])
        for e in history["items"]
        if e["from_state"] != e["to_state"]
    ]
    assert moves == [
        (None, "in_progress"),
        ("in_progress", "acceptance_requested"),
        ("acceptance_requested", "accepted"),
        ("accepted", "completed"),
    ]


async def test_an_emergency_listing_takes_only_the_steps_the_department_chooses(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    """第九条 (R-WF-EM-SIMPLIFIED): publish, recommend, sign — no submission, screening,
    assessment, confirmation, expert review or public notice, each skip on record."""
    c = await cast(app, sessions, EM, admin_headers)
    opens = await now_of(client, admin_headers)
    listing = await publish_listing(client, c, opens)
    application = await apply(client, c, listing)
    where = f"/api/v1/listings/{listing}"
    await ok(client.post(f"{where}/close", json={}, headers=admin_headers))
    body = {"application_ids": [application], "reason": "应急攻关，省略专家评审"}
    by_solver = await client.post(f"{where}/recommendation", json=body, headers=c.solver)
    assert (by_solver.status_code, by_solver.json()["code"]) == (403, "FORBIDDEN")
    made = await ok(client.post(f"{where}/recommendation", json=body, headers=admin_headers))
    assert (made["application_ids"], made["listing_failed"]) == ([application], False)
    again = await client.post(f"{where}/recommendation", json=body, headers=admin_headers)
    assert again.status_code == 422  # no longer under review
    read = await ok(client.get(f"/api/v1/applications/{application}", headers=c.solver))
    assert (read["status"], read["recommendation_rank"]) == ("recommended", 1)
    agreement = await agree(client, c, application, opens)
    project = await sign(client, c, agreement)
    assert (await ok(client.get(f"/api/v1/projects/{project}", headers=c.solver)))["kind"] == EM
    history = await ok(client.get(f"{where}/history", headers=admin_headers))
    skipped = [
        step
        for e in history["items"]
        if e["data"].get("rule") == "R-WF-EM-SIMPLIFIED"
        for step in e["data"]["skipped_steps"]
    ]
    assert skipped == [
        "submit",
        "screen",
        "assess",
        "confirm",
        "review_round",
        "joint_confirmation",
    ]
    signed = await ok(client.get(f"/api/v1/agreements/{agreement}/history", headers=admin_headers))
    assert ["public_notice"] in [e["data"].get("skipped_steps") for e in signed["items"]]


async def test_only_an_emergency_listing_is_recommended_without_a_review(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    c = await cast(app, sessions, TB, admin_headers)
    listing = await publish_listing(client, c, await now_of(client, admin_headers))
    application = await apply(client, c, listing)
    where = f"/api/v1/listings/{listing}"
    body = {"application_ids": [application], "reason": "省略评审"}
    await ok(client.post(f"{where}/close", json={}, headers=admin_headers))
    refused = await client.post(f"{where}/recommendation", json=body, headers=admin_headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "CONFLICT")
    assert [v["rule"] for v in refused.json()["violations"]] == ["R-WF-EM-SIMPLIFIED"]
    read = await ok(client.get(f"/api/v1/applications/{application}", headers=c.solver))
    assert read["status"] == "under_review"
