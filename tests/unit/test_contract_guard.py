"""The suite's contract guard (`tests/contract_guard.py`) catches what it is meant to."""

from __future__ import annotations

import httpx

import contract_guard

LISTING = "http://testserver/api/v1/listings/0b6c2b9e-8f0e-4a57-9e6f-3d1f2a7b9c10"
PROBLEM = {
    "type": "urn:jiebang:problem:not-found",
    "title": "资源不存在",
    "status": 404,
    "detail": "请求的资源不存在。",
    "instance": "/api/v1/listings/x",
    "code": "NOT_FOUND",
    "violations": [],
    "request_id": "r1",
}


def response(status: int, body: dict[str, object], **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers={"content-type": "application/problem+json", **headers},
        request=httpx.Request("GET", LISTING),
    )


def test_a_problem_that_keeps_the_contract_passes() -> None:
    assert contract_guard.check(response(404, PROBLEM, **{"X-Request-ID": "r1"})) == []


def test_an_undeclared_header_is_caught() -> None:
    broken = contract_guard.check(response(404, PROBLEM, Location="/elsewhere"))
    assert broken == [
        "GET /api/v1/listings/{listing_id} → 404: header location is sent but not declared"
    ]


def test_a_problem_missing_its_code_is_caught() -> None:
    body = {k: v for k, v in PROBLEM.items() if k != "code"}
    broken = contract_guard.check(response(404, body))
    assert any("'code' is a required property" in line for line in broken), broken


def test_an_unknown_code_is_caught() -> None:
    broken = contract_guard.check(response(404, {**PROBLEM, "code": "NOPE"}))
    assert any("'NOPE' is not one of" in line for line in broken), broken


def test_a_code_the_operation_does_not_document_is_caught() -> None:
    broken = contract_guard.check(response(404, {**PROBLEM, "code": "FORBIDDEN"}))
    assert broken == ["GET /api/v1/listings/{listing_id} → 404: code FORBIDDEN not documented"]


def test_a_status_the_operation_does_not_document_is_caught() -> None:
    broken = contract_guard.check(response(409, {**PROBLEM, "status": 409, "code": "CONFLICT"}))
    assert broken == ["GET /api/v1/listings/{listing_id} → 409: status not documented (CONFLICT)"]


def test_paths_outside_the_contract_are_not_checked() -> None:
    outside = httpx.Response(
        404, json={}, request=httpx.Request("GET", "http://testserver/nowhere")
    )
    assert contract_guard.check(outside) == []
