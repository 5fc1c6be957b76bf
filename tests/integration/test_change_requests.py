"""Change requests over HTTP (R-CHG-FORCE-MAJEURE, 第十六条): only for force majeure, with
the consent of both sides and the department's approval; an approved extension moves the
end date and the history keeps both; an approved termination freezes the money."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from factories import Sessions, bearer, create_organization, create_project, create_user
from jiebang_api.models import Organization, Project

PDF = ("证明.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")


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

    def later(self, days: int = 180) -> str:
        return (self.project.end_on + timedelta(days=days)).isoformat()


async def scene(app: FastAPI, sessions: Sessions, kind: str = "tech_breakthrough") -> Scene:
    at_demand, at_supply = await create_user(sessions), await create_user(sessions)
    demand = await create_organization(sessions, manager=at_demand)
    supply = await create_organization(sessions, manager=at_supply)
    emergency = kind == "emergency"
    project = await create_project(sessions, None if emergency else demand, supply, kind=kind)
    return Scene(project, demand, supply, bearer(app, at_demand), bearer(app, at_supply))


def cited(response: httpx.Response) -> list[str]:
    return [v["rule"] for v in response.json()["violations"]]


def extension(new_end_on: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "extension",
        "reason_category": "force_majeure",
        "description": "暴雪致中试线停工三个月。",
        "new_end_on": new_end_on,
        "attachment_ids": [],
        **overrides,
    }


TERMINATION = {
    "kind": "termination",
    "reason_category": "force_majeure",
    "description": "地震致试验基地损毁。",
    "attachment_ids": [],
}


async def file(
    client: httpx.AsyncClient, s: Scene, body: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"{s.path}/change-requests", json=body, headers=headers)


def at(request: dict[str, Any], verb: str = "") -> str:
    return f"/api/v1/change-requests/{request['id']}" + (f"/{verb}" if verb else "")


async def test_an_extension_needs_the_other_sides_consent_and_the_history_keeps_both_dates(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    before, after = s.project.end_on.isoformat(), s.later()
    evidence = await client.post(
        "/api/v1/attachments", files={"file": PDF}, headers=s.supply_headers
    )
    body = extension(after, attachment_ids=[evidence.json()["id"]])
    filed = await file(client, s, body, s.supply_headers)
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert (request["status"], request["filed_by_side"]) == ("awaiting_consent", "supply")
    assert filed.headers["location"] == at(request)
    early = await client.post(at(request, "approve"), json={}, headers=admin_headers)
    assert (early.status_code, early.json()["code"]) == (409, "CONFLICT")
    assert cited(early) == ["R-CHG-FORCE-MAJEURE"]
    by_filer = await client.post(at(request, "consent"), headers=s.supply_headers)
    assert (by_filer.status_code, by_filer.json()["code"]) == (403, "FORBIDDEN")
    by_department = await client.post(at(request, "consent"), headers=admin_headers)
    assert by_department.status_code == 403  # not a side of this project
    consented = await client.post(at(request, "consent"), headers=s.demand_headers)
    assert consented.status_code == 200, consented.text
    assert consented.json()["status"] == "awaiting_approval"
    twice = await client.post(at(request, "consent"), headers=s.demand_headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "INVALID_TRANSITION")
    by_side = await client.post(at(request, "approve"), json={}, headers=s.demand_headers)
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    approved = await client.post(
        at(request, "approve"), json={"reason": "属实"}, headers=admin_headers
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    project = (await client.get(s.path, headers=s.demand_headers)).json()
    assert (project["end_on"], project["status"]) == (after, "in_progress")
    history = (await client.get(f"{s.path}/history", headers=s.supply_headers)).json()["items"]
    extended = [e for e in history if e["action"] == "project.extend"]
    assert len(extended) == 1
    assert (extended[0]["data"]["from_end_on"], extended[0]["data"]["to_end_on"]) == (
        before,
        after,
    )
    again = await client.post(at(request, "reject"), json={"reason": "x"}, headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")
    listed = await client.get(f"{s.path}/change-requests", headers=s.supply_headers)
    assert [r["id"] for r in listed.json()["items"]] == [request["id"]]
    shown = await client.get(at(request), headers=s.demand_headers)
    assert (shown.status_code, shown.json()["decision_reason"]) == (200, "属实")


async def test_only_force_majeure_and_a_later_end_date(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    other = await file(client, s, extension(s.later(), reason_category="other"), s.demand_headers)
    assert (other.status_code, other.json()["code"]) == (422, "RULE_VIOLATION")
    assert cited(other) == ["R-CHG-FORCE-MAJEURE"]
    for body in (
        extension(s.project.end_on.isoformat()),  # not after the current end date
        {**extension(s.later()), "new_end_on": None},  # an extension without its date
        {**TERMINATION, "new_end_on": s.later()},  # a termination with one
    ):
        refused = await file(client, s, body, s.demand_headers)
        assert refused.status_code == 422, refused.text
        assert [v["field"] for v in refused.json()["violations"]] == ["body.new_end_on"]
    fine = await file(client, s, extension(s.later()), s.demand_headers)
    assert fine.status_code == 201, fine.text


async def test_one_open_request_per_project_and_only_while_in_progress(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    first = await file(client, s, TERMINATION, s.demand_headers)
    assert first.status_code == 201, first.text
    second = await file(client, s, extension(s.later()), s.supply_headers)
    assert (second.status_code, second.json()["code"]) == (409, "CONFLICT")
    by_side = await client.post(
        at(first.json(), "reject"), json={"reason": "撤回"}, headers=s.supply_headers
    )
    assert (by_side.status_code, by_side.json()["code"]) == (403, "FORBIDDEN")
    rejected = await client.post(
        at(first.json(), "reject"), json={"reason": "不属于不可抗力"}, headers=admin_headers
    )
    assert rejected.json()["status"] == "rejected"
    consented = await file(client, s, extension(s.later()), s.supply_headers)
    await client.post(at(consented.json(), "consent"), headers=s.demand_headers)
    refused = await client.post(
        at(consented.json(), "reject"), json={"reason": "证据不足"}, headers=admin_headers
    )
    assert (refused.status_code, refused.json()["status"]) == (200, "rejected")
    termination = await file(client, s, TERMINATION, s.supply_headers)
    assert termination.status_code == 201, termination.text
    await client.post(at(termination.json(), "consent"), headers=s.demand_headers)
    approved = await client.post(at(termination.json(), "approve"), json={}, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    project = (await client.get(s.path, headers=admin_headers)).json()
    assert project["status"] == "terminating"
    late = await file(client, s, extension(s.later()), s.demand_headers)
    assert (late.status_code, late.json()["code"]) == (409, "CONFLICT")
    assert late.json()["current_state"] == "terminating"


async def test_only_the_sides_file_and_others_see_nothing(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    by_department = await file(client, s, TERMINATION, admin_headers)
    assert (by_department.status_code, by_department.json()["code"]) == (403, "FORBIDDEN")
    stranger = bearer(app, await create_user(sessions))
    hidden = await file(client, s, TERMINATION, stranger)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")
    filed = await file(client, s, TERMINATION, s.demand_headers)
    for method, path in (("GET", at(filed.json())), ("POST", at(filed.json(), "consent"))):
        unseen = await client.request(method, path, headers=stranger)
        assert (unseen.status_code, unseen.json()["code"]) == (404, "NOT_FOUND")
    unknown = await client.get(f"/api/v1/change-requests/{uuid.uuid4()}", headers=admin_headers)
    assert unknown.status_code == 404


async def test_for_an_emergency_project_the_department_is_the_demand_side(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, kind="emergency")
    by_supply = await file(client, s, extension(s.later(30)), s.supply_headers)
    assert by_supply.status_code == 201, by_supply.text
    request = by_supply.json()
    assert request["status"] == "awaiting_approval"  # the department's approval is consent
    approved = await client.post(at(request, "approve"), json={}, headers=admin_headers)
    assert approved.status_code == 200, approved.text
    project = (await client.get(s.path, headers=s.supply_headers)).json()
    assert project["end_on"] == s.later(30)
    by_department = await file(client, s, TERMINATION, admin_headers)
    assert by_department.status_code == 201, by_department.text
    assert by_department.json()["filed_by_side"] == "demand"
    consent = at(by_department.json(), "consent")
    assert (await client.post(consent, headers=admin_headers)).status_code == 403
    assert (await client.post(consent, headers=s.supply_headers)).status_code == 200


async def test_a_suspended_project_is_not_extended(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    filed = await file(client, s, extension(s.later()), s.demand_headers)
    await client.post(at(filed.json(), "consent"), headers=s.supply_headers)
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        row.status = "suspended"  # as a misconduct case would (the integrity stage)
        await session.commit()
    refused = await client.post(at(filed.json(), "approve"), json={}, headers=admin_headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "INVALID_TRANSITION")
    async with sessions() as session:
        row = await session.get(Project, s.project.id)
        assert row is not None
        assert row.end_on == s.project.end_on
        assert row.end_on < date.fromisoformat(s.later())


async def test_the_readers_of_the_project_read_the_evidence(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    evidence = await client.post(
        "/api/v1/attachments", files={"file": PDF}, headers=s.supply_headers
    )
    file_path = f"/api/v1/attachments/{evidence.json()['id']}"
    assert (await client.get(file_path, headers=s.demand_headers)).status_code == 404  # unlinked
    body = {**TERMINATION, "attachment_ids": [evidence.json()["id"]]}
    not_mine = await file(client, s, body, s.demand_headers)  # the supply side's upload
    assert [v["field"] for v in not_mine.json()["violations"]] == ["body.attachment_ids"]
    assert (await file(client, s, body, s.supply_headers)).status_code == 201
    assert (await client.get(file_path, headers=s.demand_headers)).status_code == 200
    stranger = bearer(app, await create_user(sessions))
    assert (await client.get(file_path, headers=stranger)).status_code == 404
