"""No fact leaks to a caller who may not read it: an eligibility dry run tells a stranger that
another organisation fails a rule, never why; an organisation's members read its history
without the department's credit file on it."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi import FastAPI

from factories import (
    Sessions,
    bearer,
    create_credit_record,
    create_organization,
    create_published_listing,
    create_user,
)

CHECK = "/api/v1/eligibility/check"
EN = {"Accept-Language": "en"}
WITHHELD_EN = (
    "This organisation does not meet this rule (details are shown only to its members and "
    "the department)."
)


async def test_a_dry_run_tells_a_stranger_only_that_another_unit_fails(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    proposer = await create_organization(sessions)
    listing = await create_published_listing(sessions, proposer)
    lead_user, other_user = await create_user(sessions), await create_user(sessions)
    lead = await create_organization(sessions, manager=lead_user, type="university", verified=True)
    other = await create_organization(
        sessions, manager=other_user, type="university", verified=True
    )
    await create_credit_record(sessions, other, starts_on=date(2020, 1, 1))
    check = {"listing_id": str(listing.id), "lead_org_id": str(lead.id)}

    as_stranger = await client.post(
        CHECK,
        json={**check, "member_org_ids": [str(other.id)]},
        headers=bearer(app, lead_user) | EN,
    )
    assert as_stranger.status_code == 200, as_stranger.text
    report = as_stranger.json()
    assert report["eligible"] is False
    assert [(v["rule"], v["article"], v["org_id"]) for v in report["violations"]] == [
        ("R-ELIG-NO-DISHONESTY", "第十五条", str(other.id))
    ]
    assert report["violations"][0]["message"] == WITHHELD_EN
    assert "record" not in as_stranger.text
    assert "失信" not in as_stranger.text
    assert all(f["org_id"] != str(other.id) for f in report["warnings"] + report["priorities"])

    as_member = await client.post(
        CHECK,
        json={"listing_id": str(listing.id), "lead_org_id": str(other.id), "member_org_ids": []},
        headers=bearer(app, other_user) | EN,
    )
    (finding,) = as_member.json()["violations"]
    assert finding["rule"] == "R-ELIG-NO-DISHONESTY"
    assert finding["message"] != WITHHELD_EN
    assert "dishonesty" in finding["message"]


async def test_members_read_their_history_without_the_credit_file(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> None:
    manager = await create_user(sessions)
    org = await create_organization(sessions, manager=manager)
    await client.patch(
        f"/api/v1/organizations/{org.id}",
        json={"name": "改名后的单位"},
        headers=bearer(app, manager),
    )
    record = {
        "kind": "serious_dishonesty",
        "starts_on": "2026-01-01",
        "source": "信用中国（内蒙古）",
        "note": "内部备注：不得外传",
    }
    url = f"/api/v1/organizations/{org.id}"
    assert (
        await client.post(f"{url}/credit-records", json=record, headers=admin_headers)
    ).status_code == 201

    seen_by_member = await client.get(f"{url}/history", headers=bearer(app, manager))
    seen_by_admin = await client.get(f"{url}/history", headers=admin_headers)

    assert seen_by_member.status_code == 200
    member_actions = [e["action"] for e in seen_by_member.json()["items"]]
    admin_actions = [e["action"] for e in seen_by_admin.json()["items"]]
    assert "organization.credit_record.add" in admin_actions
    assert "organization.credit_record.add" not in member_actions
    assert "organization.update" in member_actions
    assert "不得外传" not in seen_by_member.text
    assert "不得外传" in seen_by_admin.text
