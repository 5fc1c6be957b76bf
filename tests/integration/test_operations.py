"""Health, readiness, metrics, request ids and the documentation pages."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import text


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["current_revision"] == body["head_revision"] is not None


async def readiness_of(app: Any, client_for: Any) -> httpx.Response:
    async with client_for(app) as http:
        return await http.get("/readyz")


async def test_readyz_is_503_before_migrations(
    empty_database: str, app_factory: Any, client_for: Any
) -> None:
    response = await readiness_of(app_factory(empty_database), client_for)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response.json()["readiness"]["status"] == "not_ready"
    assert response.json()["readiness"]["current_revision"] is None


async def test_readyz_is_503_when_the_database_is_unreachable(
    app_factory: Any, client_for: Any
) -> None:
    app = app_factory("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    response = await readiness_of(app, client_for)
    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response.json()["readiness"]["database"] == "unreachable"


async def test_request_id_is_echoed_when_safe(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("given", [None, "x" * 200, "bad id with spaces", "a;b<script>"])
async def test_request_id_is_generated_when_missing_or_unsafe(
    client: httpx.AsyncClient, given: str | None
) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    response = await client.get("/healthz", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert generated != given
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


@pytest.mark.parametrize(("level", "lines"), [(logging.INFO, 1), (logging.WARNING, 0)])
async def test_each_request_is_logged_at_info(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, level: int, lines: int
) -> None:
    caplog.set_level(level, logger="jiebang_api.access")
    with structlog.testing.capture_logs() as logged:
        await client.get("/healthz", headers={"X-Request-ID": "log-1"})
    access = [e for e in logged if e["event"] == "request"]
    assert len(access) == lines
    for entry in access:
        assert entry["route"] == "/healthz"
        assert entry["status"] == 200
        assert entry["method"] == "GET"
        assert entry["duration_ms"] >= 0


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/api/v1/nowhere")
    body = (await client.get("/metrics")).text
    assert 'jiebang_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in body
    assert 'route="<unmatched>",status="404"' in body


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_documentation_pages_reference_no_other_host(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert not re.search(r"https?://", response.text), "the page must not load from any host"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert (await client.get(asset)).status_code == 200, asset


async def test_openapi_is_served_as_json_and_yaml(client: httpx.AsyncClient) -> None:
    as_json = await client.get("/openapi.json")
    as_yaml = await client.get("/openapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert "/api/v1/sandbox/clock" in as_json.json()["paths"]


async def test_database_is_the_one_configured(app: object, backend: str) -> None:
    engine = app.state.engine  # type: ignore[attr-defined]
    assert engine.dialect.name == backend
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1


async def test_enumerations_carry_both_labels(client: httpx.AsyncClient) -> None:
    items = {
        e["name"]: e["values"] for e in (await client.get("/api/v1/meta/enums")).json()["items"]
    }
    assert {"ErrorCode", "ListingKind", "OrganizationType", "Role", "FundingUse"} <= items.keys()
    kinds = {v["value"]: (v["label_zh"], v["label_en"]) for v in items["ListingKind"]}
    assert kinds["tech_breakthrough"] == ("技术攻关类", "Technology breakthrough")
    assert {v["value"] for v in items["ErrorCode"]} >= {"NOT_FOUND", "INVALID_TRANSITION"}


async def test_cors_allows_only_configured_origins(
    app_factory: Any, database_url: str, client_for: Any
) -> None:
    app = app_factory(database_url, cors_origins=["https://portal.example"])
    preflight = {"Access-Control-Request-Method": "POST"}
    async with client_for(app) as http:
        allowed = await http.options(
            "/api/v1/sandbox/clock", headers={"Origin": "https://portal.example", **preflight}
        )
        refused = await http.options(
            "/api/v1/sandbox/clock", headers={"Origin": "https://evil.example", **preflight}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("enabled", [False, True])
async def test_fastapi_telemetry_looks_for_a_provider_only_when_enabled(
    app_factory: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    from fastapi.telemetry import _asgi

    looked: list[str] = []

    def configured_provider() -> object:
        looked.append("tracer")
        return object()  # not one of the API's deferred placeholders: "configured"

    monkeypatch.setattr(_asgi.trace, "get_tracer_provider", configured_provider)
    app = app_factory(database_url, opentelemetry=enabled)
    assert app._native_telemetry.enabled() is enabled
    assert bool(looked) is enabled
