"""Consortium consent (R-APP-MEMBER-CONSENT): every member of an application is invited, a
manager of the member organisation accepts or declines for it, and the application is
submitted only once every member has accepted. Who may see and answer an invitation, what
resets an answer, what is audited and published, and the races on one application."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from factories import (
    Sessions,
    add_member,
    application_body,
    bearer,
    create_organization,
    create_published_listing,
    create_user,
)
from jiebang_api.models import Application, AuditEntry, Event, Organization, User

RULE = ("R-APP-MEMBER-CONSENT", "本系统规则")


class Consortium:
    """A published listing; a lead (a verified university) and two would-be members, each an
    organisation of its own with a manager and a plain member; and a stranger."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.listing_id = ""
        self.lead: Organization
        self.partners: list[Organization] = []
        self.managers: list[User] = []
        self.staff: list[User] = []
        self.lead_headers: dict[str, str] = {}
        self.stranger: dict[str, str] = {}

    def manager(self, n: int = 0) -> dict[str, str]:
        return bearer(self.app, self.managers[n])

    def staff_of(self, n: int = 0) -> dict[str, str]:
        return bearer(self.app, self.staff[n])


async def consortium(app: FastAPI, sessions: Sessions) -> Consortium:
    c = Consortium(app)
    proposer = await create_organization(sessions, manager=await create_user(sessions))
    c.listing_id = str((await create_published_listing(sessions, proposer)).id)
    lead_user = await create_user(sessions)
    c.lead = await create_organization(
        sessions, manager=lead_user, type="university", verified=True
    )
    c.lead_headers = bearer(app, lead_user)
    for _ in range(2):
        manager, staff = await create_user(sessions), await create_user(sessions)
        partner = await create_organization(sessions, manager=manager, type="research_institute")
        await add_member(sessions, partner, staff)
        c.partners.append(partner)
        c.managers.append(manager)
        c.staff.append(staff)
    c.stranger = bearer(app, await create_user(sessions))
    return c


def member(org: Organization, share: str, role: str = "技术合作方") -> dict[str, str]:
    return {"org_id": str(org.id), "role": role, "budget_share": share}


async def draft(
    client: httpx.AsyncClient, c: Consortium, lead_share: str, *members: dict[str, str]
) -> dict[str, Any]:
    body = application_body(c.lead, lead_budget_share=lead_share, members=list(members))
    response = await client.post(
        f"/api/v1/listings/{c.listing_id}/applications", json=body, headers=c.lead_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def submit(client: httpx.AsyncClient, c: Consortium, app_id: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/applications/{app_id}/submit", json={}, headers=c.lead_headers
    )


async def answer(
    client: httpx.AsyncClient,
    app_id: str,
    org: Organization,
    verb: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/applications/{app_id}/members/{org.id}/{verb}", json=body or {}, headers=headers
    )


async def accept(
    client: httpx.AsyncClient, app_id: str, org: Organization, headers: dict[str, str], share: str
) -> httpx.Response:
    return await answer(client, app_id, org, "accept", headers, {"budget_share": share})


async def entries(sessions: Sessions, app_id: str, action: str) -> list[AuditEntry]:
    async with sessions() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource_id == app_id, AuditEntry.action == action)
            .order_by(AuditEntry.resource_seq)
        )
        return list(found)


async def published(sessions: Sessions, app_id: str, event_type: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        found = await session.scalars(
            select(Event)
            .where(Event.resource_id == app_id, Event.type == event_type)
            .order_by(Event.sequence)
        )
        return [event.payload for event in found]


async def stored_members(sessions: Sessions, app_id: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        row = await session.get(Application, uuid.UUID(app_id))
        assert row is not None
        return list(row.members)


def refused_for(response: httpx.Response) -> list[tuple[str, str, str, str]]:
    """The organisations a MEMBERS_NOT_ACCEPTED refusal names, with rule, article and field."""
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "MEMBERS_NOT_ACCEPTED"
    return [(v["org_id"], v["rule"], v["article"], v["field"]) for v in problem["violations"]]


# --- the acceptance ----------------------------------------------------------------------


async def test_submission_waits_until_the_member_organisations_manager_accepts(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    created = await draft(client, c, "70", member(partner, "30"))
    assert created["members"] == [
        {**member(partner, "30.00"), "consent": "invited", "decided_by": None, "decided_at": None}
    ]
    invited = await published(sessions, created["id"], "application.member_invited")
    assert [e["member_org_id"] for e in invited] == [str(partner.id)]

    refused = await submit(client, c, created["id"])
    assert refused_for(refused) == [(str(partner.id), *RULE, "members.0.org_id")]
    assert partner.name in refused.json()["detail"]

    # Its manager finds the invitation, and sees what it needs, nothing of the others.
    url = f"/api/v1/organizations/{partner.id}/consortium-invitations"
    listed = await client.get(url, headers=c.manager())
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert set(item) == {
        "application_id", "application_status", "listing_id", "listing_code", "listing_title",
        "lead_org_id", "lead_org_name", "org_id", "role", "budget_share", "consent",
        "decided_by", "decided_at",
    }  # fmt: skip
    assert (item["application_id"], item["lead_org_name"], item["budget_share"]) == (
        created["id"],
        c.lead.name,
        "30.00",
    )
    assert (item["consent"], item["application_status"]) == ("invited", "draft")
    assert item["listing_title"]
    assert item["listing_code"]

    # Only a manager of the member organisation answers: its plain member and a stranger
    # cannot see the application at all (404); the lead, who reads it, is refused (403).
    for headers in (c.staff_of(), c.stranger, c.manager(1)):
        denied = await accept(client, created["id"], partner, headers, "30.00")
        assert denied.status_code == 404, denied.text
        assert denied.json()["code"] == "NOT_FOUND"
    by_lead = await accept(client, created["id"], partner, c.lead_headers, "30.00")
    assert (by_lead.status_code, by_lead.json()["code"]) == (403, "FORBIDDEN")
    for headers in (c.staff_of(), c.stranger, c.lead_headers):
        hidden = await client.get(url, headers=headers)
        assert (hidden.status_code, hidden.json()["code"]) == (403, "FORBIDDEN")
    assert await entries(sessions, created["id"], "application.accept_invitation") == []
    assert refused_for(await submit(client, c, created["id"]))

    accepted = await accept(client, created["id"], partner, c.manager(), "30.00")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["consent"] == "accepted"
    assert accepted.json()["decided_by"] == str(c.managers[0].id)
    assert accepted.json()["decided_at"]
    [entry] = await entries(sessions, created["id"], "application.accept_invitation")
    assert (entry.actor_type, entry.actor_id) == ("user", str(c.managers[0].id))
    assert entry.data["consent"] == {"from": "invited", "to": "accepted"}
    assert entry.data["org_id"] == str(partner.id)
    [event] = await published(sessions, created["id"], "application.member_accepted")
    assert event["member_org_id"] == str(partner.id)

    read = await client.get(f"/api/v1/applications/{created['id']}", headers=c.lead_headers)
    assert read.json()["members"][0]["consent"] == "accepted"
    submitted = await submit(client, c, created["id"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"

    # Once submitted, answers are closed.
    late = await answer(client, created["id"], partner, "decline", c.manager())
    assert (late.status_code, late.json()["code"]) == (409, "CONFLICT")
    assert late.json()["current_state"] == "submitted"


async def test_a_declined_member_blocks_until_the_lead_removes_it(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    created = await draft(client, c, "70", member(partner, "30"))
    declined = await answer(
        client, created["id"], partner, "decline", c.manager(), {"reason": "无力承担"}
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["consent"] == "declined"
    [entry] = await entries(sessions, created["id"], "application.decline_invitation")
    assert entry.reason == "无力承担"
    assert entry.data["consent"] == {"from": "invited", "to": "declined"}
    assert len(await published(sessions, created["id"], "application.member_declined")) == 1

    again = await accept(client, created["id"], partner, c.manager(), "30.00")
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_TRANSITION")
    assert again.json()["current_state"] == "declined"

    refused = await submit(client, c, created["id"])
    assert refused_for(refused) == [(str(partner.id), *RULE, "members.0.org_id")]
    assert "remove it" in refused.json()["violations"][0]["message_en"]

    # Keeping it on the same share keeps its answer: still refused.
    same = await client.patch(
        f"/api/v1/applications/{created['id']}",
        json={"members": [member(partner, "30", role="合作方")]},
        headers=c.lead_headers,
    )
    assert same.json()["members"][0]["consent"] == "declined"
    assert refused_for(await submit(client, c, created["id"]))

    removed = await client.patch(
        f"/api/v1/applications/{created['id']}",
        json={"members": [], "lead_budget_share": "100"},
        headers=c.lead_headers,
    )
    assert removed.status_code == 200, removed.text
    assert (await submit(client, c, created["id"])).status_code == 200
    gone = await client.get(
        f"/api/v1/organizations/{partner.id}/consortium-invitations", headers=c.manager()
    )
    assert gone.json()["items"] == []


async def test_a_new_share_resets_that_members_answer_only(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    first, second = c.partners
    created = await draft(client, c, "50", member(first, "30"), member(second, "20"))
    app_id = created["id"]
    assert (await accept(client, app_id, first, c.manager(0), "30.00")).status_code == 200
    assert (await accept(client, app_id, second, c.manager(1), "20.00")).status_code == 200

    changed = await client.patch(
        f"/api/v1/applications/{app_id}",
        json={"lead_budget_share": "40", "members": [member(first, "40"), member(second, "20")]},
        headers=c.lead_headers,
    )
    assert changed.status_code == 200, changed.text
    consents = [(m["org_id"], m["consent"], m["decided_by"]) for m in changed.json()["members"]]
    assert consents == [
        (str(first.id), "invited", None),
        (str(second.id), "accepted", str(c.managers[1].id)),
    ]
    update = (await entries(sessions, app_id, "application.update"))[-1]
    assert update.data["invited"] == [str(first.id)]
    invited = await published(sessions, app_id, "application.member_invited")
    assert [e["member_org_id"] for e in invited] == [str(first.id), str(second.id), str(first.id)]

    assert refused_for(await submit(client, c, app_id)) == [
        (str(first.id), *RULE, "members.0.org_id")
    ]

    # An answer to the share it no longer has is refused; the invitation stays open.
    stale = await accept(client, app_id, first, c.manager(0), "30.00")
    assert (stale.status_code, stale.json()["code"]) == (409, "CONFLICT")
    assert (await stored_members(sessions, app_id))[0]["consent"] == "invited"
    assert (await accept(client, app_id, first, c.manager(0), "40.00")).status_code == 200
    assert (await submit(client, c, app_id)).status_code == 200


async def test_a_manager_may_take_back_an_acceptance_while_the_application_is_a_draft(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    created = await draft(client, c, "70", member(partner, "30"))
    assert (await accept(client, created["id"], partner, c.manager(), "30.00")).status_code == 200
    taken_back = await answer(client, created["id"], partner, "decline", c.manager())
    assert taken_back.status_code == 200, taken_back.text
    [entry] = await entries(sessions, created["id"], "application.decline_invitation")
    assert entry.data["consent"] == {"from": "accepted", "to": "declined"}
    assert refused_for(await submit(client, c, created["id"]))


async def test_patch_refuses_an_organisation_that_does_not_exist_as_post_does(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    ghost = {"org_id": str(uuid.uuid4()), "role": "合作方", "budget_share": "30"}
    body = application_body(c.lead, lead_budget_share="70", members=[ghost])
    posted = await client.post(
        f"/api/v1/listings/{c.listing_id}/applications", json=body, headers=c.lead_headers
    )
    created = await draft(client, c, "100")
    patched = await client.patch(
        f"/api/v1/applications/{created['id']}",
        json={"lead_budget_share": "70", "members": [ghost]},
        headers=c.lead_headers,
    )

    def said(response: httpx.Response) -> tuple[int, str, list[tuple[str, str]]]:
        problem = response.json()
        pairs = [(v["field"], v["message_en"]) for v in problem["violations"]]
        return response.status_code, problem["code"], pairs

    assert said(posted) == said(patched)
    assert said(patched) == (
        422,
        "VALIDATION_FAILED",
        [("body.members.0.org_id", "No such organisation.")],
    )
    assert (await stored_members(sessions, created["id"])) == []
    # An existing one goes through, invited.
    fine = await client.patch(
        f"/api/v1/applications/{created['id']}",
        json={"lead_budget_share": "70", "members": [member(c.partners[0], "30")]},
        headers=c.lead_headers,
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["members"][0]["consent"] == "invited"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_the_lead_cannot_answer_for_a_member(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, method: str
) -> None:
    c = await consortium(app, sessions)
    forged = {**member(c.partners[0], "30"), "consent": "accepted"}
    if method == "POST":
        body = application_body(c.lead, lead_budget_share="70", members=[forged])
        url = f"/api/v1/listings/{c.listing_id}/applications"
    else:
        url = f"/api/v1/applications/{(await draft(client, c, '100'))['id']}"
        body = {"lead_budget_share": "70", "members": [forged]}
    response = await client.request(method, url, json=body, headers=c.lead_headers)
    assert (response.status_code, response.json()["code"]) == (422, "VALIDATION_FAILED")
    assert "body.members.0.consent" in {v["field"] for v in response.json()["violations"]}


async def test_an_invitation_that_does_not_exist_is_404(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    first, second = c.partners
    created = await draft(client, c, "70", member(first, "30"))
    # The second organisation is not a member: its own manager finds nothing to answer.
    missing = await accept(client, created["id"], second, c.manager(1), "30.00")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    nowhere = await accept(client, str(uuid.uuid4()), first, c.manager(0), "30.00")
    assert nowhere.status_code == 404
    unknown = await client.get(
        f"/api/v1/organizations/{uuid.uuid4()}/consortium-invitations", headers=c.manager()
    )
    assert unknown.status_code == 404
    assert (
        await client.get(
            f"/api/v1/organizations/{second.id}/consortium-invitations", headers=c.manager(1)
        )
    ).json()["items"] == []


async def test_the_dry_run_does_not_ask_for_consent(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    c = await consortium(app, sessions)
    check = {
        "listing_id": c.listing_id,
        "lead_org_id": str(c.lead.id),
        "member_org_ids": [str(c.partners[0].id)],
    }
    report = await client.post("/api/v1/eligibility/check", json=check, headers=c.lead_headers)
    assert report.status_code == 200, report.text
    assert report.json()["eligible"] is True
    assert RULE[0] not in report.text


# --- races -------------------------------------------------------------------------------


Attempt = Callable[[httpx.AsyncClient], Any]


async def race(app: FastAPI, client_for: Any, *attempts: Attempt) -> list[httpx.Response]:
    """Run the attempts at once, each on a client (and connection) of its own."""

    async def one(attempt: Attempt) -> httpx.Response:
        async with client_for(app) as http:
            response: httpx.Response = await attempt(http)
            return response

    return list(await asyncio.gather(*(one(a) for a in attempts)))


async def test_two_managers_accepting_at_once_accept_once(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, client_for: Any
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    second_manager = await create_user(sessions)
    await add_member(sessions, partner, second_manager, role="manager")
    created = await draft(client, c, "70", member(partner, "30"))
    heads = [c.manager(), bearer(app, second_manager)] * 3
    responses = await race(
        app,
        client_for,
        *(lambda http, h=h: accept(http, created["id"], partner, h, "30.00") for h in heads),
    )
    outcomes = sorted((r.status_code, r.json().get("code")) for r in responses)
    assert outcomes == [(200, None)] + [(409, "INVALID_TRANSITION")] * 5, outcomes
    assert len(await entries(sessions, created["id"], "application.accept_invitation")) == 1
    assert len(await published(sessions, created["id"], "application.member_accepted")) == 1


async def test_an_acceptance_racing_a_new_share_never_accepts_the_new_share_unseen(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, client_for: Any
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    for _ in range(3):
        created = await draft(client, c, "70", member(partner, "30"))
        app_id = created["id"]
        accepting, editing = await race(
            app,
            client_for,
            lambda http, a=app_id: accept(http, a, partner, c.manager(), "30.00"),
            lambda http, a=app_id: http.patch(
                f"/api/v1/applications/{a}",
                json={"lead_budget_share": "60", "members": [member(partner, "40")]},
                headers=c.lead_headers,
            ),
        )
        assert editing.status_code == 200, editing.text
        assert (accepting.status_code, accepting.json().get("code")) in {
            (200, None),  # accepted 30, then the edit invited it again on 40
            (409, "CONFLICT"),  # the edit came first: 30 is no longer the offer
        }
        [stored] = await stored_members(sessions, app_id)
        assert (stored["budget_share"], stored["consent"]) == ("40.00", "invited")
        assert refused_for(await submit(client, c, app_id))
        withdrawn = await client.post(
            f"/api/v1/applications/{app_id}/withdraw", json={}, headers=c.lead_headers
        )
        assert withdrawn.status_code == 200, withdrawn.text


async def test_a_submission_racing_a_decline_never_submits_without_consent(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, client_for: Any
) -> None:
    c = await consortium(app, sessions)
    partner = c.partners[0]
    for _ in range(4):
        created = await draft(client, c, "70", member(partner, "30"))
        app_id = created["id"]
        assert (await accept(client, app_id, partner, c.manager(), "30.00")).status_code == 200
        submitting, declining = await race(
            app,
            client_for,
            lambda http, a=app_id: submit(http, c, a),
            lambda http, a=app_id: answer(http, a, partner, "decline", c.manager()),
        )
        outcome = (
            (submitting.status_code, submitting.json().get("code")),
            (declining.status_code, declining.json().get("code")),
        )
        assert outcome in {
            ((200, None), (409, "CONFLICT")),  # submitted first: answers are closed
            ((409, "MEMBERS_NOT_ACCEPTED"), (200, None)),  # declined first: not submitted
        }, outcome
        async with sessions() as session:
            row = await session.get(Application, uuid.UUID(app_id))
            assert row is not None
            consent = row.members[0]["consent"]
            assert (row.status, consent) in {("submitted", "accepted"), ("draft", "declined")}
        if row.status == "draft":
            removed = await client.patch(
                f"/api/v1/applications/{app_id}",
                json={"members": [], "lead_budget_share": "100"},
                headers=c.lead_headers,
            )
            assert removed.status_code == 200, removed.text
        await client.post(
            f"/api/v1/applications/{app_id}/withdraw", json={}, headers=c.lead_headers
        )
