"""Opening a listing's review round (第九条（五）, R-WF-RECOMMEND-JOINT): who is assigned what,
who a conflict of interest keeps away (recorded with its reason), and who may read the round."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from factories import (
    Sessions,
    _save,
    add_member,
    bearer,
    create_listing,
    create_organization,
    create_published_listing,
    create_user,
)
from jiebang_api.models import Application, AuditEntry, Event, ReviewAssignment, ReviewExclusion


@dataclass
class Scene:
    listing_id: uuid.UUID
    group: uuid.UUID  # the parent of the first applicant
    proposer: uuid.UUID
    first: uuid.UUID  # application of a subsidiary of `group`
    second: uuid.UUID  # application of an unrelated organisation
    in_group: uuid.UUID  # expert affiliated with `group`
    free: uuid.UUID  # expert with no ties
    at_proposer: uuid.UUID  # expert who is a member of the proposer
    reviewer: uuid.UUID  # member of the proposer, named as its reviewer
    reviewer_headers: dict[str, str]
    expert_headers: dict[str, str]


async def _application(sessions: Sessions, listing_id: uuid.UUID, lead: uuid.UUID) -> uuid.UUID:
    app = Application(
        id=uuid.uuid4(),
        listing_id=listing_id,
        lead_org_id=lead,
        status="under_review",
        lead_budget_share=Decimal(100),
        members=[],
        plan={},
        declarations={},
        attachment_ids=[],
        submitted_at=datetime.now(UTC),
    )
    await _save(sessions, app)
    return app.id


async def _expert(sessions: Sessions, **extra: Any) -> Any:
    return await create_user(sessions, roles=("expert",), **extra)


async def scene(app: FastAPI, sessions: Sessions, *, status: str = "closed") -> Scene:
    proposer = await create_organization(sessions)
    group = await create_organization(sessions)
    subsidiary = await create_organization(sessions, parent_org_id=group.id)
    unrelated = await create_organization(sessions)
    if status == "published":
        listing = await create_published_listing(sessions, proposer)
    else:
        listing = await create_listing(sessions, proposer, status=status)
    first = await _application(sessions, listing.id, subsidiary.id)
    second = await _application(sessions, listing.id, unrelated.id)
    in_group = await _expert(sessions, affiliation_org_id=group.id)
    free = await _expert(sessions)
    at_proposer = await _expert(sessions)
    await add_member(sessions, proposer, at_proposer)
    reviewer = await create_user(sessions)
    await add_member(sessions, proposer, reviewer)
    return Scene(
        listing.id,
        group.id,
        proposer.id,
        first,
        second,
        in_group.id,
        free.id,
        at_proposer.id,
        reviewer.id,
        bearer(app, reviewer),
        bearer(app, free),
    )


def body(s: Scene, **overrides: Any) -> dict[str, Any]:
    return {
        "expert_user_ids": [str(s.in_group), str(s.free), str(s.at_proposer)],
        "proposer_reviewer_user_ids": [str(s.reviewer)],
        **overrides,
    }


def url(s: Scene) -> str:
    return f"/api/v1/listings/{s.listing_id}/review-rounds"


async def test_experts_are_assigned_except_where_a_conflict_keeps_them_away(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    response = await client.post(url(s), json=body(s), headers=admin_headers)
    assert response.status_code == 201, response.text
    opened = response.json()
    assert response.headers["Location"] == f"/api/v1/review-rounds/{opened['id']}"
    assert opened["status"] == "open"
    assert [(c["key"], c["max_score"]) for c in opened["criteria"]] == [
        ("qualification", "40.0"),
        ("feasibility", "60.0"),
    ]
    assert opened["assignments"] == {"assigned": 3, "scored": 0, "declined": 0}
    async with sessions() as session:
        rows = (await session.scalars(select(ReviewAssignment))).all()
        pairs = {(a.expert_user_id, a.application_id) for a in rows}
        excluded = (await session.scalars(select(ReviewExclusion))).all()
    assert pairs == {(s.in_group, s.second), (s.free, s.first), (s.free, s.second)}
    # The expert of the applicant's parent organisation is kept from that application only.
    reasons = {(e.expert_user_id, e.application_id, e.role, e.reason) for e in excluded}
    assert reasons == {
        (s.in_group, s.first, "applicant", "same_ownership_tree"),
        (s.at_proposer, s.first, "proposer", "same_organization"),
        (s.at_proposer, s.second, "proposer", "same_organization"),
    }
    shown = {(e["expert_user_id"], e["expert_org_id"], e["reason"]) for e in opened["exclusions"]}
    assert (str(s.in_group), str(s.group), "same_ownership_tree") in shown


async def test_opening_is_audited_and_published(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    opened = (await client.post(url(s), json=body(s), headers=admin_headers)).json()
    async with sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.resource_id == opened["id"])
        )
        event = await session.scalar(select(Event).where(Event.resource_id == opened["id"]))
    assert entry is not None
    assert (entry.action, entry.to_state) == ("review_round.open", "open")
    assert event is not None
    assert event.type == "review_round.opened"
    assert (event.payload["assignments"], event.payload["exclusions"]) == (3, 3)


async def test_a_listing_still_open_has_no_round(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions, status="published")
    response = await client.post(url(s), json=body(s), headers=admin_headers)
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["current_state"]) == ("CONFLICT", "published")


async def test_one_round_per_listing(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    assert (await client.post(url(s), json=body(s), headers=admin_headers)).status_code == 201
    again = await client.post(url(s), json=body(s), headers=admin_headers)
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")


def _fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    return {v["field"] for v in response.json()["violations"]}


async def test_the_panel_is_checked(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    not_expert = await client.post(
        url(s), json=body(s, expert_user_ids=[str(s.reviewer)]), headers=admin_headers
    )
    assert _fields(not_expert) == {"body.expert_user_ids.0"}
    outsider = await client.post(
        url(s), json=body(s, proposer_reviewer_user_ids=[str(s.free)]), headers=admin_headers
    )
    assert _fields(outsider) == {"body.proposer_reviewer_user_ids.0"}
    nobody = await client.post(
        url(s), json=body(s, proposer_reviewer_user_ids=[]), headers=admin_headers
    )
    assert _fields(nobody) == {"body.proposer_reviewer_user_ids"}
    cited = nobody.json()["violations"][0]
    assert (cited["rule"], cited["article"]) == ("R-WF-RECOMMEND-JOINT", "第九条（五）")


async def test_a_sheet_must_be_out_of_100(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    sheet = [{"key": "plan", "name_zh": "方案", "name_en": "Plan", "max_score": "90.0"}]
    refused = await client.post(url(s), json=body(s, criteria=sheet), headers=admin_headers)
    assert _fields(refused) == {"body.criteria"}
    sheet[0]["max_score"] = "100"
    taken = await client.post(url(s), json=body(s, criteria=sheet), headers=admin_headers)
    assert taken.status_code == 201, taken.text
    assert taken.json()["criteria"][0]["max_score"] == "100.0"


async def test_an_emergency_round_needs_its_criteria(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    listing = await create_listing(sessions, None, status="closed")
    expert = await _expert(sessions)
    response = await client.post(
        f"/api/v1/listings/{listing.id}/review-rounds",
        json={"expert_user_ids": [str(expert.id)]},
        headers=admin_headers,
    )
    assert _fields(response) == {"body.criteria"}


async def test_only_the_department_opens_a_round(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    s = await scene(app, sessions)
    for headers in (s.reviewer_headers, s.expert_headers):
        response = await client.post(url(s), json=body(s), headers=headers)
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert (await client.post(url(s), json=body(s))).status_code == 401


async def test_the_proposers_reviewers_read_the_round_without_the_experts(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await scene(app, sessions)
    opened = (await client.post(url(s), json=body(s), headers=admin_headers)).json()
    where = f"/api/v1/review-rounds/{opened['id']}"
    as_reviewer = await client.get(where, headers=s.reviewer_headers)
    assert as_reviewer.status_code == 200
    seen = as_reviewer.json()
    assert (seen["expert_user_ids"], seen["exclusions"]) == (None, None)
    assert seen["assignments"] == opened["assignments"]
    assert str(s.in_group) not in as_reviewer.text
    as_admin = (await client.get(where, headers=admin_headers)).json()
    assert as_admin["expert_user_ids"] == [str(s.in_group), str(s.free), str(s.at_proposer)]
    stranger = bearer(app, await create_user(sessions))
    for headers in (s.expert_headers, stranger):
        response = await client.get(where, headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    unknown = await client.get(f"/api/v1/review-rounds/{uuid.uuid4()}", headers=admin_headers)
    assert unknown.status_code == 404
