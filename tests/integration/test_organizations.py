"""Organisations through the API, and the ownership tree on both databases."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factories import (
    Sessions,
    add_member,
    bearer,
    create_credit_record,
    create_organization,
    create_user,
    unique,
    valid_uscc,
)
from jiebang_api.models import Organization, User
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.organizations import service as organizations_service

ORGS = "/api/v1/organizations"


def new_org(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("内蒙古测试"), "uscc": valid_uscc(), "type": "enterprise", **overrides}


@pytest.fixture
async def user(sessions: Sessions) -> User:
    return await create_user(sessions)


@pytest.fixture
def headers(app: FastAPI, user: User) -> dict[str, str]:
    return bearer(app, user)


async def test_registering_makes_the_caller_manager(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(ORGS, json=new_org(high_tech=True), headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["in_region"] is True
    assert body["region_code"] == "150000"
    assert body["verification"] == {
        "verified": False,
        "verified_flags": [],
        "verified_at": None,
        "verified_by": None,
    }
    assert response.headers["ETag"] == '"1"'
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert {
        "organization_id": body["id"],
        "organization_name": body["name"],
        "role": "manager",
    } in me["memberships"]
    assert "org_member" in me["roles"]


async def test_an_out_of_region_code_is_accepted_but_not_in_region(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(ORGS, json=new_org(uscc=valid_uscc("110000")), headers=headers)
    assert response.status_code == 201
    assert response.json()["in_region"] is False


@pytest.mark.parametrize(
    "bad",
    [
        "91150000MA0N123407",  # check digit
        "91150000MA0N12340",  # 17 characters
        "91150000MA0N1234O6",  # O is not in the alphabet
    ],
)
async def test_invalid_uscc_is_422_citing_the_rule(
    client: httpx.AsyncClient, headers: dict[str, str], bad: str
) -> None:
    response = await client.post(ORGS, json=new_org(uscc=bad), headers=headers)
    assert response.status_code == 422
    (violation,) = response.json()["violations"]
    assert violation["rule"] == "R-ORG-USCC"
    assert violation["field"] == "body.uscc"


async def test_duplicate_uscc_is_409(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    body = new_org()
    assert (await client.post(ORGS, json=body, headers=headers)).status_code == 201
    again = await client.post(ORGS, json={**body, "name": "另一个名字"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_a_client_cannot_set_what_it_may_not(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for field, value in [("verified", True), ("version", 9), ("id", "0" * 32), ("in_region", True)]:
        response = await client.post(ORGS, json={**new_org(), field: value}, headers=headers)
        assert response.status_code == 422, field


async def test_editing_a_flag_unverifies_it_and_if_match_is_honoured(
    client: httpx.AsyncClient, headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    created = (await client.post(ORGS, json=new_org(high_tech=True), headers=headers)).json()
    url = f"{ORGS}/{created['id']}"
    verified = await client.post(f"{url}/verify", json={}, headers=admin_headers)
    assert verified.json()["verification"]["verified"] is True
    assert "high_tech" in verified.json()["verification"]["verified_flags"]

    stale = await client.patch(
        url, json={"high_tech": False}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "VERSION_CONFLICT"

    etag = verified.headers["ETag"]
    edited = await client.patch(
        url, json={"high_tech": False}, headers={**headers, "If-Match": etag}
    )
    assert edited.status_code == 200
    flags = edited.json()["verification"]["verified_flags"]
    assert "high_tech" not in flags
    assert "pays_tax_in_region" in flags
    assert edited.json()["verification"]["verified"] is True

    renamed = await client.patch(url, json={"name": unique("新名")}, headers=headers)
    assert renamed.json()["verification"]["verified"] is False


async def test_verifying_some_flags_only(
    client: httpx.AsyncClient, headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    created = (await client.post(ORGS, json=new_org(), headers=headers)).json()
    response = await client.post(
        f"{ORGS}/{created['id']}/verify", json={"flags": ["partner_4_8_n"]}, headers=admin_headers
    )
    assert response.json()["verification"]["verified_flags"] == ["partner_4_8_n"]
    assert response.json()["verification"]["verified"] is False


async def test_large_and_influential_is_self_declared_until_verified(
    client: httpx.AsyncClient, headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """第五条（一）"有较大影响和规模的企业": a fact of the organisation, like the other flags."""
    created = (
        await client.post(ORGS, json=new_org(large_influential=True), headers=headers)
    ).json()
    assert created["large_influential"] is True
    assert "large_influential" not in created["verification"]["verified_flags"]
    url = f"{ORGS}/{created['id']}"
    verified = await client.post(
        f"{url}/verify", json={"flags": ["large_influential"]}, headers=admin_headers
    )
    assert verified.json()["verification"]["verified_flags"] == ["large_influential"]
    edited = await client.patch(url, json={"large_influential": False}, headers=headers)
    assert edited.json()["large_influential"] is False
    assert edited.json()["verification"]["verified_flags"] == []


async def test_technology_based_is_a_flag_of_its_own_verified_by_the_department(
    client: httpx.AsyncClient, headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """第四条（一）（二）"科技型企业": declared by the organisation, verified by the department,
    apart from high-tech (高新技术企业, the narrower status)."""
    created = (await client.post(ORGS, json=new_org(tech_based=True), headers=headers)).json()
    assert (created["tech_based"], created["high_tech"]) == (True, False)
    assert created["verification"]["verified_flags"] == []
    url = f"{ORGS}/{created['id']}"
    verified = await client.post(
        f"{url}/verify", json={"flags": ["tech_based"]}, headers=admin_headers
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["verification"]["verified_flags"] == ["tech_based"]
    edited = await client.patch(url, json={"tech_based": False}, headers=headers)
    assert edited.json()["tech_based"] is False
    assert edited.json()["verification"]["verified_flags"] == []
    history = (await client.get(f"{url}/history", headers=headers)).json()["items"]
    assert history[-1]["changes"]["tech_based"] == {"old": True, "new": False}
    refused = await client.post(ORGS, json=new_org(tech_based="yes"), headers=headers)
    assert refused.status_code == 422


async def test_history_shows_every_change_with_actor(
    client: httpx.AsyncClient, headers: dict[str, str], user: User
) -> None:
    created = (await client.post(ORGS, json=new_org(), headers=headers)).json()
    await client.patch(f"{ORGS}/{created['id']}", json={"high_tech": True}, headers=headers)
    history = (await client.get(f"{ORGS}/{created['id']}/history", headers=headers)).json()
    assert [e["action"] for e in history["items"]] == ["organization.create", "organization.update"]
    assert {e["actor_id"] for e in history["items"]} == {str(user.id)}
    assert history["items"][1]["changes"] == {"high_tech": {"old": False, "new": True}}


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, headers: dict[str, str], sessions: Sessions
) -> None:
    marker = unique("翻页")
    for n in range(5):
        await create_organization(sessions, name=f"{marker}-{n}", type="university")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": marker, "type": "university", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(ORGS, params=params, headers=headers)).json()
        seen += [o["name"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"{marker}-{n}" for n in range(5)]
    none = await client.get(ORGS, params={"q": marker, "type": "enterprise"}, headers=headers)
    assert none.json()["items"] == []


async def test_a_damaged_cursor_is_422(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(ORGS, params={"cursor": "not-a-cursor"}, headers=headers)
    assert response.status_code == 422


async def test_members_are_managed_by_the_manager(
    client: httpx.AsyncClient, headers: dict[str, str], sessions: Sessions, user: User
) -> None:
    created = (await client.post(ORGS, json=new_org(), headers=headers)).json()
    url = f"{ORGS}/{created['id']}/members"
    colleague = await create_user(sessions)
    added = await client.post(url, json={"username": colleague.username}, headers=headers)
    assert added.status_code == 201
    assert (added.json()["role"], added.json()["status"]) == ("member", "invited")
    again = await client.post(url, json={"username": colleague.username}, headers=headers)
    assert again.status_code == 409
    unknown = await client.post(url, json={"username": unique("nobody")}, headers=headers)
    assert unknown.status_code == 422
    names = [m["username"] for m in (await client.get(url, headers=headers)).json()["items"]]
    assert sorted(names) == sorted([user.username, colleague.username])

    last_manager = await client.delete(f"{url}/{user.id}", headers=headers)
    assert last_manager.status_code == 409
    removed = await client.delete(f"{url}/{colleague.id}", headers=headers)
    assert removed.status_code == 204
    gone = await client.delete(f"{url}/{colleague.id}", headers=headers)
    assert gone.status_code == 404


async def test_credit_records_and_active_dishonesty(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    org = await create_organization(sessions)
    url = f"{ORGS}/{org.id}/credit-records"
    record = {
        "kind": "serious_dishonesty",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "source": "信用中国（内蒙古）",
    }
    assert (await client.post(url, json=record, headers=admin_headers)).status_code == 201
    backwards = {**record, "starts_on": "2027-01-01"}
    assert (await client.post(url, json=backwards, headers=admin_headers)).status_code == 422
    listed = (await client.get(url, headers=admin_headers)).json()["items"]
    assert [(r["starts_on"], r["ends_on"]) for r in listed] == [("2026-01-01", "2026-12-31")]
    async with sessions() as session:
        assert await organizations_service.has_active_dishonesty(
            session, org.id, date(2026, 12, 31)
        )
        assert not await organizations_service.has_active_dishonesty(
            session, org.id, date(2027, 1, 1)
        )
        assert not await organizations_service.has_active_dishonesty(
            session, org.id, date(2025, 12, 31)
        )


async def build_chain(sessions: Sessions, depth: int) -> list[Organization]:
    """root → child → … → leaf, `depth` organisations deep."""
    chain = [await create_organization(sessions)]
    for _ in range(depth - 1):
        chain.append(await create_organization(sessions, parent_org_id=chain[-1].id))
    return chain


async def test_ancestors_and_descendants_of_a_deep_tree(sessions: Sessions) -> None:
    chain = await build_chain(sessions, 5)
    sibling = await create_organization(sessions, parent_org_id=chain[1].id)
    stranger = await create_organization(sessions)
    async with sessions() as session:
        assert await organizations_repository.ancestors(session, chain[4].id) == [
            o.id for o in reversed(chain[:4])
        ]
        assert await organizations_repository.ancestors(session, chain[0].id) == []
        below_root = await organizations_repository.descendants(session, chain[0].id)
        assert set(below_root) == {o.id for o in chain[1:]} | {sibling.id}
        assert below_root[:1] == [chain[1].id], "nearest first"
        assert await organizations_repository.descendants(session, chain[4].id) == []
        assert stranger.id not in below_root


async def test_a_cycle_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    chain = await build_chain(sessions, 4)
    for parent in (chain[0], chain[2], chain[3]):  # itself, a grandchild, a leaf
        response = await client.patch(
            f"{ORGS}/{chain[0].id}",
            json={"parent_org_id": str(parent.id)},
            headers=admin_headers,
        )
        assert response.status_code == 409, parent
    moved = await client.patch(
        f"{ORGS}/{chain[3].id}", json={"parent_org_id": str(chain[0].id)}, headers=admin_headers
    )
    assert moved.status_code == 200
    detached = await client.patch(
        f"{ORGS}/{chain[3].id}", json={"parent_org_id": None}, headers=admin_headers
    )
    assert detached.json()["parent_org_id"] is None


async def test_an_unknown_parent_is_422(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(
        ORGS, json=new_org(parent_org_id="00000000-0000-4000-8000-000000000000"), headers=headers
    )
    assert response.status_code == 422


async def test_members_of_other_organisations_cannot_edit(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    owner, outsider = await create_user(sessions), await create_user(sessions)
    org = await create_organization(sessions, manager=owner)
    plain = await create_user(sessions)
    await add_member(sessions, org, plain)
    await create_credit_record(sessions, org)
    url = f"{ORGS}/{org.id}"
    for who, status in [(outsider, 403), (plain, 403), (owner, 200)]:
        response = await client.patch(url, json={"high_tech": True}, headers=bearer(app, who))
        assert response.status_code == status, who.username


async def test_concurrent_moves_cannot_close_a_cycle(
    app: FastAPI, client_for: Any, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    """A under B and B under A at the same time: one wins, the other sees the cycle."""
    first, second = await create_organization(sessions), await create_organization(sessions)

    async def move(child: Organization, parent: Organization) -> int:
        async with client_for(app) as http:
            response = await http.patch(
                f"{ORGS}/{child.id}", json={"parent_org_id": str(parent.id)}, headers=admin_headers
            )
            return response.status_code

    statuses = await asyncio.gather(move(first, second), move(second, first))
    assert sorted(statuses) == [200, 409]
    async with sessions() as session:
        assert await organizations_repository.descendants(session, first.id) in (
            [],
            [second.id],
        )
