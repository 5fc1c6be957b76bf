"""Consent in the identity layer (issue 11, items 7 and 9): a membership is an invitation the
invited user accepts; a named parent is a claim the parent's managers accept; a change of an
organisation's identity or parent unverifies it, all of it. Every step is in the audit trail.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factories import (
    Sessions,
    add_member,
    bearer,
    create_organization,
    create_service_client,
    create_user,
    unique,
    valid_uscc,
)
from jiebang_api.auth import service as auth_service
from jiebang_api.auth.tokens import Claims, SubjectKind
from jiebang_api.models import Organization, User

ORGS = "/api/v1/organizations"
ME = "/api/v1/me"
INVITATIONS = "/api/v1/me/invitations"
PROBLEM = "application/problem+json"
Headers = dict[str, str]
ClientFor = Callable[[FastAPI], httpx.AsyncClient]
# Every flag verified: what a department verification of the whole organisation leaves.
ALL_FLAGS = sorted(
    [
        "central_enterprise_branch",
        "high_tech",
        "independent_legal_person",
        "large_influential",
        "partner_4_8_n",
        "pays_tax_in_region",
        "strategic_agreement",
        "tech_based",
    ]
)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def new_org(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("内蒙古同意"), "uscc": valid_uscc(), "type": "enterprise", **overrides}


async def history(client: httpx.AsyncClient, org_id: Any, headers: Headers) -> list[dict[str, Any]]:
    response = await client.get(f"{ORGS}/{org_id}/history", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def actions(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["action"] for entry in entries]


async def principal_of(sessions: Sessions, user: User) -> Any:
    async with sessions() as session:
        return await auth_service.principal_for(session, Claims(user.id, SubjectKind.USER))


@pytest.fixture
async def manager(sessions: Sessions) -> User:
    return await create_user(sessions)


@pytest.fixture
async def org(sessions: Sessions, manager: User) -> Organization:
    return await create_organization(sessions, manager=manager)


# --------------------------------------------------------------------------------------------
# Memberships are invitations


async def test_an_admin_invited_as_manager_gains_no_membership_until_accepting(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    manager: User,
    org: Organization,
    admin: User,
    admin_headers: Headers,
) -> None:
    headers = bearer(app, manager)
    invited = await client.post(
        f"{ORGS}/{org.id}/members",
        json={"username": admin.username, "role": "manager"},
        headers=headers,
    )
    assert invited.status_code == 201, invited.text
    assert (invited.json()["role"], invited.json()["status"]) == ("manager", "invited")

    assert (await principal_of(sessions, admin)).memberships == {}
    me = (await client.get(ME, headers=admin_headers)).json()
    assert me["memberships"] == []
    assert "org_member" not in me["roles"]
    pending = (await client.get(INVITATIONS, headers=admin_headers)).json()["items"]
    assert [(i["organization_id"], i["role"], i["status"]) for i in pending] == [
        (str(org.id), "manager", "invited")
    ]
    members = (await client.get(f"{ORGS}/{org.id}/members", headers=headers)).json()["items"]
    assert {m["username"]: m["status"] for m in members} == {
        manager.username: "accepted",
        admin.username: "invited",
    }

    accepted = await client.post(f"{INVITATIONS}/{org.id}/accept", headers=admin_headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert (await principal_of(sessions, admin)).memberships == {org.id: "manager"}
    me = (await client.get(ME, headers=admin_headers)).json()
    assert [(m["organization_id"], m["role"]) for m in me["memberships"]] == [
        (str(org.id), "manager")
    ]
    assert (await client.get(INVITATIONS, headers=admin_headers)).json()["items"] == []

    entries = (await history(client, org.id, admin_headers))[-2:]
    assert actions(entries) == ["organization.member.invite", "organization.member.accept"]
    assert [e["actor_id"] for e in entries] == [str(manager.id), str(admin.id)]
    assert entries[1]["data"] == {"user_id": str(admin.id), "role": "manager"}

    again = await client.post(f"{INVITATIONS}/{org.id}/accept", headers=admin_headers)
    assert_problem(again, 409, "CONFLICT")


async def test_an_invited_user_has_no_access_before_accepting(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, manager: User, org: Organization
) -> None:
    invitee = await create_user(sessions)
    response = await client.post(
        f"{ORGS}/{org.id}/members",
        json={"username": invitee.username, "role": "manager"},
        headers=bearer(app, manager),
    )
    assert response.status_code == 201
    headers = bearer(app, invitee)
    url = f"{ORGS}/{org.id}"
    listing = {"kind": "tech_breakthrough", "proposer_org_id": str(org.id), "title": "稀土"}
    for method, path, body in [
        ("PATCH", url, {"high_tech": True}),
        ("GET", f"{url}/members", None),
        ("GET", f"{url}/history", None),
        ("POST", f"{url}/members", {"username": unique("nobody")}),
        ("POST", "/api/v1/listings", listing),
    ]:
        refused = await client.request(method, path, json=body, headers=headers)
        assert_problem(refused, 403, "FORBIDDEN")

    assert (await client.post(f"{INVITATIONS}/{org.id}/accept", headers=headers)).status_code == 200
    edited = await client.patch(url, json={"high_tech": True}, headers=headers)
    assert edited.status_code == 200, edited.text


async def test_only_the_invited_user_answers_an_invitation(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, manager: User, org: Organization
) -> None:
    invitee, stranger = await create_user(sessions), await create_user(sessions)
    await add_member(sessions, org, invitee, status="invited")
    stranger_says = await client.post(
        f"{INVITATIONS}/{org.id}/accept", headers=bearer(app, stranger)
    )
    assert_problem(stranger_says, 404, "NOT_FOUND")
    # The manager cannot accept for the invitee: its own membership is accepted already.
    manager_says = await client.post(f"{INVITATIONS}/{org.id}/accept", headers=bearer(app, manager))
    assert_problem(manager_says, 409, "CONFLICT")
    service = await create_service_client(sessions)
    assert_problem(
        await client.post(f"{INVITATIONS}/{org.id}/accept", headers=bearer(app, service)),
        403,
        "FORBIDDEN",
    )
    unknown = await client.post(
        f"{INVITATIONS}/{uuid.uuid4()}/accept", headers=bearer(app, invitee)
    )
    assert_problem(unknown, 404, "NOT_FOUND")
    assert (await principal_of(sessions, invitee)).memberships == {}


async def test_declining_and_cancelling_remove_the_invitation(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    manager: User,
    org: Organization,
    admin_headers: Headers,
) -> None:
    invitee = await create_user(sessions)
    headers, manager_headers = bearer(app, invitee), bearer(app, manager)
    members = f"{ORGS}/{org.id}/members"
    invite = {"username": invitee.username}
    assert (await client.post(members, json=invite, headers=manager_headers)).status_code == 201
    assert_problem(
        await client.post(members, json=invite, headers=manager_headers), 409, "CONFLICT"
    )

    declined = await client.post(f"{INVITATIONS}/{org.id}/decline", headers=headers)
    assert declined.status_code == 204
    assert_problem(
        await client.post(f"{INVITATIONS}/{org.id}/accept", headers=headers), 404, "NOT_FOUND"
    )

    assert (await client.post(members, json=invite, headers=manager_headers)).status_code == 201
    cancelled = await client.delete(f"{members}/{invitee.id}", headers=manager_headers)
    assert cancelled.status_code == 204
    assert_problem(
        await client.post(f"{INVITATIONS}/{org.id}/accept", headers=headers), 404, "NOT_FOUND"
    )
    listed = (await client.get(members, headers=manager_headers)).json()["items"]
    assert [m["username"] for m in listed] == [manager.username]

    entries = (await history(client, org.id, admin_headers))[-4:]
    assert actions(entries) == [
        "organization.member.invite",
        "organization.member.decline",
        "organization.member.invite",
        "organization.member.cancel",
    ]
    assert [e["actor_id"] for e in entries] == [
        str(manager.id),
        str(invitee.id),
        str(manager.id),
        str(manager.id),
    ]


async def test_an_accepted_member_cannot_decline_and_is_removed_by_a_manager(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, manager: User, org: Organization
) -> None:
    colleague = await create_user(sessions)
    await add_member(sessions, org, colleague)
    declined = await client.post(f"{INVITATIONS}/{org.id}/decline", headers=bearer(app, colleague))
    assert_problem(declined, 409, "CONFLICT")
    removed = await client.delete(
        f"{ORGS}/{org.id}/members/{colleague.id}", headers=bearer(app, manager)
    )
    assert removed.status_code == 204


async def test_the_last_manager_rule_counts_accepted_managers(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    manager: User,
    org: Organization,
    admin_headers: Headers,
) -> None:
    successor = await create_user(sessions)
    await add_member(sessions, org, successor, role="manager", status="invited")
    leaving = f"{ORGS}/{org.id}/members/{manager.id}"
    assert_problem(await client.delete(leaving, headers=admin_headers), 409, "CONFLICT")
    accepted = await client.post(f"{INVITATIONS}/{org.id}/accept", headers=bearer(app, successor))
    assert accepted.status_code == 200
    assert (await client.delete(leaving, headers=admin_headers)).status_code == 204
    assert actions(await history(client, org.id, admin_headers))[-1] == "organization.member.remove"


async def test_the_registrant_is_an_accepted_manager(
    app: FastAPI, client: httpx.AsyncClient, manager: User
) -> None:
    headers = bearer(app, manager)
    created = (await client.post(ORGS, json=new_org(), headers=headers)).json()
    members = (await client.get(f"{ORGS}/{created['id']}/members", headers=headers)).json()
    assert [(m["role"], m["status"]) for m in members["items"]] == [("manager", "accepted")]


async def test_two_concurrent_accepts_of_one_invitation_give_one_success_and_one_409(
    app: FastAPI,
    client_for: ClientFor,
    client: httpx.AsyncClient,
    sessions: Sessions,
    org: Organization,
    admin_headers: Headers,
) -> None:
    invitee = await create_user(sessions)
    await add_member(sessions, org, invitee, role="manager", status="invited")
    headers = bearer(app, invitee)

    async def accept() -> httpx.Response:
        async with client_for(app) as http:
            return await http.post(f"{INVITATIONS}/{org.id}/accept", headers=headers)

    responses = await asyncio.gather(accept(), accept())
    assert sorted(r.status_code for r in responses) == [200, 409]
    (refused,) = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "CONFLICT"
    entries = await history(client, org.id, admin_headers)
    assert actions(entries).count("organization.member.accept") == 1


# --------------------------------------------------------------------------------------------
# A named parent is a claim


@pytest.fixture
async def parent_manager(sessions: Sessions) -> User:
    return await create_user(sessions)


@pytest.fixture
async def parent(sessions: Sessions, parent_manager: User) -> Organization:
    return await create_organization(sessions, manager=parent_manager)


async def test_naming_a_parent_on_registration_waits_for_its_manager(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: User,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    created = await client.post(
        ORGS, json=new_org(parent_org_id=str(parent.id)), headers=bearer(app, manager)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["parent_org_id"] is None
    assert body["pending_parent_org_id"] == str(parent.id)
    assert body["parent_claimed_at"] is not None

    owner = bearer(app, parent_manager)
    claims = (await client.get(f"{ORGS}/{parent.id}/subsidiary-claims", headers=owner)).json()
    assert [(c["organization_id"], c["parent_org_id"]) for c in claims["items"]] == [
        (body["id"], None)
    ]
    accepted = await client.post(
        f"{ORGS}/{parent.id}/subsidiary-claims/{body['id']}/accept", headers=owner
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["parent_org_id"] == str(parent.id)
    assert accepted.json()["pending_parent_org_id"] is None
    assert accepted.headers["ETag"] == f'"{accepted.json()["version"]}"'
    claims = (await client.get(f"{ORGS}/{parent.id}/subsidiary-claims", headers=owner)).json()
    assert claims["items"] == []

    child_entries = await history(client, body["id"], admin_headers)
    assert actions(child_entries) == ["organization.create", "organization.parent_claim.accept"]
    assert child_entries[0]["changes"]["pending_parent_org_id"] == {
        "old": None,
        "new": str(parent.id),
    }
    assert "parent_org_id" not in child_entries[0]["changes"]
    assert child_entries[1]["actor_id"] == str(parent_manager.id)
    assert child_entries[1]["changes"]["parent_org_id"] == {"old": None, "new": str(parent.id)}
    assert child_entries[1]["changes"]["pending_parent_org_id"] == {
        "old": str(parent.id),
        "new": None,
    }
    parent_entries = (await history(client, parent.id, admin_headers))[-2:]
    assert actions(parent_entries) == [
        "organization.subsidiary_claim.receive",
        "organization.subsidiary_claim.accept",
    ]
    assert {e["data"]["organization_id"] for e in parent_entries} == {body["id"]}


async def test_a_claim_by_update_leaves_the_parent_until_declined_or_withdrawn(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    manager: User,
    org: Organization,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    headers, owner = bearer(app, manager), bearer(app, parent_manager)
    claimed = await client.patch(
        f"{ORGS}/{org.id}", json={"parent_org_id": str(parent.id)}, headers=headers
    )
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["parent_org_id"], claimed.json()["pending_parent_org_id"]) == (
        None,
        str(parent.id),
    )
    accept = f"{ORGS}/{parent.id}/subsidiary-claims/{org.id}/accept"
    decline = f"{ORGS}/{parent.id}/subsidiary-claims/{org.id}/decline"

    stranger = await create_user(sessions)
    assert_problem(await client.post(accept, headers=bearer(app, stranger)), 404, "NOT_FOUND")
    assert_problem(await client.post(accept, headers=headers), 403, "FORBIDDEN")  # the claimant
    clerk = await create_user(sessions)
    await add_member(sessions, parent, clerk)  # a plain member of the parent knows, not answers
    assert_problem(await client.post(accept, headers=bearer(app, clerk)), 403, "FORBIDDEN")
    assert_problem(
        await client.get(f"{ORGS}/{parent.id}/subsidiary-claims", headers=headers),
        403,
        "FORBIDDEN",
    )

    declined = await client.post(decline, headers=owner)
    assert declined.status_code == 200, declined.text
    assert (declined.json()["parent_org_id"], declined.json()["pending_parent_org_id"]) == (
        None,
        None,
    )
    assert_problem(await client.post(accept, headers=owner), 404, "NOT_FOUND")

    again = await client.patch(
        f"{ORGS}/{org.id}", json={"parent_org_id": str(parent.id)}, headers=headers
    )
    assert again.json()["pending_parent_org_id"] == str(parent.id)
    withdrawn = await client.post(f"{ORGS}/{org.id}/parent-claim/withdraw", headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["pending_parent_org_id"] is None
    assert_problem(
        await client.post(f"{ORGS}/{org.id}/parent-claim/withdraw", headers=headers),
        409,
        "CONFLICT",
    )

    child = actions(await history(client, org.id, admin_headers))
    assert child[-4:] == [
        "organization.update",
        "organization.parent_claim.decline",
        "organization.update",
        "organization.parent_claim.withdraw",
    ]
    mother = actions(await history(client, parent.id, admin_headers))
    assert mother[-4:] == [
        "organization.subsidiary_claim.receive",
        "organization.subsidiary_claim.decline",
        "organization.subsidiary_claim.receive",
        "organization.subsidiary_claim.withdraw",
    ]


async def test_the_department_or_the_parents_manager_sets_a_parent_at_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    org: Organization,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    by_admin = await client.patch(
        f"{ORGS}/{org.id}", json={"parent_org_id": str(parent.id)}, headers=admin_headers
    )
    assert (by_admin.json()["parent_org_id"], by_admin.json()["pending_parent_org_id"]) == (
        str(parent.id),
        None,
    )
    assert actions(await history(client, parent.id, admin_headers))[-1] == (
        "organization.subsidiary.attach"
    )
    # Someone who manages both organisations consents by naming the parent.
    await add_member(sessions, org, parent_manager, role="manager")
    detached = await client.patch(
        f"{ORGS}/{org.id}", json={"parent_org_id": None}, headers=bearer(app, parent_manager)
    )
    assert detached.json()["parent_org_id"] is None
    assert actions(await history(client, parent.id, admin_headers))[-1] == (
        "organization.subsidiary.detach"
    )
    reattached = await client.patch(
        f"{ORGS}/{org.id}",
        json={"parent_org_id": str(parent.id)},
        headers=bearer(app, parent_manager),
    )
    assert reattached.json()["parent_org_id"] == str(parent.id)


async def test_a_cycle_closed_while_a_claim_waits_is_refused_on_accepting(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: User,
    org: Organization,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    claimed = await client.patch(
        f"{ORGS}/{org.id}", json={"parent_org_id": str(parent.id)}, headers=bearer(app, manager)
    )
    assert claimed.json()["pending_parent_org_id"] == str(parent.id)
    moved = await client.patch(
        f"{ORGS}/{parent.id}", json={"parent_org_id": str(org.id)}, headers=admin_headers
    )
    assert moved.status_code == 200
    refused = await client.post(
        f"{ORGS}/{parent.id}/subsidiary-claims/{org.id}/accept",
        headers=bearer(app, parent_manager),
    )
    assert_problem(refused, 409, "CONFLICT")
    # And naming a subsidiary as the parent is refused at once, claim or not.
    assert_problem(
        await client.patch(
            f"{ORGS}/{org.id}", json={"parent_org_id": str(parent.id)}, headers=bearer(app, manager)
        ),
        409,
        "CONFLICT",
    )


async def test_two_concurrent_accepts_of_one_claim_give_one_success_and_one_409(
    app: FastAPI,
    client_for: ClientFor,
    client: httpx.AsyncClient,
    sessions: Sessions,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    claimant = await create_organization(
        sessions, pending_parent_org_id=parent.id, parent_claimed_at=datetime.now(UTC)
    )
    headers = bearer(app, parent_manager)

    async def accept() -> httpx.Response:
        async with client_for(app) as http:
            return await http.post(
                f"{ORGS}/{parent.id}/subsidiary-claims/{claimant.id}/accept", headers=headers
            )

    responses = await asyncio.gather(accept(), accept())
    assert sorted(r.status_code for r in responses) == [200, 409]
    (refused,) = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "CONFLICT"
    accepted = actions(await history(client, parent.id, admin_headers))
    assert accepted.count("organization.subsidiary_claim.accept") == 1
    assert actions(await history(client, claimant.id, admin_headers)) == [
        "organization.parent_claim.accept"
    ]


# --------------------------------------------------------------------------------------------
# Identity and ownership changes unverify


async def verified_org(
    client: httpx.AsyncClient, headers: Headers, admin_headers: Headers, **fields: Any
) -> dict[str, Any]:
    created = await client.post(ORGS, json=new_org(high_tech=True, **fields), headers=headers)
    assert created.status_code == 201, created.text
    verified = await client.post(
        f"{ORGS}/{created.json()['id']}/verify", json={}, headers=admin_headers
    )
    body: dict[str, Any] = verified.json()
    assert body["verification"]["verified"] is True
    assert body["verification"]["verified_flags"] == ALL_FLAGS
    return body


@pytest.mark.parametrize(
    "change",
    [{"type": "university"}, {"name": "改名后的单位"}, {"uscc": "new"}],
    ids=["type", "name", "uscc"],
)
async def test_a_verified_organisation_changing_its_identity_is_unverified(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: User,
    admin: User,
    admin_headers: Headers,
    change: dict[str, str],
) -> None:
    headers = bearer(app, manager)
    before = await verified_org(client, headers, admin_headers)
    change = {k: valid_uscc() if v == "new" else v for k, v in change.items()}
    edited = await client.patch(f"{ORGS}/{before['id']}", json=change, headers=headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["verification"] == {
        "verified": False,
        "verified_flags": [],
        "verified_at": None,
        "verified_by": None,
    }
    entry = (await history(client, before["id"], admin_headers))[-1]
    assert entry["action"] == "organization.update"
    assert entry["changes"]["verified"] == {"old": True, "new": False}
    assert entry["changes"]["verified_flags"] == {"old": ALL_FLAGS, "new": []}
    assert entry["changes"]["verified_by"] == {"old": str(admin.id), "new": None}
    for name, value in change.items():
        assert entry["changes"][name]["new"] == value


async def test_a_verified_organisation_changing_its_parent_is_unverified(
    app: FastAPI,
    client: httpx.AsyncClient,
    manager: User,
    parent: Organization,
    parent_manager: User,
    admin_headers: Headers,
) -> None:
    headers = bearer(app, manager)
    before = await verified_org(client, headers, admin_headers)
    url = f"{ORGS}/{before['id']}"

    claimed = await client.patch(url, json={"parent_org_id": str(parent.id)}, headers=headers)
    assert claimed.json()["verification"]["verified"] is True, "a claim is no change yet"
    accepted = await client.post(
        f"{ORGS}/{parent.id}/subsidiary-claims/{before['id']}/accept",
        headers=bearer(app, parent_manager),
    )
    assert accepted.json()["parent_org_id"] == str(parent.id)
    assert accepted.json()["verification"]["verified"] is False
    assert accepted.json()["verification"]["verified_flags"] == []
    entry = (await history(client, before["id"], admin_headers))[-1]
    assert entry["action"] == "organization.parent_claim.accept"
    assert entry["changes"]["parent_org_id"] == {"old": None, "new": str(parent.id)}
    assert entry["changes"]["verified"] == {"old": True, "new": False}
    assert entry["changes"]["verified_flags"] == {"old": ALL_FLAGS, "new": []}

    # Clearing the parent needs nobody's consent, and unverifies too.
    reverified = await client.post(f"{url}/verify", json={}, headers=admin_headers)
    assert reverified.json()["verification"]["verified"] is True
    cleared = await client.patch(url, json={"parent_org_id": None}, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json()["parent_org_id"] is None
    assert cleared.json()["verification"]["verified"] is False
    assert cleared.json()["verification"]["verified_flags"] == []
    entry = (await history(client, before["id"], admin_headers))[-1]
    assert entry["changes"]["parent_org_id"] == {"old": str(parent.id), "new": None}
    assert entry["changes"]["verified"] == {"old": True, "new": False}


async def test_a_flag_or_a_same_value_change_keeps_the_organisations_verification(
    app: FastAPI, client: httpx.AsyncClient, manager: User, admin_headers: Headers
) -> None:
    headers = bearer(app, manager)
    before = await verified_org(client, headers, admin_headers)
    edited = await client.patch(
        f"{ORGS}/{before['id']}",
        json={"high_tech": False, "type": before["type"], "parent_org_id": None},
        headers=headers,
    )
    assert edited.json()["verification"]["verified"] is True
    assert edited.json()["verification"]["verified_flags"] == [
        f for f in ALL_FLAGS if f != "high_tech"
    ]
