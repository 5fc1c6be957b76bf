"""Every error is an RFC 9457 problem document, in Chinese by default and English on request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from jiebang_api.api.deps import SessionDep
from jiebang_api.api.routing import StrictRoute
from jiebang_api.models import SandboxClock

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["instance"] == response.request.url.path
    assert str(body["type"]).startswith("urn:jiebang:problem:")
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nope"), 404, "NOT_FOUND")
    assert body["title"] == "资源不存在"


async def test_accept_language_en_switches_the_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope", headers={"Accept-Language": "en-GB,zh;q=0.5"})
    body = assert_problem(response, 404, "NOT_FOUND")
    assert body["title"] == "Not found"
    assert response.headers["Content-Language"] == "en"


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/sandbox/clock")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_malformed_body_is_422_with_per_field_violations(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/sandbox/clock",
        json={"advance_seconds": "soon", "colour": "blue"},
        headers={**admin_headers, "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    fields = {v["field"] for v in body["violations"]}  # type: ignore[attr-defined]
    assert "body.ClockAdvance.advance_seconds" in fields
    assert "body.ClockAdvance.colour" in fields
    assert all(v["message"] for v in body["violations"])  # type: ignore[attr-defined]


async def test_validation_messages_are_chinese_by_default(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/sandbox/clock", json={"advance_seconds": "soon"}, headers=admin_headers
    )
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    messages = [v["message"] for v in body["violations"]]  # type: ignore[attr-defined]
    assert "应为整数" in messages


async def test_invalid_json_is_a_422_problem(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/sandbox/clock",
        content=b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


async def test_unhandled_error_is_500_without_internals(app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("secret table users_password_hash exploded")

    app.add_api_route("/boom", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom", headers={"X-Request-ID": "req-500"})
    body = assert_problem(response, 500, "INTERNAL_ERROR")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] == "req-500"


async def test_a_failed_commit_never_answers_2xx(app: FastAPI) -> None:
    """The transaction commits before the response is sent; a commit failure is the answer."""

    async def write_invalid(session: SessionDep) -> dict[str, str]:
        session.add(SandboxClock(id=2, offset_microseconds=0))  # the CHECK allows only id 1
        return {"status": "written"}

    app.router.add_api_route(
        "/write-invalid", write_invalid, methods=["POST"], route_class_override=StrictRoute
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/write-invalid")
    assert_problem(response, 409, "CONFLICT")
    assert "written" not in response.text


@pytest.mark.parametrize(
    ("header", "title"),
    [
        (None, "资源不存在"),
        ("en", "Not found"),
        ("fr, en;q=0.1", "Not found"),
        ("zh-CN", "资源不存在"),
    ],
)
async def test_language_negotiation(
    client: httpx.AsyncClient, header: str | None, title: str
) -> None:
    headers = {"Accept-Language": header} if header else {}
    response = await client.get("/api/v1/nope", headers=headers)
    assert response.json()["title"] == title


async def test_a_declared_oversized_body_is_refused_unread(
    app_factory: Any, database_url: str, client_for: Any
) -> None:
    app = app_factory(database_url, max_upload_bytes=64 * 1024)
    async with client_for(app) as http:
        response = await http.post(
            "/api/v1/auth/register",
            content=b"x" * (3 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_chunked_oversized_body_is_cut_off(
    app_factory: Any, database_url: str, client_for: Any
) -> None:
    app = app_factory(database_url, max_upload_bytes=64 * 1024)

    async def chunks() -> Any:
        for _ in range(64):
            yield b"x" * 65536

    async with client_for(app) as http:
        response = await http.post(
            "/api/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_json_body_on_a_form_endpoint_is_told_to_send_a_form(
    client: httpx.AsyncClient,
) -> None:
    sent_json = await client.post(
        "/api/v1/auth/token",
        json={"grant_type": "password", "username": "u", "password": "p"},
        headers={"Accept-Language": "en"},
    )
    assert sent_json.status_code == 422
    problem = sent_json.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert "application/x-www-form-urlencoded" in problem["detail"]
    incomplete_form = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password"}, headers={"Accept-Language": "en"}
    )
    assert incomplete_form.status_code == 422
    assert "form" not in incomplete_form.json()["detail"]


async def test_violations_are_findings_in_both_languages(client: httpx.AsyncClient) -> None:
    body = {"username": "someone.new", "password": "short", "display_name": "新用户"}
    english = await client.post(
        "/api/v1/auth/register", json=body, headers={"Accept-Language": "en"}
    )
    chinese = await client.post("/api/v1/auth/register", json=body)
    (found_en,) = english.json()["violations"]
    (found_zh,) = chinese.json()["violations"]
    assert found_en["field"] == found_zh["field"] == "body.password"
    assert found_en["message"] == found_en["message_en"] == found_zh["message_en"]
    assert found_zh["message"] == found_zh["message_zh"] == found_en["message_zh"]
    assert found_en["message_en"] != found_en["message_zh"]
    assert {"rule", "article", "org_id"} <= found_en.keys()
