"""Negotiation and the agreement (第九条（六）（七）): the rank's turn, the two sides, the rules
of the measures on the terms (each cited), the department's waivers, and each side's
confirmation."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from factories import (
    Sessions,
    agreement_body,
    bearer,
    create_listing,
    create_organization,
    create_recommended_application,
    create_user,
)
from jiebang_api.kit.clock import FixedClock
from jiebang_api.models import Agreement, Application, AuditEntry, Event
from jiebang_api.worker import sweep_once


@dataclass
class Scene:
    listing_id: uuid.UUID
    first: uuid.UUID  # recommended, rank 1
    second: uuid.UUID  # recommended, rank 2
    proposer: uuid.UUID
    lead: uuid.UUID  # the first application's lead
    proposer_headers: dict[str, str]  # a manager of the proposer
    lead_headers: dict[str, str]  # a manager of the first lead
    second_headers: dict[str, str]  # a manager of the second lead


async def scene(app: FastAPI, sessions: Sessions, kind: str = "tech_breakthrough") -> Scene:
    at_proposer, at_lead, at_second = [await create_user(sessions) for _ in range(3)]
    proposer = await create_organization(sessions, manager=at_proposer)
    lead = await create_organization(sessions, manager=at_lead)
    other = await create_organization(sessions, manager=at_second)
    listing = await create_listing(sessions, proposer, kind=kind, status="closed")
    first = await create_recommended_application(sessions, listing, lead, rank=1)
    second = await create_recommended_application(sessions, listing, other, rank=2)
    return Scene(
        listing.id,
        first.id,
        second.id,
        proposer.id,
        lead.id,
        bearer(app, at_proposer),
        bearer(app, at_lead),
        bearer(app, at_second),
    )


async def draft(client: httpx.AsyncClient, headers: dict[str, str], **terms: Any) -> Any:
    response = await client.post("/api/v1/agreements", json=terms, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def cited(response: httpx.Response) -> list[tuple[str, str]]:
    return [(v["rule"], v["article"]) for v in response.json()["violations"]]


async def test_the_sides_follow_the_listing_kind(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    tb = await scene(app, sessions)
    made = await draft(client, tb.proposer_headers, **agreement_body(tb.first))
    assert (made["demand_org_id"], made["supply_org_id"]) == (str(tb.proposer), str(tb.lead))
    assert made["status"] == "draft"
    assert made["findings"] == {"blocking": [], "waived": []}
    at = await scene(app, sessions, kind="achievement_transfer")
    made = await draft(client, at.lead_headers, **agreement_body(at.first))
    assert (made["demand_org_id"], made["supply_org_id"]) == (str(at.lead), str(at.proposer))


async def test_an_agreement_below_30_percent_of_t_is_refused_until_waived(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    # T = 10,000,000 and A = 2,900,000: 29 % (第十条: in principle at least 30 %).
    low = agreement_body(
        s.first,
        agreement_amount="2900000.00",
        payment_schedule=[
            {"seq": 1, "amount": "2900000.00", "due_on": "2027-04-15", "condition": "签约后"}
        ],
    )
    made = await draft(client, s.proposer_headers, **low)
    assert [(f["rule"], f["article"]) for f in made["findings"]["blocking"]] == [
        ("R-FUND-AGREEMENT-MIN", "第十条")
    ]
    where = f"/api/v1/agreements/{made['id']}"
    refused = await client.post(f"{where}/confirm", json={}, headers=s.proposer_headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(refused) == [("R-FUND-AGREEMENT-MIN", "第十条")]

    waiver = {
        "rule": "R-FUND-AGREEMENT-MIN",
        "reason": "初创企业",
        "document_ref": "内科发〔2027〕1号",
    }
    by_side = await client.post(f"{where}/waivers", json=waiver, headers=s.proposer_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    waived = await client.post(f"{where}/waivers", json=waiver, headers=admin_headers)
    assert waived.status_code == 201, waived.text
    body = waived.json()
    assert body["findings"]["blocking"] == []
    assert [f["rule"] for f in body["findings"]["waived"]] == ["R-FUND-AGREEMENT-MIN"]
    assert [(w["rule"], w["article"], w["document_ref"]) for w in body["waivers"]] == [
        ("R-FUND-AGREEMENT-MIN", "第十条", "内科发〔2027〕1号")
    ]
    again = await client.post(f"{where}/waivers", json=waiver, headers=admin_headers)
    assert again.status_code == 409

    demand = await client.post(f"{where}/confirm", json={}, headers=s.proposer_headers)
    assert demand.status_code == 200, demand.text
    assert demand.json()["status"] == "draft"  # one side so far
    supply = await client.post(f"{where}/confirm", json={}, headers=s.lead_headers)
    assert supply.status_code == 200, supply.text
    assert supply.json()["status"] == "confirmed"
    async with sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.resource_id == made["id"])
                .order_by(AuditEntry.resource_seq)
            )
        ).all()
        waived_event = await session.scalar(
            select(Event).where(
                Event.type == "agreement.rule_waived", Event.resource_id == made["id"]
            )
        )
    assert list(actions) == [
        "agreement.create",
        "agreement.waive",
        "agreement.confirm",
        "agreement.confirm",
    ]
    assert waived_event is not None
    assert waived_event.payload["rule"] == "R-FUND-AGREEMENT-MIN"
    history = await client.get(f"{where}/history", headers=s.lead_headers)
    waive = next(e for e in history.json()["items"] if e["action"] == "agreement.waive")
    assert waive["data"]["rule"] == "R-FUND-AGREEMENT-MIN"
    assert waive["reason"] == "初创企业"


async def test_durations_beyond_the_kinds_limit_are_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    for kind, months, rule, headers_of in (
        ("tech_breakthrough", 37, "R-TIME-TB-36M", "proposer_headers"),
        ("achievement_transfer", 25, "R-TIME-AT-24M", "lead_headers"),
    ):
        s = await scene(app, sessions, kind=kind)
        headers = getattr(s, headers_of)  # a member of the demand side
        made = await draft(client, headers, **agreement_body(s.first, duration_months=months))
        refused = await client.post(
            f"/api/v1/agreements/{made['id']}/confirm", json={}, headers=headers
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
        assert cited(refused) == [(rule, "第十六条")]
        fixed = await client.patch(
            f"/api/v1/agreements/{made['id']}",
            json={"duration_months": months - 1},
            headers=headers,
        )
        assert fixed.json()["findings"]["blocking"] == []


async def test_the_caps_block_the_confirmation(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    # S = 3,100,000 is 31 % of T (第十一条: in principle at most 30 %).
    over = agreement_body(
        s.first,
        requested_subsidy="3100000.00",
        budget_lines=[{"category": "pilot_test", "amount": "3100000.00"}],
    )
    made = await draft(client, s.lead_headers, **over)
    refused = await client.post(
        f"/api/v1/agreements/{made['id']}/confirm", json={}, headers=s.lead_headers
    )
    assert cited(refused) == [("R-FUND-RATIO-CAP", "第十一条")]


async def test_only_a_case_by_case_decision_lifts_the_caps(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    # S = 12,000,000 of T = 40,000,000: 30 % but above the 10 million cap (第十一条).
    over = agreement_body(
        s.first,
        agreement_amount="12000000.00",
        total_rd_investment="40000000.00",
        requested_subsidy="12000000.00",
        payment_schedule=[
            {"seq": 1, "amount": "12000000.00", "due_on": "2027-04-15", "condition": "签约后"}
        ],
        budget_lines=[{"category": "key_tech_rd", "amount": "12000000.00"}],
    )
    made = await draft(client, s.lead_headers, **over)
    where = f"/api/v1/agreements/{made['id']}"
    assert made["case_by_case"] is None
    assert [f["rule"] for f in made["findings"]["blocking"]] == ["R-FUND-ABS-CAP"]
    waiver = {"rule": "R-FUND-ABS-CAP", "reason": "重大", "document_ref": "内科发〔2027〕1号"}
    not_a_waiver = await client.post(f"{where}/waivers", json=waiver, headers=admin_headers)
    assert not_a_waiver.status_code == 422  # the caps are no waiver's to lift
    decision = {"reason": "自治区重大项目，一事一议", "document_ref": "内科发〔2027〕31号"}
    by_side = await client.post(f"{where}/case-by-case", json=decision, headers=s.lead_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    decided = await client.post(f"{where}/case-by-case", json=decision, headers=admin_headers)
    assert decided.status_code == 201, decided.text
    body = decided.json()
    assert (body["case_by_case"]["rule"], body["case_by_case"]["article"]) == (
        "R-FUND-CASE-BY-CASE",
        "第十一条",
    )
    assert (body["findings"]["blocking"], body["waivers"]) == ([], [])
    twice = await client.post(f"{where}/case-by-case", json=decision, headers=admin_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")
    confirmed = await client.post(f"{where}/confirm", json={}, headers=s.lead_headers)
    assert confirmed.status_code == 200, confirmed.text
    history = (await client.get(f"{where}/history", headers=s.proposer_headers)).json()["items"]
    assert history[1]["action"] == "agreement.decide_case_by_case"
    assert history[1]["data"]["document_ref"] == decision["document_ref"]


async def test_the_figures_must_add_up(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    off = agreement_body(s.first, budget_lines=[{"category": "pilot_test", "amount": "1999999.99"}])
    refused = await client.post("/api/v1/agreements", json=off, headers=s.lead_headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED")
    assert [v["field"] for v in refused.json()["violations"]] == ["body.budget_lines"]
    async with sessions() as session:
        kept = await session.scalars(select(Agreement).where(Agreement.application_id == s.first))
        assert kept.all() == []


async def test_negotiation_follows_the_rank(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    record = {"held_on": "2027-03-02", "participants": ["科技厅", "某某公司"], "minutes": "议定"}
    second = f"/api/v1/applications/{s.second}/negotiations"
    early = await client.post(second, json=record, headers=s.second_headers)
    assert (early.status_code, early.json()["code"]) == (409, "CONFLICT")
    early_agreement = await client.post(
        "/api/v1/agreements", json=agreement_body(s.second), headers=s.second_headers
    )
    assert early_agreement.status_code == 409
    first = f"/api/v1/applications/{s.first}/negotiations"
    for headers in (admin_headers, s.proposer_headers, s.lead_headers):
        made = await client.post(first, json=record, headers=headers)
        assert made.status_code == 201, made.text
    listed = await client.get(first, headers=s.lead_headers)
    assert [n["minutes"] for n in listed.json()["items"]] == ["议定"] * 3
    for headers in (s.second_headers, bearer(app, await create_user(sessions))):
        hidden = await client.get(first, headers=headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")


async def test_one_live_agreement_per_application_even_when_raced(
    backend: str, client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    replies = await asyncio.gather(
        *(
            client.post("/api/v1/agreements", json=agreement_body(s.first), headers=h)
            for h in (s.proposer_headers, s.lead_headers) * 3
        )
    )
    assert sorted(r.status_code for r in replies) == [201] + [409] * 5


async def test_an_edit_clears_the_confirmations_and_needs_the_current_version(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    made = await draft(client, s.lead_headers, **agreement_body(s.first))
    where = f"/api/v1/agreements/{made['id']}"
    confirmed = await client.post(f"{where}/confirm", json={}, headers=s.lead_headers)
    assert confirmed.json()["supply_confirmation"]["confirmed_at"] is not None
    twice = await client.post(f"{where}/confirm", json={}, headers=s.lead_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")
    stale = await client.patch(
        where, json={"ip_ownership": "双方共有"}, headers={**s.lead_headers, "If-Match": '"1"'}
    )
    assert (stale.status_code, stale.json()["code"]) == (412, "VERSION_CONFLICT")
    edited = await client.patch(
        where,
        json={"ip_ownership": "双方共有"},
        headers={**s.proposer_headers, "If-Match": confirmed.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["supply_confirmation"] == {"confirmed_by": None, "confirmed_at": None}
    for headers in (s.lead_headers, s.proposer_headers):
        assert (await client.post(f"{where}/confirm", json={}, headers=headers)).status_code == 200
    locked = await client.patch(where, json={"ip_ownership": "改"}, headers=s.lead_headers)
    assert (locked.status_code, locked.json()["current_state"]) == (409, "confirmed")


async def test_submission_comes_after_both_confirmations(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    made = await draft(client, s.lead_headers, **agreement_body(s.first))
    where = f"/api/v1/agreements/{made['id']}"
    early = await client.post(f"{where}/submit", json={}, headers=s.lead_headers)
    assert (early.status_code, early.json()["code"]) == (409, "INVALID_TRANSITION")
    by_department = await client.post(f"{where}/confirm", json={}, headers=admin_headers)
    assert (by_department.status_code, by_department.json()["code"]) == (403, "FORBIDDEN")
    for headers in (s.lead_headers, s.proposer_headers):
        await client.post(f"{where}/confirm", json={}, headers=headers)
    submitted = await client.post(f"{where}/submit", json={}, headers=s.proposer_headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"] is not None


async def test_the_department_confirms_for_an_emergency_listings_demand_side(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    at_lead = await create_user(sessions)
    lead = await create_organization(sessions, manager=at_lead)
    listing = await create_listing(sessions, None, status="closed")
    application = await create_recommended_application(sessions, listing, lead)
    # R-FUND-EM-FISCAL (a reading): A below 30 % of T does not bind an emergency agreement.
    terms = agreement_body(
        application.id,
        agreement_amount="0.00",
        payment_schedule=[{"seq": 1, "amount": "0.00", "due_on": "2027-04-15", "condition": "无"}],
    )
    made = await draft(client, admin_headers, **terms)
    assert (made["demand_org_id"], made["findings"]["blocking"]) == (None, [])
    where = f"/api/v1/agreements/{made['id']}"
    demand = await client.post(f"{where}/confirm", json={}, headers=admin_headers)
    assert demand.status_code == 200, demand.text
    assert demand.json()["demand_confirmation"]["confirmed_at"] is not None
    supply = await client.post(f"{where}/confirm", json={}, headers=bearer(app, at_lead))
    assert supply.json()["status"] == "confirmed"


async def test_strangers_see_no_agreement(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    made = await draft(client, s.lead_headers, **agreement_body(s.first))
    stranger = bearer(app, await create_user(sessions))
    for method, path in (
        ("GET", ""),
        ("POST", "/confirm"),
        ("POST", "/submit"),
    ):
        response = await client.request(
            method,
            f"/api/v1/agreements/{made['id']}{path}",
            json={} if method == "POST" else None,
            headers=stranger,
        )
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    unknown = await client.post(
        "/api/v1/agreements", json=agreement_body(uuid.uuid4()), headers=s.lead_headers
    )
    assert unknown.status_code == 404


async def test_the_sides_read_the_files_of_their_negotiation_records(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    uploaded = await client.post(
        "/api/v1/attachments",
        files={"file": ("纪要.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=s.lead_headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    record = {
        "held_on": "2027-03-02",
        "participants": ["双方"],
        "minutes": "议定",
        "attachment_ids": [file_id],
    }
    where = f"/api/v1/applications/{s.first}/negotiations"
    foreign = await client.post(where, json=record, headers=s.proposer_headers)
    assert [v["field"] for v in foreign.json()["violations"]] == ["body.attachment_ids"]
    made = await client.post(where, json=record, headers=s.lead_headers)
    assert made.status_code == 201, made.text
    content = f"/api/v1/attachments/{file_id}/content"
    assert (await client.get(content, headers=s.proposer_headers)).status_code == 200
    outsider = await client.get(content, headers=s.second_headers)
    assert (outsider.status_code, outsider.json()["code"]) == (404, "NOT_FOUND")


# --- the department's review, the public notice, and abandoning ------------------------------


async def submitted(client: httpx.AsyncClient, s: Scene, application: uuid.UUID) -> str:
    """A draft on good terms, confirmed by both sides and submitted; its path."""
    lead = s.second_headers if application == s.second else s.lead_headers
    made = await draft(client, lead, **agreement_body(application))
    where = f"/api/v1/agreements/{made['id']}"
    for side in (lead, s.proposer_headers):
        assert (await client.post(f"{where}/confirm", json={}, headers=side)).status_code == 200
    sent = await client.post(f"{where}/submit", json={}, headers=s.proposer_headers)
    assert sent.status_code == 200, sent.text
    return where


async def test_an_approval_on_30_september_2026_runs_the_notice_after_national_day(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await submitted(client, s, s.first)
    clock = "/api/v1/sandbox/clock"
    try:
        moved = await client.post(
            clock, json={"set_to": "2026-09-30T10:00:00+08:00"}, headers=admin_headers
        )
        assert moved.status_code == 200, moved.text
        approved = await client.post(f"{where}/approve", json={}, headers=admin_headers)
    finally:
        await client.post(clock, json={"reset": True}, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "in_publicity"
    assert (body["publicity_starts_on"], body["publicity_ends_on"]) == ("2026-10-08", "2026-10-13")
    assert body["objections_close_at"] == "2026-10-13T16:00:00Z"  # 24:00 in Asia/Shanghai
    assert body["publicity_calendar"] == {"2026": "package"}
    # Today (December 2026) that notice has long ended: it reads as passed.
    read = await client.get(where, headers=s.lead_headers)
    assert read.json()["status"] == "publicity_passed"


async def test_the_notice_passes_by_the_worker_when_its_period_ends(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await submitted(client, s, s.first)
    approved = await client.post(f"{where}/approve", json={}, headers=admin_headers)
    assert approved.json()["status"] == "in_publicity"
    assert (await client.get(where, headers=s.lead_headers)).json()["status"] == "in_publicity"
    closes = datetime.fromisoformat(approved.json()["objections_close_at"])
    await sweep_once(
        sessions, clock=FixedClock(closes - timedelta(seconds=1)), sandbox_enabled=False
    )
    assert await stored(sessions, approved.json()["id"]) == "in_publicity"
    handled = await sweep_once(sessions, clock=FixedClock(closes), sandbox_enabled=False)
    assert handled["agreement"] >= 1
    assert await stored(sessions, approved.json()["id"]) == "publicity_passed"
    history = (await client.get(f"{where}/history", headers=admin_headers)).json()["items"]
    assert [(e["action"], e["actor_type"]) for e in history[-2:]] == [
        ("agreement.approve", "user"),
        ("agreement.pass_notice", "system"),
    ]


async def test_the_department_returns_a_submitted_agreement(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await submitted(client, s, s.first)
    by_side = await client.post(f"{where}/return", json={"reason": "改"}, headers=s.lead_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    returned = await client.post(
        f"{where}/return", json={"reason": "付款节点不清"}, headers=admin_headers
    )
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert body["status"] == "returned"
    assert body["demand_confirmation"]["confirmed_at"] is None
    again = await client.post(f"{where}/approve", json={}, headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")


async def test_only_an_emergency_agreement_skips_the_notice(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    where = await submitted(client, s, s.first)
    refused = await client.post(
        f"{where}/approve", json={"skip_notice": True}, headers=admin_headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(refused) == [("R-WF-PUBLICITY", "第九条（七）")]

    at_lead = await create_user(sessions)
    lead = await create_organization(sessions, manager=at_lead)
    listing = await create_listing(sessions, None, status="closed")
    application = await create_recommended_application(sessions, listing, lead)
    made = await draft(client, admin_headers, **agreement_body(application.id))
    emergency = f"/api/v1/agreements/{made['id']}"
    for headers in (admin_headers, bearer(app, at_lead)):
        assert (
            await client.post(f"{emergency}/confirm", json={}, headers=headers)
        ).status_code == 200
    assert (
        await client.post(f"{emergency}/submit", json={}, headers=admin_headers)
    ).status_code == 200
    skipped = await client.post(
        f"{emergency}/approve", json={"skip_notice": True}, headers=admin_headers
    )
    assert skipped.status_code == 200, skipped.text
    assert (skipped.json()["status"], skipped.json()["publicity_starts_on"]) == (
        "publicity_passed",
        None,
    )
    history = (await client.get(f"{emergency}/history", headers=admin_headers)).json()["items"]
    assert history[-1]["data"] == {
        "skipped_steps": ["public_notice"],
        "rule": "R-WF-EM-SIMPLIFIED",
    }


async def test_an_abandoned_agreement_lets_the_next_recommended_application_negotiate(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    first = await submitted(client, s, s.first)
    reason = {"reason": "需求方放弃"}
    by_side = await client.post(f"{first}/abandon", json=reason, headers=s.proposer_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    annulled = await client.post(f"{first}/abandon", json=reason, headers=admin_headers)
    assert annulled.status_code == 200, annulled.text
    assert annulled.json()["status"] == "annulled"
    async with sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Application.id, Application.status).where(
                        Application.listing_id == s.listing_id
                    )
                )
            ).all()
        )
    assert statuses == {s.first: "unsuccessful", s.second: "recommended"}
    second = await submitted(client, s, s.second)  # its turn now
    listing = f"/api/v1/listings/{s.listing_id}"
    assert (await client.get(listing, headers=admin_headers)).json()["status"] == "closed"
    await client.post(f"{second}/abandon", json=reason, headers=admin_headers)
    # No recommended application left: the listing fails (流榜).
    assert (await client.get(listing, headers=admin_headers)).json()["status"] == "failed"
    again = await client.post(f"{second}/abandon", json=reason, headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")


async def stored(sessions: Sessions, agreement_id: str) -> str:
    async with sessions() as session:
        row = await session.get(Agreement, uuid.UUID(agreement_id))
    assert row is not None
    return row.status
