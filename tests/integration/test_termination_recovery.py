"""A terminated project over HTTP (R-CHG-TERMINATION-AUDIT, 第十六条): its money frozen, the
special audit, the subsidy disbursed beyond the eligible spending recovered to the cent (never
a cent too many under concurrent requests), or what cannot be recovered written off."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from factories import Sessions, bearer, create_organization, create_project, create_user
from jiebang_api.models import Organization, Project

DECISION = {
    "subsidy": "1000000.00",
    "total_rd_investment_verified": True,
    "agreement_verified": True,
}
TERMINATION = {
    "kind": "termination",
    "reason_category": "force_majeure",
    "description": "地震致试验基地损毁，项目无法继续实施。",
    "attachment_ids": [],
}
PDF = ("审计报告.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")


@dataclass
class Scene:
    project: Project
    demand: Organization
    supply: Organization
    demand_headers: dict[str, str]
    supply_headers: dict[str, str]
    admin_headers: dict[str, str]

    @property
    def path(self) -> str:
        return f"/api/v1/projects/{self.project.id}"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def cited(response: httpx.Response) -> list[str]:
    return [v["rule"] for v in response.json()["violations"]]


async def upload(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    uploaded = await client.post("/api/v1/attachments", files={"file": PDF}, headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    return str(uploaded.json()["id"])


async def scene(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
    *,
    first_payment: str = "900000.00",
) -> Scene:
    """A project (A = 3,000,000.00, S = 1,000,000.00) whose first tranche is paid: S × P1 /
    A, 300,000.00 for the default P1 of 900,000.00."""
    at_demand, at_supply = await create_user(sessions), await create_user(sessions)
    demand = await create_organization(sessions, manager=at_demand)
    supply = await create_organization(sessions, manager=at_supply)
    project = await create_project(sessions, demand, supply)
    s = Scene(
        project, demand, supply, bearer(app, at_demand), bearer(app, at_supply), admin_headers
    )
    decided = await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin_headers)
    assert decided.status_code == 201, decided.text
    body = {
        "instalment_seq": 1,
        "amount": first_payment,
        "paid_on": "2027-04-15",
        "payee_org_id": str(supply.id),
        "proof_attachment_id": await upload(client, s.demand_headers),
    }
    payment = await client.post(f"{s.path}/payments", json=body, headers=s.demand_headers)
    assert payment.status_code == 201, payment.text
    verify = f"/api/v1/payments/{payment.json()['id']}/verify"
    await client.post(verify, json={"accepted": True}, headers=admin_headers)
    first = await disburse(client, s, "first")
    assert first.status_code == 201, first.text
    return s


async def disburse(client: httpx.AsyncClient, s: Scene, tranche: str) -> httpx.Response:
    return await client.post(
        f"{s.path}/disbursements", json={"tranche": tranche}, headers={**s.admin_headers, **key()}
    )


async def terminate(client: httpx.AsyncClient, s: Scene) -> None:
    """The supply side asks, the demand side consents, the department approves."""
    filed = await client.post(
        f"{s.path}/change-requests", json=TERMINATION, headers=s.supply_headers
    )
    assert filed.status_code == 201, filed.text
    at = f"/api/v1/change-requests/{filed.json()['id']}"
    assert (await client.post(f"{at}/consent", headers=s.demand_headers)).status_code == 200
    approved = await client.post(f"{at}/approve", json={}, headers=s.admin_headers)
    assert approved.status_code == 200, approved.text


async def audit(
    client: httpx.AsyncClient, s: Scene, spending: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    caller = headers or s.admin_headers
    body = {
        "audited_eligible_spending": spending,
        "auditor": "内蒙古某某会计师事务所",
        "report_attachment_id": await upload(client, caller),
    }
    return await client.post(f"{s.path}/special-audits", json=body, headers=caller)


async def recover(client: httpx.AsyncClient, s: Scene, amount: str) -> httpx.Response:
    body = {
        "amount": amount,
        "paid_on": "2028-09-15",
        "proof_attachment_id": await upload(client, s.admin_headers),
    }
    return await client.post(
        f"{s.path}/recoveries", json=body, headers={**s.admin_headers, **key()}
    )


async def status_of(client: httpx.AsyncClient, s: Scene) -> str:
    return str((await client.get(s.path, headers=s.admin_headers)).json()["status"])


async def test_the_measures_example_recovers_180000_and_terminates(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(client, app, sessions, admin_headers)
    money = (await client.get(f"{s.path}/funding", headers=admin_headers)).json()
    assert money["disbursed"] == "300000.00"
    early = await audit(client, s, "120000.00")
    assert (early.status_code, cited(early)) == (409, ["R-CHG-TERMINATION-AUDIT"])
    await terminate(client, s)
    assert await status_of(client, s) == "terminating"
    frozen = await disburse(client, s, "final")
    assert (frozen.status_code, frozen.json()["code"]) == (409, "CONFLICT")
    before = await recover(client, s, "100000.00")
    assert (before.status_code, cited(before)) == (409, ["R-CHG-TERMINATION-AUDIT"])
    audited = await audit(client, s, "120000.00")
    assert audited.status_code == 201, audited.text
    view = audited.json()
    report = f"/api/v1/attachments/{view['special_audit']['report_attachment_id']}"
    assert (await client.get(report, headers=s.supply_headers)).status_code == 200
    assert (view["recovery_due"], view["outstanding"], view["status"]) == (
        "180000.00",
        "180000.00",
        "terminating",
    )
    assert view["special_audit"]["disbursed"] == "300000.00"
    twice = await audit(client, s, "120000.00")
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")
    first = await recover(client, s, "100000.00")
    assert first.status_code == 201, first.text
    assert (first.json()["recovered"], first.json()["outstanding"]) == ("100000.00", "80000.00")
    too_much = await recover(client, s, "80000.01")
    assert (too_much.status_code, too_much.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(too_much) == ["R-CHG-TERMINATION-AUDIT"]
    assert too_much.json()["violations"][0]["field"] == "body.amount"
    last = await recover(client, s, "80000.00")
    assert last.status_code == 201, last.text
    assert (last.json()["status"], last.json()["outstanding"]) == ("terminated", "0.00")
    assert await status_of(client, s) == "terminated"
    shown = await client.get(f"{s.path}/recovery", headers=s.demand_headers)
    assert shown.status_code == 200, shown.text
    assert [r["amount"] for r in shown.json()["recoveries"]] == ["100000.00", "80000.00"]
    assert (shown.json()["recovered"], shown.json()["written_off"]) == ("180000.00", None)
    after = await recover(client, s, "1.00")
    assert (after.status_code, cited(after)) == (409, ["R-CHG-TERMINATION-AUDIT"])
    history = (await client.get(f"{s.path}/history", headers=s.supply_headers)).json()["items"]
    assert [e["action"] for e in history][-5:] == [
        "project.terminate",
        "project.special_audit",
        "project.recover",
        "project.recover",
        "project.finish_termination",
    ]


async def test_nothing_due_terminates_at_once(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(client, app, sessions, admin_headers)
    await terminate(client, s)
    audited = await audit(client, s, "350000.00")  # spent more than was paid: nothing due
    assert audited.status_code == 201, audited.text
    assert (audited.json()["recovery_due"], audited.json()["status"]) == ("0.00", "terminated")


async def test_what_cannot_be_recovered_is_written_off_by_decision(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(client, app, sessions, admin_headers)
    decision = {"reason": "受资助单位破产清算", "document_ref": "内科发〔2028〕12号"}
    where = f"{s.path}/recovery-write-off"
    await terminate(client, s)
    early = await client.post(where, json=decision, headers=admin_headers)
    assert (early.status_code, cited(early)) == (409, ["R-CHG-TERMINATION-AUDIT"])
    await audit(client, s, "120000.00")
    await recover(client, s, "30000.00")
    by_side = await client.post(where, json=decision, headers=s.demand_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    written = await client.post(where, json=decision, headers=admin_headers)
    assert written.status_code == 200, written.text
    view = written.json()
    assert (view["status"], view["recovered"], view["written_off"], view["outstanding"]) == (
        "terminated",
        "30000.00",
        "150000.00",
        "0.00",
    )
    assert view["write_off"]["document_ref"] == "内科发〔2028〕12号"
    again = await client.post(where, json=decision, headers=admin_headers)
    assert (again.status_code, cited(again)) == (409, ["R-CHG-TERMINATION-AUDIT"])


async def test_an_agency_audits_only_when_entrusted_with_the_audit(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(client, app, sessions, admin_headers)
    await terminate(client, s)
    staff = await create_user(sessions, roles=("agency",))
    agency = await create_organization(sessions, manager=staff, type="agency")
    headers = bearer(app, staff)
    outsider = await audit(client, s, "120000.00", headers)
    assert (outsider.status_code, outsider.json()["code"]) == (404, "NOT_FOUND")
    entrustments = f"{s.path}/entrustments"
    body = {"agency_org_id": str(agency.id), "scope": ["reports"]}
    entrusted = await client.post(entrustments, json=body, headers=admin_headers)
    assert entrusted.status_code == 201, entrusted.text
    out_of_scope = await audit(client, s, "120000.00", headers)
    assert (out_of_scope.status_code, cited(out_of_scope)) == (403, ["R-MGMT-AGENCY"])
    revoked = await client.delete(f"{entrustments}/{entrusted.json()['id']}", headers=admin_headers)
    assert revoked.status_code == 204
    body["scope"] = ["reports", "audit"]
    assert (await client.post(entrustments, json=body, headers=admin_headers)).status_code == 201
    audited = await audit(client, s, "120000.00", headers)
    assert audited.status_code == 201, audited.text
    assert (await client.get(f"{s.path}/recovery", headers=headers)).status_code == 200
    by_agency = await recover(client, Scene(**{**s.__dict__, "admin_headers": headers}), "1.00")
    assert (by_agency.status_code, by_agency.json()["code"]) == (403, "FORBIDDEN")


async def test_recoveries_need_an_idempotency_key_and_readers(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(client, app, sessions, admin_headers)
    body: dict[str, Any] = {
        "amount": "1.00",
        "paid_on": "2028-09-15",
        "proof_attachment_id": str(uuid.uuid4()),
    }
    keyless = await client.post(f"{s.path}/recoveries", json=body, headers=admin_headers)
    assert (keyless.status_code, keyless.json()["code"]) == (400, "IDEMPOTENCY_KEY_REQUIRED")
    stranger = bearer(app, await create_user(sessions))
    hidden = await client.get(f"{s.path}/recovery", headers=stranger)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")
    unaudited = (await client.get(f"{s.path}/recovery", headers=s.supply_headers)).json()
    assert (unaudited["special_audit"], unaudited["recovery_due"], unaudited["recovered"]) == (
        None,
        None,
        "0.00",
    )


async def test_concurrent_recoveries_never_exceed_what_is_due(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    """Twenty requests of 10,000.00 on 180,000.00 due: eighteen pass, two are refused."""
    s = await scene(client, app, sessions, admin_headers)
    await terminate(client, s)
    await audit(client, s, "120000.00")
    proof = await upload(client, admin_headers)
    body = {"amount": "10000.00", "paid_on": "2028-09-15", "proof_attachment_id": proof}
    replies = await asyncio.gather(
        *(
            client.post(f"{s.path}/recoveries", json=body, headers={**admin_headers, **key()})
            for _ in range(20)
        )
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == 18, [r.text for r in replies if r.status_code != 201]
    refused = [r for r in replies if r.status_code != 201]
    assert all(r.status_code in (409, 422) for r in refused), [r.text for r in refused]
    shown = (await client.get(f"{s.path}/recovery", headers=admin_headers)).json()
    assert (shown["recovered"], shown["outstanding"], shown["status"]) == (
        "180000.00",
        "0.00",
        "terminated",
    )
    assert len(shown["recoveries"]) == 18
