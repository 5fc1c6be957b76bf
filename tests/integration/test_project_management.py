"""The department's management of a project over HTTP: entrusting it to an agency within a
scope (第十四条, R-MGMT-AGENCY), its acceptance and completion (第十二条), and misconduct
cases that freeze its money (第十七条, R-INTEG-MISCONDUCT)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from test_disbursements import (
    DECISION,
    Scene,
    cited,
    disburse,
    key,
    pass_acceptance,
    pay_first,
    scene,
)

from factories import Sessions, add_member, bearer, create_organization, create_user


async def _agency(app: FastAPI, sessions: Sessions) -> tuple[str, dict[str, str]]:
    """An agency organisation and the headers of one of its members (role `agency`)."""
    user = await create_user(sessions, roles=("agency",))
    org = await create_organization(sessions, type="agency")
    await add_member(sessions, org, user)
    return str(org.id), bearer(app, user)


async def _entrust(
    client: httpx.AsyncClient, s: Scene, admin: dict[str, str], agency: str, *scope: str
) -> httpx.Response:
    return await client.post(
        f"{s.path}/entrustments",
        json={"agency_org_id": agency, "scope": list(scope)},
        headers={**admin, **key()},
    )


async def _request_acceptance(
    client: httpx.AsyncClient, s: Scene, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"{s.path}/acceptance", json={"summary": "申请验收"}, headers={**headers, **key()}
    )


RESULT = {
    "method": "performance_evaluation",
    "outcome": "passed",
    "score": "88.0",
    "comments": "好",
}


async def _paid_first(client: httpx.AsyncClient, s: Scene, admin: dict[str, str]) -> None:
    assert (
        await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin)
    ).is_success
    payment = await pay_first(client, s)
    verify = f"/api/v1/payments/{payment['id']}/verify"
    assert (await client.post(verify, json={"accepted": True}, headers=admin)).is_success
    assert (await disburse(client, s, admin, "first")).status_code == 201


async def _status(client: httpx.AsyncClient, s: Scene, admin: dict[str, str]) -> str:
    return str((await client.get(s.path, headers=admin)).json()["status"])


async def test_an_agency_acts_on_its_entrusted_projects_only_and_within_the_scope(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, other = await scene(app, sessions), await scene(app, sessions)
    agency, agency_headers = await _agency(app, sessions)
    assert (await client.get(s.path, headers=agency_headers)).status_code == 404
    made = await _entrust(client, s, admin_headers, agency, "reports")
    assert made.status_code == 201, made.text
    assert (made.json()["scope"], made.json()["active"]) == (["reports"], True)
    assert (await client.get(s.path, headers=agency_headers)).status_code == 200
    mine = await client.get("/api/v1/projects", params={"limit": 100}, headers=agency_headers)
    assert [p["id"] for p in mine.json()["items"]] == [str(s.project.id)]
    # Outside the entrusted projects: 404; outside the scope: 403 citing the rule.
    assert (await client.get(other.path, headers=agency_headers)).status_code == 404
    assert (await _request_acceptance(client, s, s.demand_headers)).status_code == 201
    outside = await client.post(f"{s.path}/acceptance/result", json=RESULT, headers=agency_headers)
    assert (outside.status_code, outside.json()["code"]) == (403, "FORBIDDEN")
    assert cited(outside) == ["R-MGMT-AGENCY"]
    elsewhere = await client.post(
        f"{other.path}/acceptance/result", json=RESULT, headers=agency_headers
    )
    assert elsewhere.status_code == 404
    # Revoked, then entrusted again with acceptance: now it may record the result.
    entrustment = made.json()["id"]
    revoked = await client.delete(f"{s.path}/entrustments/{entrustment}", headers=admin_headers)
    assert revoked.status_code == 204
    assert (await client.get(s.path, headers=agency_headers)).status_code == 404
    again = await client.delete(f"{s.path}/entrustments/{entrustment}", headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    assert (await _entrust(client, s, admin_headers, agency, "acceptance")).status_code == 201
    recorded = await client.post(f"{s.path}/acceptance/result", json=RESULT, headers=agency_headers)
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["status"], recorded.json()["score"]) == ("passed", "88.0")
    listed = await client.get(f"{s.path}/entrustments", headers=s.supply_headers)
    assert [e["active"] for e in listed.json()["items"]] == [False, True]
    history = await client.get(f"{s.path}/history", headers=admin_headers)
    actions = [e["action"] for e in history.json()["items"]]
    assert {"project.entrust", "project.revoke_entrustment", "project.pass_acceptance"} <= set(
        actions
    )


async def test_only_the_department_entrusts_and_only_to_an_agency(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    agency, _ = await _agency(app, sessions)
    by_side = await _entrust(client, s, s.demand_headers, agency, "reports")
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    not_agency = await _entrust(client, s, admin_headers, str(s.supply.id), "reports")
    assert (not_agency.status_code, not_agency.json()["violations"][0]["field"]) == (
        422,
        "body.agency_org_id",
    )
    twice = await _entrust(client, s, admin_headers, agency, "reports", "reports")
    assert (twice.status_code, twice.json()["violations"][0]["field"]) == (422, "body.scope.1")
    assert (await _entrust(client, s, admin_headers, agency, "audit")).status_code == 201
    duplicate = await _entrust(client, s, admin_headers, agency, "reports")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "CONFLICT")


async def test_acceptance_passed_then_the_final_tranche_completes_the_project(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await _paid_first(client, s, admin_headers)
    early = await client.post(f"{s.path}/acceptance/result", json=RESULT, headers=admin_headers)
    assert (early.status_code, early.json()["code"]) == (409, "INVALID_TRANSITION")
    by_supply = await _request_acceptance(client, s, s.supply_headers)
    assert (by_supply.status_code, by_supply.json()["code"]) == (403, "FORBIDDEN")
    assert (await client.get(f"{s.path}/acceptance", headers=admin_headers)).status_code == 404
    asked = await _request_acceptance(client, s, s.demand_headers)
    assert (asked.status_code, asked.json()["status"]) == (201, "requested")
    assert await _status(client, s, admin_headers) == "acceptance_requested"
    final_early = await disburse(client, s, admin_headers, "final")
    assert cited(final_early) == ["R-DISB-FINAL-AFTER-ACCEPTANCE"]
    again = await _request_acceptance(client, s, s.demand_headers)
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")
    passed = await client.post(f"{s.path}/acceptance/result", json=RESULT, headers=admin_headers)
    assert passed.status_code == 200, passed.text
    assert await _status(client, s, admin_headers) == "accepted"
    twice = await client.post(f"{s.path}/acceptance/result", json=RESULT, headers=admin_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "INVALID_TRANSITION")
    final = await disburse(client, s, admin_headers, "final")
    assert (final.status_code, final.json()["amount"]) == (201, "666666.67")
    assert await _status(client, s, admin_headers) == "completed"
    money = (await client.get(f"{s.path}/funding", headers=admin_headers)).json()
    assert (money["disbursed"], money["subsidy"]) == ("1000000.00", "1000000.00")
    read = (await client.get(f"{s.path}/acceptance", headers=s.supply_headers)).json()
    assert (read["status"], read["method"]) == ("passed", "performance_evaluation")


async def test_a_failed_acceptance_closes_the_project_without_the_rest(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await _paid_first(client, s, admin_headers)
    await pass_acceptance(client, s, admin_headers, outcome="failed")
    assert await _status(client, s, admin_headers) == "closed"
    refused = await disburse(client, s, admin_headers, "final")
    assert (refused.status_code, cited(refused)) == (409, ["R-DISB-FINAL-AFTER-ACCEPTANCE"])
    history = (await client.get(f"{s.path}/history", headers=s.demand_headers)).json()
    moves = [(e["from_state"], e["to_state"]) for e in history["items"]]
    assert ("acceptance_requested", "acceptance_failed") in moves
    assert ("acceptance_failed", "closed") in moves


async def test_an_open_misconduct_case_blocks_both_tranches(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    assert (
        await client.post(f"{s.path}/funding-decision", json=DECISION, headers=admin_headers)
    ).is_success
    payment = await pay_first(client, s)
    verify = f"/api/v1/payments/{payment['id']}/verify"
    assert (await client.post(verify, json={"accepted": True}, headers=admin_headers)).is_success
    case = {"allegation": "涉嫌虚报研发投入", "source": "举报"}
    by_side = await client.post(
        f"{s.path}/misconduct-cases", json=case, headers={**s.demand_headers, **key()}
    )
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    opened = await client.post(
        f"{s.path}/misconduct-cases", json=case, headers={**admin_headers, **key()}
    )
    assert (opened.status_code, opened.json()["status"]) == (201, "open")
    assert await _status(client, s, admin_headers) == "suspended"
    for tranche in ("first", "final"):
        held = await disburse(client, s, admin_headers, tranche)
        assert (held.status_code, held.json()["code"], cited(held)) == (
            409,
            "CONFLICT",
            ["R-INTEG-MISCONDUCT"],
        )
    hidden = await client.get(f"{s.path}/misconduct-cases", headers=s.supply_headers)
    assert hidden.status_code == 403
    close = f"/api/v1/misconduct-cases/{opened.json()['id']}/close"
    cleared = await client.post(
        close, json={"outcome": "cleared", "reason": "查无实据"}, headers=admin_headers
    )
    assert (cleared.status_code, cleared.json()["status"]) == (200, "cleared")
    assert await _status(client, s, admin_headers) == "in_progress"
    assert (await disburse(client, s, admin_headers, "first")).status_code == 201
    twice = await client.post(
        close, json={"outcome": "cleared", "reason": "再次"}, headers=admin_headers
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "CONFLICT")


async def test_a_sanction_records_dishonesty_that_stops_the_money(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    await _paid_first(client, s, admin_headers)
    await pass_acceptance(client, s, admin_headers)
    case = {"allegation": "串通套取补助", "source": "审计"}
    first = await client.post(
        f"{s.path}/misconduct-cases", json=case, headers={**admin_headers, **key()}
    )
    second = await client.post(
        f"{s.path}/misconduct-cases", json=case, headers={**admin_headers, **key()}
    )
    assert (first.status_code, second.status_code) == (201, 201)
    record = {"starts_on": "2026-01-01", "ends_on": "2099-12-31"}
    wrong = await client.post(
        f"/api/v1/misconduct-cases/{first.json()['id']}/close",
        json={"outcome": "cleared", "reason": "x", "credit_record": record},
        headers=admin_headers,
    )
    assert (wrong.status_code, wrong.json()["violations"][0]["field"]) == (
        422,
        "body.credit_record",
    )
    sanctioned = await client.post(
        f"/api/v1/misconduct-cases/{first.json()['id']}/close",
        json={"outcome": "sanctioned", "reason": "经查属实", "credit_record": record},
        headers=admin_headers,
    )
    assert sanctioned.status_code == 200, sanctioned.text
    assert sanctioned.json()["credit_record_id"] is not None
    # One case is still open: the project stays suspended.
    assert await _status(client, s, admin_headers) == "suspended"
    await client.post(
        f"/api/v1/misconduct-cases/{second.json()['id']}/close",
        json={"outcome": "cleared", "reason": "同一事项"},
        headers=admin_headers,
    )
    assert await _status(client, s, admin_headers) == "accepted"
    refused = await disburse(client, s, admin_headers, "final")
    assert (refused.status_code, cited(refused)) == (422, ["R-ELIG-NO-DISHONESTY"])
    records = await client.get(
        f"/api/v1/organizations/{s.demand.id}/credit-records", headers=admin_headers
    )
    assert [r["source"] for r in records.json()["items"]] == ["第十七条"]
