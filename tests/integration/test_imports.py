"""Imports from the plan management system (Art. 9 (1), (4)): `PUT /api/v1/integration/…`
by its service client, on behalf of the organisation each names, through the direct API's
use cases. Each import is idempotent (the same body again: 200, nothing changes), arrives
`submitted` or leaves nothing behind, and shows its `external_ref` on the record."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from factories import (
    VERIFIED,
    VERIFIED_FLAGS,
    Sessions,
    application_body,
    bearer,
    create_credit_record,
    create_organization,
    create_published_listing,
    create_service_client,
    create_user,
    listing_body,
    valid_uscc,
)
from jiebang_api.models import Application, AuditEntry, Listing, Membership

BASE = "/api/v1/integration"
ORGANIZATION: dict[str, Any] = {
    "name": "内蒙古某某稀土新材料有限公司",
    "type": "enterprise",
    "independent_legal_person": True,
    "high_tech": True,
    "pays_tax_in_region": True,
}


@pytest.fixture
async def plan_system(app: FastAPI, sessions: Sessions) -> dict[str, str]:
    """The plan management system's service client (role `integration`)."""
    return bearer(app, await create_service_client(sessions))


def ref() -> str:
    return f"PLAN-{uuid.uuid4().hex[:12]}"


async def entries(sessions: Sessions, resource_id: str) -> list[AuditEntry]:
    async with sessions() as session:
        statement = (
            select(AuditEntry)
            .where(AuditEntry.resource_id == resource_id)
            .order_by(AuditEntry.resource_seq)
        )
        return list((await session.scalars(statement)).all())


# Organisations ------------------------------------------------------------------------------


async def test_an_organisation_is_registered_once_and_brought_up_to_date(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    code = valid_uscc()
    url = f"{BASE}/organizations/{code}"
    created = await client.put(url, json=ORGANIZATION, headers=plan_system)
    assert created.status_code == 201, created.text
    org = created.json()
    assert created.headers["Location"] == f"/api/v1/organizations/{org['id']}"
    assert (org["uscc"], org["name"], org["in_region"]) == (code, ORGANIZATION["name"], True)
    assert org["verification"]["verified"] is False  # the department verifies, as ever

    again = await client.put(url, json=ORGANIZATION, headers=plan_system)
    assert again.status_code == 200
    assert again.json()["id"] == org["id"]
    assert again.json()["version"] == org["version"]
    history = await entries(sessions, org["id"])
    assert [e.action for e in history] == ["organization.create"]
    assert history[0].actor_type == "service"
    assert history[0].data == {"imported": True}
    async with sessions() as session:
        members = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == uuid.UUID(org["id"]))
        )
    assert members == 0  # no member yet: the department adds its people

    renamed = await client.put(
        url, json={**ORGANIZATION, "name": "内蒙古某某新材料股份有限公司"}, headers=plan_system
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "内蒙古某某新材料股份有限公司"
    assert renamed.json()["version"] == org["version"] + 1
    assert [e.action for e in await entries(sessions, org["id"])] == [
        "organization.create",
        "organization.update",
    ]


async def test_a_verified_organisation_loses_the_verification_of_a_changed_flag(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    org = await create_organization(sessions, name="某某公司", **VERIFIED)
    facts = {"name": "某某公司", "type": "enterprise", **dict.fromkeys(VERIFIED_FLAGS, True)}
    same = await client.put(f"{BASE}/organizations/{org.uscc}", json=facts, headers=plan_system)
    assert same.status_code == 200
    assert sorted(same.json()["verification"]["verified_flags"]) == sorted(VERIFIED_FLAGS)
    assert same.json()["version"] == org.version  # the same facts: nothing changed

    changed = {**facts, "high_tech": False}
    moved = await client.put(f"{BASE}/organizations/{org.uscc}", json=changed, headers=plan_system)
    assert moved.status_code == 200
    assert sorted(moved.json()["verification"]["verified_flags"]) == sorted(
        set(VERIFIED_FLAGS) - {"high_tech"}
    )


async def test_a_parent_named_by_an_import_is_only_a_claim(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    parent = await create_organization(sessions)
    body = {**ORGANIZATION, "parent_org_id": str(parent.id)}
    url = f"{BASE}/organizations/{valid_uscc()}"
    created = await client.put(url, json=body, headers=plan_system)
    assert created.status_code == 201
    assert created.json()["parent_org_id"] is None
    assert created.json()["pending_parent_org_id"] == str(parent.id)
    again = await client.put(url, json=body, headers=plan_system)
    assert again.status_code == 200
    assert again.json()["version"] == created.json()["version"]  # the claim stands as it was
    dropped = await client.put(url, json=ORGANIZATION, headers=plan_system)
    assert dropped.status_code == 200
    assert (dropped.json()["parent_org_id"], dropped.json()["pending_parent_org_id"]) == (
        None,
        None,
    )


async def test_a_credit_code_with_a_wrong_check_digit_is_refused_citing_the_rule(
    client: httpx.AsyncClient, plan_system: dict[str, str]
) -> None:
    code = valid_uscc()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    refused = await client.put(
        f"{BASE}/organizations/{wrong}", json=ORGANIZATION, headers=plan_system
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "RULE_VIOLATION"
    assert [v["rule"] for v in problem["violations"]] == ["R-ORG-USCC"]


async def test_only_the_plan_systems_clients_import(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessions: Sessions,
    admin_headers: dict[str, str],
) -> None:
    manager = await create_user(sessions)
    org = await create_organization(sessions, manager=manager, **VERIFIED)
    listing = listing_body(org)
    for headers in (admin_headers, bearer(app, manager)):
        for url, body in (
            (f"{BASE}/organizations/{valid_uscc()}", ORGANIZATION),
            (f"{BASE}/listings/{ref()}", listing),
        ):
            refused = await client.put(url, json=body, headers=headers)
            assert refused.status_code == 403, url
            assert refused.json()["code"] == "FORBIDDEN"
    anonymous = await client.put(f"{BASE}/listings/{ref()}", json=listing)
    assert anonymous.status_code == 401


# Listings -----------------------------------------------------------------------------------


async def test_a_listing_arrives_submitted_once_and_shows_its_reference(
    client: httpx.AsyncClient,
    sessions: Sessions,
    plan_system: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    external_ref = ref()
    url = f"{BASE}/listings/{external_ref}"
    body = listing_body(proposer)
    created = await client.put(url, json=body, headers=plan_system)
    assert created.status_code == 201, created.text
    listing = created.json()
    assert listing["status"] == "submitted"
    assert listing["external_ref"] == external_ref
    assert listing["code"].startswith("JB-")
    read = await client.get(f"/api/v1/listings/{listing['id']}", headers=admin_headers)
    assert read.json()["external_ref"] == external_ref
    history = await entries(sessions, listing["id"])
    assert [(e.action, e.actor_type) for e in history] == [
        ("listing.create", "service"),
        ("listing.submit", "service"),
    ]

    again = await client.put(url, json=body, headers=plan_system)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["version"]) == (listing["id"], listing["version"])
    assert len(await entries(sessions, listing["id"])) == 2

    changed = await client.put(url, json={**body, "title": "另一标题"}, headers=plan_system)
    assert changed.status_code == 409
    assert changed.json()["code"] == "CONFLICT"
    assert changed.json()["current_state"] == "submitted"


async def test_a_listing_returned_for_revision_takes_the_revised_body(
    client: httpx.AsyncClient,
    sessions: Sessions,
    plan_system: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    url = f"{BASE}/listings/{ref()}"
    body = listing_body(proposer)
    listing = (await client.put(url, json=body, headers=plan_system)).json()
    returned = await client.post(
        f"/api/v1/listings/{listing['id']}/return",
        json={"reason": "请补充技术指标。"},
        headers=admin_headers,
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"

    revised = await client.put(url, json={**body, "title": "修订后的标题"}, headers=plan_system)
    assert revised.status_code == 200, revised.text
    assert (revised.json()["status"], revised.json()["title"]) == ("submitted", "修订后的标题")
    assert revised.json()["id"] == listing["id"]
    actions = [e.action for e in await entries(sessions, listing["id"])]
    assert actions[-2:] == ["listing.update", "listing.submit"]

    moved = await client.put(
        url, json={**body, "kind": "achievement_transfer"}, headers=plan_system
    )
    assert moved.status_code == 409


async def test_an_incomplete_listing_is_refused_citing_the_rule_and_nothing_is_kept(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    external_ref = ref()
    url = f"{BASE}/listings/{external_ref}"
    body = listing_body(proposer)
    # Art. 9 (1): a listing states what the demand side provides.
    incomplete = {k: v for k, v in body.items() if k != "demand_requirements"}
    refused = await client.put(url, json=incomplete, headers=plan_system)
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert {(v["rule"], v["field"]) for v in refused.json()["violations"]} == {
        ("R-LIST-FIELDS", "listing.demand_requirements")
    }
    async with sessions() as session:
        kept = await session.scalar(select(Listing).where(Listing.external_ref == external_ref))
    assert kept is None

    # Art. 16: 36 months in principle for a technology breakthrough: longer is a warning.
    fixed = await client.put(url, json={**body, "time_requirement_months": 48}, headers=plan_system)
    assert fixed.status_code == 201
    assert fixed.json()["status"] == "submitted"
    assert [w["rule"] for w in fixed.json()["eligibility_warnings"]] == ["R-TIME-TB-36M"]


async def test_a_dishonest_proposer_cannot_import_a_listing(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    await create_credit_record(sessions, proposer)
    body = listing_body(proposer)
    refused = await client.put(f"{BASE}/listings/{ref()}", json=body, headers=plan_system)
    assert refused.status_code == 422
    assert "R-ELIG-NO-DISHONESTY" in {v["rule"] for v in refused.json()["violations"]}


async def test_concurrent_imports_of_one_reference_make_one_listing(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    external_ref = ref()
    body = listing_body(proposer)
    answers = await asyncio.gather(
        *(
            client.put(f"{BASE}/listings/{external_ref}", json=body, headers=plan_system)
            for _ in range(8)
        )
    )
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    async with sessions() as session:
        made = await session.scalar(
            select(func.count()).select_from(Listing).where(Listing.external_ref == external_ref)
        )
    assert made == 1


# Applications -------------------------------------------------------------------------------


async def _published(sessions: Sessions) -> Listing:
    proposer = await create_organization(sessions, **VERIFIED)
    return await create_published_listing(sessions, proposer)


async def test_an_application_arrives_submitted_after_eligibility(
    client: httpx.AsyncClient,
    sessions: Sessions,
    plan_system: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    listing = await _published(sessions)
    lead = await create_organization(sessions, type="university", **VERIFIED)
    external_ref = ref()
    url = f"{BASE}/applications/{external_ref}"
    body = {**application_body(lead), "listing_id": str(listing.id)}
    created = await client.put(url, json=body, headers=plan_system)
    assert created.status_code == 201, created.text
    app = created.json()
    assert (app["status"], app["external_ref"]) == ("submitted", external_ref)
    assert app["eligibility_report"]["eligible"] is True
    assert created.headers["Location"] == f"/api/v1/applications/{app['id']}"
    read = await client.get(f"/api/v1/applications/{app['id']}", headers=admin_headers)
    assert read.json()["external_ref"] == external_ref

    again = await client.put(url, json=body, headers=plan_system)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["version"]) == (app["id"], app["version"])
    changed = await client.put(
        url, json={**body, "declarations": {"has_transfer_team": False}}, headers=plan_system
    )
    assert changed.status_code == 409
    assert changed.json()["current_state"] == "submitted"


async def test_a_consortium_asserted_by_the_plan_system_counts_as_accepted_on_record(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    listing = await _published(sessions)
    lead = await create_organization(sessions, type="university", **VERIFIED)
    member = await create_organization(sessions, type="research_institute", **VERIFIED)
    members = [{"org_id": str(member.id), "role": "技术合作方", "budget_share": "30"}]
    body = {
        **application_body(lead, lead_budget_share="70", members=members),
        "listing_id": str(listing.id),
    }
    url = f"{BASE}/applications/{ref()}"
    unasserted = await client.put(url, json=body, headers=plan_system)
    assert unasserted.status_code == 409
    assert unasserted.json()["code"] == "MEMBERS_NOT_ACCEPTED"
    assert [v["rule"] for v in unasserted.json()["violations"]] == ["R-APP-MEMBER-CONSENT"]
    async with sessions() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.listing_id == listing.id)
        )
    assert kept == 0  # a refused import keeps nothing

    asserted = await client.put(
        url, json={**body, "consortium_confirmed": True}, headers=plan_system
    )
    assert asserted.status_code == 201, asserted.text
    app = asserted.json()
    assert app["status"] == "submitted"
    (entry,) = app["members"]
    assert entry["consent"] == "accepted"
    history = await entries(sessions, app["id"])
    accepted = [e for e in history if e.action == "application.accept_invitation"]
    assert len(accepted) == 1
    assert accepted[0].actor_type == "service"
    assert "plan management system asserts" in (accepted[0].reason or "")
    assert accepted[0].data["org_id"] == str(member.id)
    assert [e.action for e in history][-1] == "application.submit"


async def test_an_ineligible_application_is_refused_citing_the_rule(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    listing = await _published(sessions)
    # Art. 15: a subsidiary of the proposer may not take up its listing.
    lead = await create_organization(
        sessions, type="university", parent_org_id=listing.proposer_org_id, **VERIFIED
    )
    body = {**application_body(lead), "listing_id": str(listing.id)}
    refused = await client.put(f"{BASE}/applications/{ref()}", json=body, headers=plan_system)
    assert refused.status_code == 422
    assert refused.json()["code"] == "ELIGIBILITY_FAILED"
    assert "R-ELIG-NOT-SUBSIDIARY" in {v["rule"] for v in refused.json()["violations"]}


async def test_an_application_outside_the_window_is_refused(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    proposer = await create_organization(sessions, **VERIFIED)
    listing = await create_published_listing(sessions, proposer, days_open=-1)
    lead = await create_organization(sessions, type="university", **VERIFIED)
    body = {**application_body(lead), "listing_id": str(listing.id)}
    refused = await client.put(f"{BASE}/applications/{ref()}", json=body, headers=plan_system)
    assert refused.status_code == 409
    assert refused.json()["code"] == "WINDOW_CLOSED"
    assert [v["rule"] for v in refused.json()["violations"]] == ["R-LIST-WINDOW"]


async def test_an_application_to_an_unseen_listing_is_404(
    client: httpx.AsyncClient, sessions: Sessions, plan_system: dict[str, str]
) -> None:
    lead = await create_organization(sessions, type="university", **VERIFIED)
    body = {**application_body(lead), "listing_id": str(uuid.uuid4())}
    missing = await client.put(f"{BASE}/applications/{ref()}", json=body, headers=plan_system)
    assert missing.status_code == 404


async def test_an_imported_organisation_is_what_a_listing_import_names(
    client: httpx.AsyncClient, plan_system: dict[str, str]
) -> None:
    """The plan system's order: the organisation first (its answer carries the id), then the
    listing. Its facts are self-declared until the department verifies them: the listing is
    submitted with warnings citing the proposer rules (Art. 5)."""
    org = (
        await client.put(
            f"{BASE}/organizations/{valid_uscc()}", json=ORGANIZATION, headers=plan_system
        )
    ).json()
    body = listing_body(org["id"])
    accepted = await client.put(f"{BASE}/listings/{ref()}", json=body, headers=plan_system)
    assert accepted.status_code == 201, accepted.text
    warned = {w["rule"] for w in accepted.json()["eligibility_warnings"]}
    assert "R-ELIG-TB-PROPOSER" in warned
