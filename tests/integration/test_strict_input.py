"""Strict input at the edge (issue 11): decimals, JSON types, dates, duplicate keys, capped
violations, and authentication before validation."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factories import (
    PASSWORD,
    Sessions,
    application_body,
    bearer,
    create_organization,
    create_published_listing,
    create_user,
)

PROBLEM = "application/problem+json"
TOKEN = "/api/v1/auth/token"
JSON = {"Content-Type": "application/json"}

# Each is refused by every decimal field: Unicode digits (superscript, circled, Arabic-Indic,
# full-width), exponents, the IEEE specials, nothing, spaces, grouping, signs, bare points.
BAD_DECIMALS = [
    "²",
    "⑤",
    "٣",
    "１",
    "1e3",
    "1E3",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "",
    " 1",
    "1 ",
    "1,000",
    "1_000",
    "+1",
    "-1",
    "0x10",
    "1.",
    ".5",
    "1.2.3",
    "٣.٣",
    "1.²",
]

POLICY = {
    "name": "严格输入",
    "effective_on": "2103-01-01",
    "agreement_min_ratio": "0.3",
    "subsidy_max_ratio": "0.3",
    "subsidy_cap": "10000000.00",
    "tech_breakthrough_max_months": 36,
    "achievement_transfer_max_months": 24,
    "publicity_working_days": 5,
}


@dataclass
class Scene:
    member: dict[str, str]
    admin: dict[str, str]
    org_id: str
    partner_id: str
    listing_id: str  # a draft of the member's organisation
    published_id: str  # a published listing the member's organisation may apply to
    application_id: str  # the member's organisation's draft application


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, admin_headers: dict[str, str]
) -> Scene:
    user = await create_user(sessions)
    org = await create_organization(sessions, manager=user, type="university", verified=True)
    partner = await create_organization(sessions, type="enterprise")
    proposer = await create_organization(sessions, type="enterprise")
    published = await create_published_listing(sessions, proposer)
    member = bearer(app, user)
    listing = await client.post(
        "/api/v1/listings",
        json={"kind": "tech_breakthrough", "proposer_org_id": str(org.id), "title": "严格"},
        headers=member,
    )
    assert listing.status_code == 201, listing.text
    application = await client.post(
        f"/api/v1/listings/{published.id}/applications",
        json=application_body(org),
        headers=member,
    )
    assert application.status_code == 201, application.text
    return Scene(
        member=member,
        admin=admin_headers,
        org_id=str(org.id),
        partner_id=str(partner.id),
        listing_id=listing.json()["id"],
        published_id=str(published.id),
        application_id=application.json()["id"],
    )


def violations(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    result: list[dict[str, Any]] = body["violations"]
    return result


def fields(response: httpx.Response) -> set[str]:
    return {v["field"] for v in violations(response)}


@dataclass
class DecimalField:
    """One decimal field of a request: where to send it and the violation's field."""

    method: str
    url: str
    headers: str  # "member" or "admin"
    body: dict[str, Any]
    path: tuple[str | int, ...]  # where the value goes in `body`


def _put(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def decimal_fields(s: Scene) -> list[DecimalField]:
    listing = {"kind": "tech_breakthrough", "proposer_org_id": s.org_id, "title": "严格"}
    members = [{"org_id": s.partner_id, "role": "合作方", "budget_share": "40"}]
    apply = {
        "lead_org_id": s.org_id,
        "lead_budget_share": "60",
        "members": members,
        "plan": {"budget_total": "1.00"},
    }
    app_url = f"/api/v1/applications/{s.application_id}"
    new_app = f"/api/v1/listings/{s.published_id}/applications"
    return [
        DecimalField("POST", "/api/v1/listings", "member", listing, ("total_rd_investment",)),
        DecimalField(
            "PATCH", f"/api/v1/listings/{s.listing_id}", "member", {}, ("total_rd_investment",)
        ),
        DecimalField("POST", new_app, "member", apply, ("lead_budget_share",)),
        DecimalField("POST", new_app, "member", apply, ("members", 0, "budget_share")),
        DecimalField("POST", new_app, "member", apply, ("plan", "budget_total")),
        DecimalField("PATCH", app_url, "member", {}, ("lead_budget_share",)),
        DecimalField(
            "PATCH", app_url, "member", {"members": members}, ("members", 0, "budget_share")
        ),
        DecimalField("PATCH", app_url, "member", {"plan": {}}, ("plan", "budget_total")),
        DecimalField("POST", "/api/v1/policy-versions", "admin", POLICY, ("agreement_min_ratio",)),
        DecimalField("POST", "/api/v1/policy-versions", "admin", POLICY, ("subsidy_max_ratio",)),
        DecimalField("POST", "/api/v1/policy-versions", "admin", POLICY, ("subsidy_cap",)),
    ]


async def test_the_reported_decimals_are_422_not_500(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    patched = await client.patch(
        f"/api/v1/applications/{scene.application_id}",
        json={"lead_budget_share": "²"},
        headers=scene.member,
    )
    assert "body.lead_budget_share" in fields(patched)
    created = await client.post(
        "/api/v1/policy-versions", json={**POLICY, "subsidy_max_ratio": ""}, headers=scene.admin
    )
    assert "body.subsidy_max_ratio" in fields(created)


async def test_every_decimal_field_refuses_what_is_no_ascii_decimal(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    for target in decimal_fields(scene):
        headers = scene.member if target.headers == "member" else scene.admin
        field = "body." + ".".join(str(p) for p in target.path)
        for bad in [*BAD_DECIMALS, 1, 1.5, True, ["1"], {"v": "1"}]:
            response = await client.request(
                target.method, target.url, json=_put(target.body, target.path, bad), headers=headers
            )
            assert response.status_code == 422, (target.url, field, bad, response.text)
            assert field in fields(response), (target.url, field, bad)


async def test_decimals_say_what_they_take_in_both_languages(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    url = f"/api/v1/applications/{scene.application_id}"
    zh = violations(
        await client.patch(url, json={"lead_budget_share": "1e3"}, headers=scene.member)
    )
    en = violations(
        await client.patch(
            url,
            json={"lead_budget_share": "1e3"},
            headers={**scene.member, "Accept-Language": "en"},
        )
    )
    assert zh[0]["field"] == en[0]["field"] == "body.lead_budget_share"
    assert "十进制" in zh[0]["message"]
    assert "100" in zh[0]["message"]
    assert "decimal" in en[0]["message"]
    assert "100" in en[0]["message"]


async def test_valid_decimals_still_pass_and_are_normalised(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    url = f"/api/v1/applications/{scene.application_id}"
    for lead, member, stored in (("100", "0", "100.00"), ("99.5", "0.5", "99.50")):
        share = {"org_id": scene.partner_id, "role": "合作方", "budget_share": member}
        response = await client.patch(
            url, json={"lead_budget_share": lead, "members": [share]}, headers=scene.member
        )
        assert response.status_code == 200, response.text
        assert response.json()["lead_budget_share"] == stored
        assert response.json()["members"][0]["budget_share"] == f"{float(member):.2f}"
    for over in ("100.01", "101", "100.001", "0.001"):
        response = await client.patch(url, json={"lead_budget_share": over}, headers=scene.member)
        assert "body.lead_budget_share" in fields(response)


# --------------------------------------------------------------------------------------------
# Strict JSON types
# --------------------------------------------------------------------------------------------


async def test_numbers_are_json_numbers(client: httpx.AsyncClient, scene: Scene) -> None:
    listing = f"/api/v1/listings/{scene.listing_id}"
    for bad in (True, False, "24", "24.0", 24.5, None):
        response = await client.patch(
            listing, json={"time_requirement_months": bad}, headers=scene.member
        )
        assert fields(response) == {"body.time_requirement_months"}, bad
    ok = await client.patch(listing, json={"time_requirement_months": 24}, headers=scene.member)
    assert ok.status_code == 200
    assert ok.json()["time_requirement_months"] == 24
    created = await client.post(
        "/api/v1/listings",
        json={
            "kind": "tech_breakthrough",
            "proposer_org_id": scene.org_id,
            "title": "布尔",
            "time_requirement_months": True,
        },
        headers=scene.member,
    )
    assert fields(created) == {"body.time_requirement_months"}
    milestones = [{"title": "中试", "due_month": True, "deliverable": "报告"}]
    response = await client.patch(
        f"/api/v1/applications/{scene.application_id}",
        json={"plan": {"milestones": milestones}},
        headers=scene.member,
    )
    assert fields(response) == {"body.plan.milestones.0.due_month"}
    for name in (
        "tech_breakthrough_max_months",
        "achievement_transfer_max_months",
        "publicity_working_days",
    ):
        for bad in ("24", True):
            response = await client.post(
                "/api/v1/policy-versions", json={**POLICY, name: bad}, headers=scene.admin
            )
            assert fields(response) == {f"body.{name}"}, (name, bad)


async def test_booleans_are_json_booleans(client: httpx.AsyncClient, scene: Scene) -> None:
    nowhere = f"/api/v1/listings/{uuid.uuid4()}"
    for bad in (1, 0, "true", "yes"):
        screen = await client.post(f"{nowhere}/screen", json={"passed": bad}, headers=scene.admin)
        assert fields(screen) == {"body.passed"}, bad
        assessment = {"assessor": "张", "conclusion": "support", "layout_fit": bad}
        assessed = await client.post(f"{nowhere}/assessments", json=assessment, headers=scene.admin)
        assert fields(assessed) == {"body.layout_fit"}, bad
        reset = await client.post("/api/v1/sandbox/clock", json={"reset": bad}, headers=scene.admin)
        assert "body.ClockReset.reset" in fields(reset), bad


async def test_dates_are_iso_strings(client: httpx.AsyncClient, scene: Scene) -> None:
    credit = f"/api/v1/organizations/{scene.org_id}/credit-records"
    record = {"kind": "serious_dishonesty", "starts_on": "2026-01-01", "source": "信用中国"}
    for name in ("starts_on", "ends_on"):
        for bad in (0, 1_700_000_000, 0.5, "0", "1700000000", True, "2026-1-1", "２０２６-01-01"):
            response = await client.post(credit, json={**record, name: bad}, headers=scene.admin)
            assert fields(response) == {f"body.{name}"}, (name, bad)
    ok = await client.post(credit, json=record, headers=scene.admin)
    assert ok.status_code == 201, ok.text
    assert ok.json()["starts_on"] == "2026-01-01"
    policy = await client.post(
        "/api/v1/policy-versions", json={**POLICY, "effective_on": 0}, headers=scene.admin
    )
    assert fields(policy) == {"body.effective_on"}
    publish = {"application_opens_at": 0, "application_closes_at": "2027-02-05T17:00:00+08:00"}
    published = await client.post(
        f"/api/v1/listings/{uuid.uuid4()}/publish", json=publish, headers=scene.admin
    )
    assert fields(published) == {"body.application_opens_at"}
    for bad in (0, 1_700_000_000, "1700000000"):
        clock = await client.post(
            "/api/v1/sandbox/clock", json={"set_to": bad}, headers=scene.admin
        )
        assert "body.ClockSet.set_to" in fields(clock), bad


async def test_date_query_parameters_are_iso_strings(client: httpx.AsyncClient) -> None:
    url = "/api/v1/public/listings"
    for name in ("opens_before", "closes_after"):
        # Numbers were read as epoch seconds; a time without its offset answered 500.
        for bad in (
            "0.5",
            "0",
            "1700000000",
            "-1",
            "٢٠٢٧-01-05T09:00:00Z",
            "tomorrow",
            "2027-01-05",
            "2027-01-05T09:00:00",
        ):
            response = await client.get(url, params={name: bad})
            assert fields(response) == {f"query.{name}"}, (name, bad)
        for good in ("2027-01-05T09:00:00+08:00", "2027-01-05T01:00:00Z", "2027-01-05T01:00Z"):
            response = await client.get(url, params={name: good})
            assert response.status_code == 200, (name, good, response.text)
    # A query integer still arrives as text and is read as a number.
    assert (await client.get(url, params={"limit": "24"})).status_code == 200
    assert fields(await client.get(url, params={"limit": "0"})) == {"query.limit"}


# --------------------------------------------------------------------------------------------
# Duplicate keys, JSON that Python reads but JSON does not allow
# --------------------------------------------------------------------------------------------


async def test_duplicate_keys_are_refused_naming_the_key(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    policy = json.dumps(POLICY, ensure_ascii=False)[:-1] + ', "subsidy_max_ratio": "0.9"}'
    response = await client.post(
        "/api/v1/policy-versions", content=policy.encode(), headers={**scene.admin, **JSON}
    )
    [violation] = violations(response)
    assert violation["field"] == "body.subsidy_max_ratio"
    assert "subsidy_max_ratio" in violation["message_en"]
    assert violation["message_zh"].startswith("重复的字段")
    member = f'{{"org_id": "{scene.partner_id}", "role": "a", "role": "b", "budget_share": "0"}}'
    nested = f'{{"plan": {{"approach": "甲", "approach": "乙"}}, "members": [{member}]}}'
    response = await client.patch(
        f"/api/v1/applications/{scene.application_id}",
        content=nested.encode(),
        headers={**scene.member, **JSON},
    )
    assert fields(response) == {"body.plan.approach", "body.members.0.role"}
    unchanged = await client.get(
        f"/api/v1/applications/{scene.application_id}", headers=scene.member
    )
    assert unchanged.json()["plan"]["approach"] != "乙"


@pytest.mark.parametrize(
    "content",
    [
        b'{"advance_seconds": NaN}',
        b'{"advance_seconds": Infinity}',
        b'{"advance_seconds": -Infinity}',
        b'{"advance_seconds": ' + b"9" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
    ],
    ids=["nan", "infinity", "minus-infinity", "huge-integer", "deep-nesting", "not-utf8"],
)
async def test_what_is_no_json_is_422(
    client: httpx.AsyncClient, scene: Scene, content: bytes
) -> None:
    response = await client.post(
        "/api/v1/sandbox/clock", content=content, headers={**scene.admin, **JSON}
    )
    assert violations(response)[0]["field"].startswith("body")


# --------------------------------------------------------------------------------------------
# Capped violations, unknown keys as a group
# --------------------------------------------------------------------------------------------


async def test_violations_are_capped_with_the_count_of_the_rest(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.patch(
        f"/api/v1/listings/{scene.listing_id}",
        json={"key_technologies": [{}] * 50},  # two missing fields each: 100 violations
        headers=scene.member,
    )
    listed = violations(response)
    assert len(listed) == 50
    assert listed[0]["field"] == "body.key_technologies.0.name"
    assert response.json()["violations_omitted"] == 50
    few = await client.patch(
        f"/api/v1/listings/{scene.listing_id}",
        json={"key_technologies": [{}]},
        headers=scene.member,
    )
    assert len(violations(few)) == 2
    assert "violations_omitted" not in few.json()


async def test_unknown_keys_are_one_violation(client: httpx.AsyncClient, scene: Scene) -> None:
    surplus = {f"extra_{i:04}": i for i in range(1000)}
    response = await client.patch(
        f"/api/v1/listings/{scene.listing_id}",
        json={"title": "好", **surplus, "plan": {"x": 1, "y": 2}},
        headers={**scene.member, "Accept-Language": "en"},
    )
    [violation] = violations(response)
    assert violation["field"] == "body"
    assert violation["message_en"].startswith("Unknown fields: extra_0000, extra_0001")
    assert violation["message_en"].endswith("(and 991 more)")
    assert violation["message_zh"].startswith("不允许的字段：extra_0000、extra_0001")
    assert "violations_omitted" not in response.json()
    one = await client.patch(
        f"/api/v1/listings/{scene.listing_id}",
        json={"colour": "blue"},
        headers=scene.member,
    )
    assert fields(one) == {"body.colour"}


# --------------------------------------------------------------------------------------------
# Authentication before validation
# --------------------------------------------------------------------------------------------


def _protected_operations(app: FastAPI) -> list[tuple[str, str]]:
    operations = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            if any("OAuth2" in requirement for requirement in operation.get("security", [])):
                concrete = path
                for name in ("listing_id", "application_id", "organization_id", "user_id"):
                    concrete = concrete.replace("{" + name + "}", str(uuid.uuid4()))
                concrete = concrete.replace("{attachment_id}", str(uuid.uuid4()))
                operations.append((method.upper(), concrete))
    return operations


@pytest.mark.parametrize(
    "content",
    [b'{"lead_budget_share": "\xc2\xb2", "x": 1}', b'{"a": 1, "a": 2}', b"{not json", b"[]"],
    ids=["invalid-fields", "duplicate-keys", "malformed", "wrong-type"],
)
async def test_anonymous_callers_get_401_before_any_validation(
    client: httpx.AsyncClient, app: FastAPI, content: bytes
) -> None:
    operations = _protected_operations(app)
    assert len(operations) > 30
    for method, path in operations:
        response = await client.request(
            method, path + "?limit=0&opens_before=0.5", content=content, headers=JSON
        )
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_forged_token_gets_401_before_validation(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    forged = {"Authorization": "Bearer not.a.token", **JSON}
    for content in (b'{"lead_budget_share": "\xc2\xb2"}', b'{"a": 1, "a": 2}', b"{not json"):
        response = await client.patch(
            f"/api/v1/applications/{scene.application_id}", content=content, headers=forged
        )
        assert response.status_code == 401, response.text


async def test_open_operations_still_validate_for_everyone(client: httpx.AsyncClient) -> None:
    name = f"u{uuid.uuid4().hex[:12]}"
    twice = (
        f'{{"username": "{name}", "username": "{name}x", "password": "correct-horse-battery",'
        ' "display_name": "甲"}'
    )
    registered = await client.post("/api/v1/auth/register", content=twice.encode(), headers=JSON)
    assert fields(registered) == {"body.username"}
    catalogue = await client.get("/api/v1/public/listings", params={"limit": "x"})
    assert fields(catalogue) == {"query.limit"}


@pytest.mark.parametrize("empty", ["client_id", "client_secret", "username"])
async def test_a_token_form_field_sent_empty_is_refused(
    client: httpx.AsyncClient, sessions: Sessions, empty: str
) -> None:
    """FastAPI reads an empty form field as left out, so a grant would ignore one it does not
    need and issue a token for a form its schema refuses (`minLength: 1`)."""
    user = await create_user(sessions)
    form = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    assert (await client.post(TOKEN, data=form)).status_code == 200
    response = await client.post(TOKEN, data={**form, empty: ""})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert [v["field"] for v in problem["violations"]] == [f"body.{empty}"]
