"""The money of a project over HTTP (第十一条, 第十二条): the funding decision within the caps,
the demand side's verified first payment, the two tranches to the cent, and never a cent too
many under retries and concurrent requests."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from factories import (
    Sessions,
    bearer,
    create_credit_record,
    create_organization,
    create_project,
    create_user,
)
from jiebang_api.models import Disbursement, Organization, Project

DECISION = {
    "subsidy": "1000000.00",
    "total_rd_investment_verified": True,
    "agreement_verified": True,
}


@dataclass
class Scene:
    project: Project
    demand: Organization
    supply: Organization
    demand_headers: dict[str, str]
    supply_headers: dict[str, str]

    @property
    def path(self) -> str:
        return f"/api/v1/projects/{self.project.id}"


async def scene(app: FastAPI, sessions: Sessions, kind: str = "tech_breakthrough") -> Scene:
    at_demand, at_supply = await create_user(sessions), await create_user(sessions)
    demand = await create_organization(sessions, manager=at_demand)
    supply = await create_organization(sessions, manager=at_supply)
    emergency = kind == "emergency"
    project = await create_project(sessions, None if emergency else demand, supply, kind=kind)
    return Scene(project, demand, supply, bearer(app, at_demand), bearer(app, at_supply))


def cited(response: httpx.Response) -> list[str]:
    return [v["rule"] for v in response.json()["violations"]]


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def disburse(
    client: httpx.AsyncClient, s: Scene, admin: dict[str, str], tranche: str
) -> httpx.Response:
    return await client.post(
        f"{s.path}/disbursements", json={"tranche": tranche}, headers={**admin, **key()}
    )


async def pay_first(
    client: httpx.AsyncClient, s: Scene, amount: str = "1000000.00", seq: int = 1
) -> dict[str, Any]:
    proof = await client.post(
        "/api/v1/attachments",
        files={"file": ("回单.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=s.demand_headers,
    )
    body = {
        "instalment_seq": seq,
        "amount": amount,
        "paid_on": "2027-04-15",
        "payee_org_id": str(s.supply.id),
        "proof_attachment_id": proof.json()["id"],
    }
    recorded = await client.post(f"{s.path}/payments", json=body, headers=s.demand_headers)
    assert recorded.status_code == 201, recorded.text
    return dict(recorded.json())


async def pass_acceptance(
    client: httpx.AsyncClient, s: Scene, admin: dict[str, str], *, outcome: str = "passed"
) -> None:
    """The demand side (the department for an emergency project) requests acceptance; the
    department records the result."""
    requester = admin if s.project.demand_org_id is None else s.demand_headers
    asked = await client.post(
        f"{s.path}/acceptance", json={"summary": "申请验收"}, headers={**requester, **key()}
    )
    assert asked.status_code == 201, asked.text
    result = {"method": "acceptance", "outcome": outcome, "comments": "验收意见"}
    decided = await client.post(f"{s.path}/acceptance/result", json=result, headers=admin)
    assert decided.status_code == 200, decided.text


async def test_the_tranches_of_the_measures_example_to_the_cent(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)  # A = 3,000,000.00, T = 10,000,000.00
    decided = await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin_headers)
    assert decided.status_code == 201, decided.text
    assert (decided.json()["status"], decided.json()["first_tranche"]) == ("decided", None)
    early = await disburse(client, s, admin_headers, "first")
    assert (early.status_code, cited(early)) == (409, ["R-DISB-FIRST-PAYMENT"])
    payment = await pay_first(client, s)
    unverified = await disburse(client, s, admin_headers, "first")
    assert cited(unverified) == ["R-DISB-FIRST-PAYMENT"]
    verify = f"/api/v1/payments/{payment['id']}/verify"
    verified = await client.post(verify, json={"accepted": True}, headers=admin_headers)
    assert verified.json()["status"] == "accepted"
    again = await client.post(verify, json={"accepted": False}, headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    money = (await client.get(f"{s.path}/funding", headers=s.supply_headers)).json()
    assert (money["first_tranche"], money["final_tranche"]) == ("333333.33", "666666.67")
    assert money["recipient_org_id"] == str(s.demand.id)  # the proposer of a breakthrough
    first = await disburse(client, s, admin_headers, "first")
    assert (first.status_code, first.json()["amount"]) == (201, "333333.33")
    final_early = await disburse(client, s, admin_headers, "final")
    assert (final_early.status_code, cited(final_early)) == (
        409,
        ["R-DISB-FINAL-AFTER-ACCEPTANCE"],
    )
    await pass_acceptance(client, s, admin_headers)
    final = await disburse(client, s, admin_headers, "final")
    assert (final.status_code, final.json()["amount"]) == (201, "666666.67")
    money = (await client.get(f"{s.path}/funding", headers=admin_headers)).json()
    assert (money["disbursed"], money["remaining"], money["status"]) == (
        "1000000.00",
        "0.00",
        "completed",
    )
    listed = (await client.get(f"{s.path}/disbursements", headers=s.demand_headers)).json()
    assert [(d["tranche"], d["amount"]) for d in listed["items"]] == [
        ("first", "333333.33"),
        ("final", "666666.67"),
    ]


async def test_a_disbursement_needs_an_idempotency_key(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    keyless = await client.post(
        f"{s.path}/disbursements", json={"tranche": "first"}, headers=admin_headers
    )
    assert (keyless.status_code, keyless.json()["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")
    by_side = await client.post(
        f"{s.path}/disbursements", json={"tranche": "first"}, headers={**s.demand_headers, **key()}
    )
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")


async def test_the_decision_keeps_to_the_caps_unless_decided_case_by_case(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)  # T = 10,000,000.00: 30 % is 3,000,000.00
    where = f"{s.path}/funding-decision"
    over = {**DECISION, "subsidy": "3000000.01"}
    refused = await client.post(where, json=over, headers=admin_headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(refused) == ["R-FUND-RATIO-CAP"]
    beyond_t = {
        **DECISION,
        "subsidy": "10000000.01",
        "case_by_case": {"reason": "重大", "document_ref": "x"},
    }
    assert cited(await client.post(where, json=beyond_t, headers=admin_headers)) == [
        "R-FUND-RATIO-CAP"
    ]
    case = {"reason": "自治区重大项目", "document_ref": "内科发〔2027〕9号"}
    decided = await client.post(where, json={**over, "case_by_case": case}, headers=admin_headers)
    assert decided.status_code == 201, decided.text
    assert (decided.json()["subsidy"], decided.json()["case_by_case"]) == ("3000000.01", True)
    twice = await client.post(where, json=DECISION, headers=admin_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")
    unverified = await client.post(
        where, json={**DECISION, "agreement_verified": False}, headers=admin_headers
    )
    assert unverified.status_code == 422


async def test_no_money_to_a_recipient_with_an_active_dishonesty_record(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin_headers)
    payment = await pay_first(client, s)
    await client.post(
        f"/api/v1/payments/{payment['id']}/verify", json={"accepted": True}, headers=admin_headers
    )
    await create_credit_record(sessions, s.demand)
    refused = await disburse(client, s, admin_headers, "first")
    assert (refused.status_code, refused.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(refused) == ["R-ELIG-NO-DISHONESTY"]


async def test_payments_come_from_the_demand_side_to_the_supply_side(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    body = {
        "instalment_seq": 1,
        "amount": "1000000.00",
        "paid_on": "2027-04-15",
        "payee_org_id": str(s.supply.id),
        "proof_attachment_id": str(uuid.uuid4()),
    }
    by_supply = await client.post(f"{s.path}/payments", json=body, headers=s.supply_headers)
    assert (by_supply.status_code, by_supply.json()["code"]) == (403, "FORBIDDEN")
    wrong = {**body, "payee_org_id": str(s.demand.id), "amount": "3000000.01"}
    refused = await client.post(f"{s.path}/payments", json=wrong, headers=s.demand_headers)
    assert [v["field"] for v in refused.json()["violations"]] == [
        "body.payee_org_id",
        "body.amount",
    ]
    stranger = bearer(app, await create_user(sessions))
    hidden = await client.post(f"{s.path}/payments", json=body, headers=stranger)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")


async def test_an_emergency_project_has_its_first_tranche_decided(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, kind="emergency")
    where = f"{s.path}/funding-decision"
    missing = await client.post(where, json=DECISION, headers=admin_headers)
    assert (missing.status_code, cited(missing)) == (422, ["R-FUND-EM-FISCAL"])
    decided = await client.post(
        where, json={**DECISION, "first_tranche": "400000.00"}, headers=admin_headers
    )
    assert decided.status_code == 201, decided.text
    assert decided.json()["recipient_org_id"] == str(s.supply.id)  # the lead solver
    proof = {"instalment_seq": 1, "amount": "1.00", "paid_on": "2027-04-15"}
    body = {**proof, "payee_org_id": str(s.supply.id), "proof_attachment_id": str(uuid.uuid4())}
    none = await client.post(f"{s.path}/payments", json=body, headers=admin_headers)
    assert (none.status_code, cited(none)) == (409, ["R-FUND-EM-FISCAL"])
    first = await disburse(client, s, admin_headers, "first")
    assert (first.status_code, first.json()["amount"]) == (201, "400000.00")
    assert first.json()["recipient_org_id"] == str(s.supply.id)


async def ready_for_the_first_tranche(
    client: httpx.AsyncClient, s: Scene, admin_headers: dict[str, str]
) -> None:
    await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin_headers)
    payment = await pay_first(client, s)
    await client.post(
        f"/api/v1/payments/{payment['id']}/verify", json={"accepted": True}, headers=admin_headers
    )


async def disbursed_rows(sessions: Sessions, project: Project) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Disbursement)
            .where(Disbursement.project_id == project.id)
        )
    return int(found or 0)


async def test_fifty_concurrent_first_tranches_pay_once(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await ready_for_the_first_tranche(client, s, admin_headers)
    replies = await asyncio.gather(
        *(disburse(client, s, admin_headers, "first") for _ in range(50))
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201] + [409] * 49
    assert {r.json()["code"] for r in replies if r.status_code == 409} == {"CONFLICT"}
    assert await disbursed_rows(sessions, s.project) == 1
    money = (await client.get(f"{s.path}/funding", headers=admin_headers)).json()
    assert money["disbursed"] == "333333.33"


async def test_fifty_retries_with_one_key_pay_once_and_replay(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await ready_for_the_first_tranche(client, s, admin_headers)
    headers = {**admin_headers, **key()}
    replies = await asyncio.gather(
        *(
            client.post(f"{s.path}/disbursements", json={"tranche": "first"}, headers=headers)
            for _ in range(50)
        )
    )
    made = [r for r in replies if r.status_code == 201]
    assert len({r.json()["id"] for r in made}) == 1
    busy = [r for r in replies if r.status_code != 201]
    assert all((r.status_code, r.json()["code"]) == (409, "IDEMPOTENCY_IN_FLIGHT") for r in busy)
    assert await disbursed_rows(sessions, s.project) == 1
    after = await client.post(f"{s.path}/disbursements", json={"tranche": "first"}, headers=headers)
    assert (after.status_code, after.json()) == (201, made[0].json())
    assert after.headers["idempotent-replayed"] == "true"


async def test_an_emergency_project_decided_without_a_first_tranche_is_paid_at_the_end(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, kind="emergency")
    decided = await client.post(
        f"{s.path}/funding-decision",
        json={**DECISION, "first_tranche": "0.00"},
        headers=admin_headers,
    )
    assert decided.status_code == 201, decided.text
    nothing = await disburse(client, s, admin_headers, "first")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "CONFLICT")
    await pass_acceptance(client, s, admin_headers)
    final = await disburse(client, s, admin_headers, "final")
    assert (final.status_code, final.json()["amount"]) == (201, "1000000.00")


async def test_the_public_reads_names_figures_and_dates_of_a_project_and_nothing_else(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await ready_for_the_first_tranche(client, s, admin_headers)
    assert (await disburse(client, s, admin_headers, "first")).status_code == 201
    public = await client.get(f"/api/v1/public/projects/{s.project.id}")
    assert public.status_code == 200, public.text
    assert set(public.json()) == {
        "id",
        "code",
        "title",
        "kind",
        "demand_side",
        "supply_side",
        "subsidy",
        "disbursed",
        "start_on",
        "end_on",
        "status",
    }
    assert (public.json()["subsidy"], public.json()["disbursed"]) == ("1000000.00", "333333.33")
    assert public.json()["demand_side"] == s.demand.name
    history = await client.get(f"{s.path}/history", headers=s.supply_headers)
    assert [e["action"] for e in history.json()["items"]] == [
        "project.decide_funding",
        "project.disburse",
    ]
    mine = await client.get(
        "/api/v1/projects", params={"org_id": str(s.supply.id)}, headers=admin_headers
    )
    assert [p["id"] for p in mine.json()["items"]] == [str(s.project.id)]
    other_kind = await client.get(
        "/api/v1/projects",
        params={"org_id": str(s.supply.id), "kind": "emergency"},
        headers=admin_headers,
    )
    assert other_kind.json()["items"] == []
    unknown = await client.get(f"/api/v1/public/projects/{uuid.uuid4()}")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
