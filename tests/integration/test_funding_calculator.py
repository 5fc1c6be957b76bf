"""The funding calculator over HTTP: the figures of the measures, each rule cited, and the
amounts it refuses (three decimals, negative, above 10^12)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from factories import Sessions, bearer, create_user

CALCULATE = "/api/v1/funding/calculate"
BODY = {
    "kind": "tech_breakthrough",
    "total_rd_investment": "20000000.00",
    "agreement_amount": "3000000.00",
    "requested_subsidy": "1000000.00",
    "first_payment": "1000000.00",
}


async def headers_of_someone(app: FastAPI, sessions: Sessions) -> dict[str, str]:
    return bearer(app, await create_user(sessions))


async def test_anyone_signed_in_calculates_the_tranches(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = await headers_of_someone(app, sessions)
    answer = await client.post(CALCULATE, json=BODY, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["max_subsidy"], body["binding_rule"]) == ("6000000.00", "R-FUND-RATIO-CAP")
    assert (body["subsidy"], body["first_tranche"], body["final_tranche"]) == (
        "1000000.00",
        "333333.33",
        "666666.67",
    )
    ratio = next(f for f in body["findings"] if f["rule"] == "R-DISB-FIRST-RATIO")
    assert ratio["figures"]["first_tranche"] == "333333.33"
    anonymous = await client.post(CALCULATE, json=BODY)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHENTICATED")


async def test_a_subsidy_above_the_cap_is_shown_exceeded_with_its_rule(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = await headers_of_someone(app, sessions)
    body = {**BODY, "total_rd_investment": "50000000.00", "requested_subsidy": "12000000.00"}
    del body["first_payment"]
    plain = (await client.post(CALCULATE, json=body, headers=headers)).json()
    assert (plain["max_subsidy"], plain["binding_rule"]) == ("10000000.00", "R-FUND-ABS-CAP")
    assert [f["rule"] for f in plain["findings"] if f["outcome"] == "exceeded"] == [
        "R-FUND-ABS-CAP"
    ]
    decided = await client.post(CALCULATE, json={**body, "case_by_case": True}, headers=headers)
    assert [f for f in decided.json()["findings"] if f["outcome"] == "exceeded"] == []
    assert decided.json()["binding_rule"] == "R-FUND-CASE-BY-CASE"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requested_subsidy", "1.001"),
        ("agreement_amount", "-1.00"),
        ("total_rd_investment", "1000000000000.01"),
        ("total_rd_investment", "0.00"),
        ("first_payment", 1000000.0),
    ],
)
async def test_amounts_out_of_form_are_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions, field: str, value: Any
) -> None:
    headers = await headers_of_someone(app, sessions)
    refused = await client.post(CALCULATE, json={**BODY, field: value}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED")
    assert [v["field"] for v in refused.json()["violations"]] == [f"body.{field}"]


async def test_a_first_payment_above_the_agreement_amount_is_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = await headers_of_someone(app, sessions)
    refused = await client.post(
        CALCULATE, json={**BODY, "first_payment": "3000000.01"}, headers=headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED")
    assert [v["field"] for v in refused.json()["violations"]] == ["body.first_payment"]
