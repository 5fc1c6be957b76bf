"""Review rounds (第九条（五）, R-WF-RECOMMEND-JOINT): who is assigned what, who a conflict of
interest keeps away (recorded with its reason), who may read the round; and the experts' side:
their own assignments, scored or declined once."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
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
from jiebang_api.models import (
    Application,
    AuditEntry,
    Event,
    Organization,
    ReviewAssignment,
    ReviewExclusion,
)


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
    expert_headers: dict[str, str]  # the expert with no ties (`free`)
    in_group_headers: dict[str, str]


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
        bearer(app, in_group),
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
    round_id = uuid.UUID(opened["id"])
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(ReviewAssignment).where(ReviewAssignment.round_id == round_id)
            )
        ).all()
        pairs = {(a.expert_user_id, a.application_id) for a in rows}
        excluded = (
            await session.scalars(
                select(ReviewExclusion).where(ReviewExclusion.round_id == round_id)
            )
        ).all()
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
    twice = await client.post(
        url(s), json=body(s, expert_user_ids=[str(s.free), str(s.free)]), headers=admin_headers
    )
    assert _fields(twice) == {"body.expert_user_ids.1"}
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


# --- the experts' side -----------------------------------------------------------------------


async def opened(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> Scene:
    s = await scene(app, sessions)
    response = await client.post(url(s), json=body(s), headers=admin_headers)
    assert response.status_code == 201, response.text
    return s


async def my_assignments(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/review-assignments", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


FULL = {"qualification": "40", "feasibility": "60.0"}


async def test_an_expert_reads_and_scores_their_own_assignment(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    mine = await my_assignments(client, s.expert_headers)
    assert {a["application_id"] for a in mine} == {str(s.first), str(s.second)}
    assert {a["status"] for a in mine} == {"assigned"}
    one = mine[0]
    detail = await client.get(f"/api/v1/review-assignments/{one['id']}", headers=s.expert_headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["application"]["id"] == one["application_id"]
    assert [c["key"] for c in detail.json()["criteria"]] == ["qualification", "feasibility"]
    scored = await client.post(
        f"/api/v1/review-assignments/{one['id']}/scores",
        json={"scores": {"qualification": "35.5", "feasibility": "52"}, "comment": "可行"},
        headers=s.expert_headers,
    )
    assert scored.status_code == 200, scored.text
    assert (scored.json()["status"], scored.json()["total"]) == ("scored", "87.5")
    assert scored.json()["scores"] == {"qualification": "35.5", "feasibility": "52.0"}
    async with sessions() as session:
        event = await session.scalar(
            select(Event).where(Event.type == "review.submitted", Event.resource_id == one["id"])
        )
    assert event is not None
    # Scores stay out of the change feed: no score, no comment, among the payload's values
    # (an instant may contain the digits by chance, so values are compared whole).
    assert not {"scores", "comment"} & event.payload.keys()
    assert not {"35.5", "52.0", "可行"} & {str(v) for v in event.payload.values()}
    assert str(s.free) not in str(event.payload)


async def test_a_second_score_is_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    one = (await my_assignments(client, s.expert_headers))[0]
    where = f"/api/v1/review-assignments/{one['id']}/scores"
    assert (
        await client.post(where, json={"scores": FULL}, headers=s.expert_headers)
    ).status_code == 200
    again = await client.post(where, json={"scores": FULL}, headers=s.expert_headers)
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")
    assert again.json()["current_state"] == "scored"
    declined = await client.post(
        f"/api/v1/review-assignments/{one['id']}/decline",
        json={"reason": "回避"},
        headers=s.expert_headers,
    )
    assert declined.status_code == 409


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"qualification": "40.5", "feasibility": "60"}, "body.scores.qualification"),
        ({"qualification": "40"}, "body.scores.feasibility"),
        ({"qualification": "40", "feasibility": "60", "luck": "1"}, "body.scores.luck"),
    ],
)
async def test_scores_off_the_sheet_are_refused(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
    scores: dict[str, str],
    field: str,
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    one = (await my_assignments(client, s.expert_headers))[0]
    refused = await client.post(
        f"/api/v1/review-assignments/{one['id']}/scores",
        json={"scores": scores},
        headers=s.expert_headers,
    )
    assert _fields(refused) == {field}
    assert (await my_assignments(client, s.expert_headers))[0]["status"] == "assigned"


async def test_an_expert_sees_nothing_of_other_experts_or_unassigned_applications(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    theirs = (await my_assignments(client, s.in_group_headers))[0]
    for path in ("", "/scores", "/decline"):
        where = f"/api/v1/review-assignments/{theirs['id']}{path}"
        response = (
            await client.get(where, headers=s.expert_headers)
            if not path
            else await client.post(
                where, json={"scores": FULL, "reason": "x"}, headers=s.expert_headers
            )
        )
        assert (response.status_code, response.json()["code"]) in {
            (404, "NOT_FOUND"),
            (422, "VALIDATION_FAILED"),
        }
    # The expert kept from the first application has no assignment for it, and cannot read it.
    in_group = s.in_group_headers
    assert {a["application_id"] for a in await my_assignments(client, in_group)} == {str(s.second)}
    unassigned = await client.get(f"/api/v1/applications/{s.first}", headers=in_group)
    assert (unassigned.status_code, unassigned.json()["code"]) == (404, "NOT_FOUND")


async def test_an_expert_may_decline_once(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    one = (await my_assignments(client, s.expert_headers))[0]
    declined = await client.post(
        f"/api/v1/review-assignments/{one['id']}/decline",
        json={"reason": "本人曾参与该单位的前期研发。"},
        headers=s.expert_headers,
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["total"]) == ("declined", None)
    scored = await client.post(
        f"/api/v1/review-assignments/{one['id']}/scores",
        json={"scores": FULL},
        headers=s.expert_headers,
    )
    assert (scored.status_code, scored.json()["current_state"]) == (409, "declined")


async def test_concurrent_scores_are_taken_once(
    backend: str,
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    one = (await my_assignments(client, s.expert_headers))[0]
    where = f"/api/v1/review-assignments/{one['id']}/scores"
    answers = await asyncio.gather(
        *(client.post(where, json={"scores": FULL}, headers=s.expert_headers) for _ in range(8))
    )
    assert sorted(r.status_code for r in answers) == [200] + [409] * 7
    async with sessions() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.resource_id == one["id"]))
        ).all()
    assert [e.action for e in entries] == ["review_assignment.score"]


# --- closing: aggregates, ranking and who sees which scores ---------------------------------


def _sheet(qualification: int, feasibility: int) -> dict[str, Any]:
    return {"scores": {"qualification": str(qualification), "feasibility": str(feasibility)}}


async def _answer_all(
    client: httpx.AsyncClient, headers: dict[str, str], by_application: dict[uuid.UUID, Any]
) -> None:
    """Score (a dict body) or decline (None) each of the expert's assignments."""
    for a in await my_assignments(client, headers):
        body_ = by_application[uuid.UUID(a["application_id"])]
        where = f"/api/v1/review-assignments/{a['id']}"
        response = await (
            client.post(f"{where}/decline", json={"reason": "回避"}, headers=headers)
            if body_ is None
            else client.post(f"{where}/scores", json=body_, headers=headers)
        )
        assert response.status_code == 200, response.text


async def closed_round(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> tuple[Scene, dict[str, Any], list[uuid.UUID]]:
    """Five unrelated experts: the first application's totals are 50, 70, 80, 90 and 100; the
    second's 60, 60 and 60 (two experts declined it)."""
    s = await scene(app, sessions)
    experts = [await _expert(sessions) for _ in range(5)]
    ids = [e.id for e in experts]
    opened = await client.post(
        url(s), json=body(s, expert_user_ids=[str(i) for i in ids]), headers=admin_headers
    )
    assert opened.status_code == 201, opened.text
    firsts = [(20, 30), (30, 40), (32, 48), (36, 54), (40, 60)]
    for n, expert in enumerate(experts):
        second = _sheet(24, 36) if n < 3 else None
        await _answer_all(
            client, bearer(app, expert), {s.first: _sheet(*firsts[n]), s.second: second}
        )
    closed = await client.post(
        f"/api/v1/review-rounds/{opened.json()['id']}/close", json={}, headers=admin_headers
    )
    assert closed.status_code == 200, closed.text
    return s, closed.json(), ids


async def test_closing_ranks_by_the_trimmed_mean(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, closed, _ = await closed_round(client, app, sessions, admin_headers)
    assert closed["status"] == "closed"
    results = await client.get(
        f"/api/v1/review-rounds/{closed['id']}/results", headers=admin_headers
    )
    assert results.status_code == 200, results.text
    items = results.json()["items"]
    summary = [
        (i["application_id"], i["rank"], i["aggregate"], i["scored_by"], i["trimmed"])
        for i in items
    ]
    assert summary == [
        (str(s.first), 1, "80.00", 5, True),  # the plain mean would be 78.00
        (str(s.second), 2, "60.00", 3, False),
    ]
    assert [i["insufficient_reviews"] for i in items] == [False, False]
    async with sessions() as session:
        event = await session.scalar(
            select(Event).where(
                Event.type == "review_round.closed", Event.resource_id == closed["id"]
            )
        )
    assert event is not None
    assert event.payload["applications"] == 2


async def test_the_proposer_sees_the_scores_without_the_experts(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, closed, experts = await closed_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{closed['id']}/results"
    as_reviewer = await client.get(where, headers=s.reviewer_headers)
    assert as_reviewer.status_code == 200, as_reviewer.text
    answers = as_reviewer.json()["items"][0]["answers"]
    assert [(a["expert_number"], a["expert_user_id"]) for a in answers] == [
        (n, None) for n in range(1, 6)
    ]
    assert [a["total"] for a in answers] == ["50.0", "70.0", "80.0", "90.0", "100.0"]
    assert not any(str(e) in as_reviewer.text for e in experts)
    as_admin = (await client.get(where, headers=admin_headers)).json()
    assert [a["expert_user_id"] for a in as_admin["items"][0]["answers"]] == [
        str(e) for e in experts
    ]
    stranger = await client.get(where, headers=s.expert_headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "NOT_FOUND")


async def test_a_round_closes_once_and_takes_no_scores_after(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    rounds = await my_assignments(client, s.expert_headers)
    where = f"/api/v1/review-rounds/{rounds[0]['review_round_id']}"
    early = await client.get(f"{where}/results", headers=admin_headers)
    assert (early.status_code, early.json()["current_state"]) == (409, "open")
    refused = await client.post(f"{where}/close", json={}, headers=s.reviewer_headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    assert (await client.post(f"{where}/close", json={}, headers=admin_headers)).status_code == 200
    again = await client.post(f"{where}/close", json={}, headers=admin_headers)
    assert (again.status_code, again.json()["current_state"]) == (409, "closed")
    late = await client.post(
        f"/api/v1/review-assignments/{rounds[0]['id']}/scores",
        json={"scores": FULL},
        headers=s.expert_headers,
    )
    assert (late.status_code, late.json()["current_state"]) == (409, "closed")
    # Nobody scored: both applications are flagged insufficient, with no aggregate.
    items = (await client.get(f"{where}/results", headers=admin_headers)).json()["items"]
    assert [(i["aggregate"], i["insufficient_reviews"]) for i in items] == [(None, True)] * 2


async def test_no_score_lands_after_the_round_closed(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    """Scores racing the close: each is either counted in the results or refused (409)."""
    s = await opened(client, app, sessions, admin_headers)
    answers = [
        (a, headers)
        for headers in (s.expert_headers, s.in_group_headers)
        for a in await my_assignments(client, headers)
    ]
    close = f"/api/v1/review-rounds/{answers[0][0]['review_round_id']}/close"
    calls = [
        client.post(
            f"/api/v1/review-assignments/{a['id']}/scores", json={"scores": FULL}, headers=h
        )
        for a, h in answers
    ]
    replies = await asyncio.gather(*calls, client.post(close, json={}, headers=admin_headers))
    assert replies[-1].status_code == 200
    assert {r.status_code for r in replies[:-1]} <= {200, 409}
    results = await client.get(close.replace("/close", "/results"), headers=admin_headers)
    async with sessions() as session:
        scored = (
            await session.scalars(
                select(ReviewAssignment).where(
                    ReviewAssignment.status == "scored",
                    ReviewAssignment.round_id == uuid.UUID(answers[0][0]["review_round_id"]),
                )
            )
        ).all()
    accepted = sum(r.status_code == 200 for r in replies[:-1])
    assert len(scored) == accepted == sum(i["scored_by"] for i in results.json()["items"])


# --- the joint recommendation (R-WF-RECOMMEND-JOINT) -----------------------------------------


async def ranked_round(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> tuple[Scene, str]:
    """A closed round on the scene's listing (nobody scored: both applications ranked)."""
    s = await opened(client, app, sessions, admin_headers)
    round_id = (await my_assignments(client, s.expert_headers))[0]["review_round_id"]
    closed = await client.post(
        f"/api/v1/review-rounds/{round_id}/close", json={}, headers=admin_headers
    )
    assert closed.status_code == 200, closed.text
    return s, round_id


async def _statuses(sessions: Sessions, s: Scene) -> dict[uuid.UUID, tuple[str, int | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Application.id, Application.status, Application.recommendation_rank).where(
                Application.listing_id == s.listing_id
            )
        )
        return {app_id: (status, rank) for app_id, status, rank in rows}


async def _events(sessions: Sessions, *types: str, resource_ids: set[Any]) -> list[Event]:
    async with sessions() as session:
        found = await session.scalars(
            select(Event)
            .where(Event.type.in_(types), Event.resource_id.in_([str(r) for r in resource_ids]))
            .order_by(Event.sequence)
        )
        return list(found)


async def test_the_recommendation_takes_effect_only_once_the_proposer_confirms(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, round_id = await ranked_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    proposed = await client.post(
        where, json={"application_ids": [str(s.second)]}, headers=admin_headers
    )
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "recommendation_proposed"
    assert proposed.json()["recommendation"]["application_ids"] == [str(s.second)]
    assert proposed.json()["recommendation"]["confirmed_at"] is None
    # Proposed, not in effect: both applications are still under review.
    before = await _statuses(sessions, s)
    assert before == {s.first: ("under_review", None), s.second: ("under_review", None)}
    assert not await _events(sessions, "application.recommended", resource_ids={s.first, s.second})
    seen = await client.get(f"/api/v1/review-rounds/{round_id}", headers=s.reviewer_headers)
    assert seen.json()["recommendation"]["application_ids"] == [str(s.second)]

    confirmed = await client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "recommendation_confirmed"
    assert confirmed.json()["recommendation"]["confirmed_by"] == str(s.reviewer)
    after = await _statuses(sessions, s)
    assert after == {s.first: ("not_recommended", None), s.second: ("recommended", 1)}
    read = await client.get(f"/api/v1/applications/{s.second}", headers=admin_headers)
    assert (read.json()["status"], read.json()["recommendation_rank"]) == ("recommended", 1)
    moved = await _events(
        sessions,
        "application.recommended",
        "application.not_recommended",
        resource_ids={s.first, s.second},
    )
    assert sorted((e.type, e.resource_id, e.payload.get("rank")) for e in moved) == [
        ("application.not_recommended", str(s.first), None),
        ("application.recommended", str(s.second), 1),
    ]
    round_events = await _events(
        sessions,
        "recommendation.proposed",
        "recommendation.confirmed",
        resource_ids={uuid.UUID(round_id)},
    )
    assert [e.type for e in round_events] == ["recommendation.proposed", "recommendation.confirmed"]
    assert round_events[1].payload["application_ids"] == [str(s.second)]
    assert round_events[1].payload["listing_failed"] is False
    listing = await client.get(f"/api/v1/listings/{s.listing_id}", headers=admin_headers)
    assert listing.json()["status"] == "closed"  # awarded only once an agreement is signed
    async with sessions() as session:
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.resource_id.in_([round_id, str(s.second)]))
                .order_by(AuditEntry.resource_type, AuditEntry.resource_seq)
            )
        ).all()
    assert [(e.action, e.actor_id) for e in entries if e.action != "review_round.open"] == [
        ("application.recommend", str(s.reviewer)),
        ("review_round.close", entries[1].actor_id),
        ("review_round.propose", entries[1].actor_id),
        ("review_round.confirm", str(s.reviewer)),
    ]


async def test_an_empty_recommendation_fails_the_listing(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, round_id = await ranked_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    assert (
        await client.post(where, json={"application_ids": []}, headers=admin_headers)
    ).status_code == 200
    listing = f"/api/v1/listings/{s.listing_id}"
    still = await client.get(listing, headers=admin_headers)
    assert still.json()["status"] == "closed"  # not before the proposer confirms
    confirmed = await client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers)
    assert confirmed.status_code == 200, confirmed.text
    failed = await client.get(listing, headers=admin_headers)
    assert (failed.json()["status"], failed.json()["allowed_actions"]) == ("failed", [])
    assert await _statuses(sessions, s) == {
        s.first: ("not_recommended", None),
        s.second: ("not_recommended", None),
    }
    events = await _events(sessions, "listing.failed", resource_ids={s.listing_id})
    assert [(e.payload["from_status"], e.payload["status"]) for e in events] == [
        ("closed", "failed")
    ]
    history = await client.get(f"{listing}/history", headers=admin_headers)
    assert history.json()["items"][-1]["action"] == "listing.fail"
    public = await client.get(f"/api/v1/public/listings/{s.listing_id}")
    assert (public.status_code, public.json()["status"]) == (200, "failed")


async def test_the_department_alone_does_not_confirm_an_ordinary_listings_recommendation(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, round_id = await ranked_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    await client.post(where, json={"application_ids": [str(s.first)]}, headers=admin_headers)
    by_admin = await client.post(f"{where}/confirm", json={}, headers=admin_headers)
    assert (by_admin.status_code, by_admin.json()["code"]) == (403, "FORBIDDEN")
    assert [v["rule"] for v in by_admin.json()["violations"]] == ["R-WF-RECOMMEND-JOINT"]
    # Another member of the proposer, not named on the round, does not even see it.
    other = await create_user(sessions)
    async with sessions() as session:
        org = await session.get(Organization, s.proposer)
    assert org is not None
    await add_member(sessions, org, other)
    for headers in (bearer(app, other), s.expert_headers):
        refused = await client.post(f"{where}/confirm", json={}, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (404, "NOT_FOUND")
    assert (await client.post(f"{where}/confirm", json={})).status_code == 401
    assert set((await _statuses(sessions, s)).values()) == {("under_review", None)}


async def test_a_proposal_comes_after_closing_and_names_only_ranked_applications(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    round_id = (await my_assignments(client, s.expert_headers))[0]["review_round_id"]
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    early = await client.post(where, json={"application_ids": []}, headers=admin_headers)
    assert (early.status_code, early.json()["current_state"]) == (409, "open")
    await client.post(f"/api/v1/review-rounds/{round_id}/close", json={}, headers=admin_headers)
    nothing = await client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers)
    assert (nothing.status_code, nothing.json()["current_state"]) == (409, "closed")
    stranger = str(uuid.uuid4())
    wrong = await client.post(
        where,
        json={"application_ids": [str(s.first), stranger, str(s.first)]},
        headers=admin_headers,
    )
    assert wrong.status_code == 422, wrong.text
    assert [(v["field"], v["message_en"]) for v in wrong.json()["violations"]] == [
        ("body.application_ids.1", "Not among the round's results."),
        ("body.application_ids.2", "Listed twice."),
    ]
    by_reviewer = await client.post(where, json={"application_ids": []}, headers=s.reviewer_headers)
    assert (by_reviewer.status_code, by_reviewer.json()["code"]) == (403, "FORBIDDEN")


async def test_a_new_proposal_replaces_one_not_yet_confirmed_and_none_after(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s, round_id = await ranked_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    first = [str(s.first), str(s.second)]
    await client.post(where, json={"application_ids": first}, headers=admin_headers)
    again = await client.post(where, json={"application_ids": first[::-1]}, headers=admin_headers)
    assert again.json()["recommendation"]["application_ids"] == first[::-1]
    confirmed = await client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers)
    assert confirmed.status_code == 200, confirmed.text
    assert await _statuses(sessions, s) == {
        s.second: ("recommended", 1),
        s.first: ("recommended", 2),
    }
    late = await client.post(where, json={"application_ids": []}, headers=admin_headers)
    assert (late.status_code, late.json()["current_state"]) == (409, "recommendation_confirmed")
    twice = await client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers)
    assert (twice.status_code, twice.json()["current_state"]) == (409, "recommendation_confirmed")
    proposed = await _events(
        sessions, "recommendation.proposed", resource_ids={uuid.UUID(round_id)}
    )
    assert [e.payload["replaced"] for e in proposed] == [False, True]


async def test_the_department_confirms_an_emergency_listings_recommendation_alone(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    listing = await create_listing(sessions, None, status="closed")
    lead = await create_organization(sessions)
    application = await _application(sessions, listing.id, lead.id)
    expert = await _expert(sessions)
    sheet = [{"key": "plan", "name_zh": "方案", "name_en": "Plan", "max_score": "100"}]
    opened_ = await client.post(
        f"/api/v1/listings/{listing.id}/review-rounds",
        json={"expert_user_ids": [str(expert.id)], "criteria": sheet},
        headers=admin_headers,
    )
    assert opened_.status_code == 201, opened_.text
    where = f"/api/v1/review-rounds/{opened_.json()['id']}"
    await client.post(f"{where}/close", json={}, headers=admin_headers)
    proposed = await client.post(
        f"{where}/recommendation",
        json={"application_ids": [str(application)]},
        headers=admin_headers,
    )
    assert proposed.status_code == 200, proposed.text
    confirmed = await client.post(f"{where}/recommendation/confirm", json={}, headers=admin_headers)
    assert confirmed.status_code == 200, confirmed.text
    async with sessions() as session:
        row = await session.get(Application, application)
    assert row is not None
    assert (row.status, row.recommendation_rank) == ("recommended", 1)


async def test_concurrent_confirmations_take_effect_once(
    backend: str,
    client: httpx.AsyncClient,
    app: FastAPI,
    sessions: Sessions,
    admin_headers: dict[str, str],
) -> None:
    s, round_id = await ranked_round(client, app, sessions, admin_headers)
    where = f"/api/v1/review-rounds/{round_id}/recommendation"
    await client.post(where, json={"application_ids": [str(s.first)]}, headers=admin_headers)
    replies = await asyncio.gather(
        *(client.post(f"{where}/confirm", json={}, headers=s.reviewer_headers) for _ in range(6))
    )
    assert sorted(r.status_code for r in replies) == [200] + [409] * 5
    async with sessions() as session:
        moves = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.resource_id.in_([str(s.first), str(s.second)])
                )
            )
        ).all()
    assert sorted(a for a in moves if "recommend" in a) == [
        "application.not_recommend",
        "application.recommend",
    ]


async def test_an_assigned_expert_downloads_the_applications_files_until_declining(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    s = await opened(client, app, sessions, admin_headers)
    uploaded = await client.post(
        "/api/v1/attachments",
        files={"file": ("方案.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        headers=admin_headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    async with sessions() as session:
        row = await session.get(Application, s.second)
        assert row is not None
        row.attachment_ids = [file_id]
        await session.commit()
    content = f"/api/v1/attachments/{file_id}/content"
    assert (await client.get(content, headers=s.expert_headers)).status_code == 200
    # An expert with no assignment on the application: 404.
    stranger = await client.get(content, headers=bearer(app, await _expert(sessions)))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "NOT_FOUND")
    mine = await my_assignments(client, s.expert_headers)
    one = next(a for a in mine if a["application_id"] == str(s.second))
    declined = await client.post(
        f"/api/v1/review-assignments/{one['id']}/decline",
        json={"reason": "回避"},
        headers=s.expert_headers,
    )
    assert declined.status_code == 200, declined.text
    after = await client.get(content, headers=s.expert_headers)
    assert (after.status_code, after.json()["code"]) == (404, "NOT_FOUND")
