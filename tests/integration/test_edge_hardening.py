"""The service's edge (issue 11): body limits by route class, the body read timeout, bounded
metrics labels, security headers, closed documentation, the metrics token, tokens issued in
the future, oversized headers and refused CORS preflights, each answered as a problem; and
how `serve` runs uvicorn (no `server` header, a bounded request head)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import re
import string
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from conftest import AppFactory
from factories import PASSWORD, bearer, create_user
from jiebang_api import cli
from jiebang_api.api.docs import content_security_policy
from jiebang_api.api.metrics import Metrics, method_label
from jiebang_api.api.middleware import MAX_HEADER_BYTES
from jiebang_api.auth.tokens import SubjectKind
from jiebang_api.models import User

PROBLEM = "application/problem+json"
MIB = 1024 * 1024
REGISTER = "/api/v1/auth/register"
ATTACHMENTS = "/api/v1/attachments"
ClientFor = Callable[[FastAPI], httpx.AsyncClient]


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def unknown_keys(count: int) -> bytes:
    """A JSON object of `count` keys no schema knows (the issue's 21.6 MB is 1,750,000)."""
    return ("{" + ",".join(f'"k{i:07d}":0' for i in range(count)) + "}").encode()


@pytest.fixture
async def user(app: FastAPI) -> User:
    return await create_user(app.state.sessionmaker)


# ---------------------------------------------------------------------------------------------
# 1. body limits by route class, 7. health while a huge body is refused


async def test_a_large_json_body_is_refused_before_it_is_parsed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = unknown_keys(160_000)
    assert 2 * 10**6 < len(body) < 20 * MIB
    await client.get("/healthz")  # the app's first request builds its middleware stack
    started = time.perf_counter()
    response = await client.post(
        REGISTER, content=body, headers={"Content-Type": "application/json"}
    )
    elapsed = time.perf_counter() - started
    problem = assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert problem["max_bytes"] == app.state.settings.max_body_bytes == MIB
    assert response.headers["connection"] == "close"
    assert elapsed < 0.25, f"refused in {elapsed:.3f} s"


async def test_a_chunked_json_body_is_cut_off_at_the_body_limit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(32):  # 2 MiB in all
            sent += 1
            yield b" " * 65536

    response = await client.post(
        REGISTER, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert assert_problem(response, 413, "PAYLOAD_TOO_LARGE")["max_bytes"] == MIB
    assert sent <= 17, "reading stops at the first chunk over the limit"


async def test_an_upload_larger_than_the_body_limit_still_succeeds(
    app_factory: AppFactory, client_for: ClientFor, database_url: str, tmp_path: Path
) -> None:
    app = app_factory(database_url, storage_dir=tmp_path)
    data = b"%PDF-1.7\n" + bytes(1_500_000)
    async with client_for(app) as http:
        response = await http.post(
            ATTACHMENTS,
            files={"file": ("大文件.pdf", data, "application/pdf")},
            headers=bearer(app, await create_user(app.state.sessionmaker)),
        )
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(data)


async def test_the_upload_limit_is_only_for_multipart_bodies_on_the_upload_route(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    not_a_form = await client.post(
        ATTACHMENTS,
        content=b"%PDF-" + bytes(1_500_000),
        headers={"Content-Type": "application/pdf", **bearer(app, user)},
    )
    assert assert_problem(not_a_form, 413, "PAYLOAD_TOO_LARGE")["max_bytes"] == MIB
    form_elsewhere = await client.post(
        REGISTER, files={"file": ("a.pdf", b"%PDF-" + bytes(1_500_000), "application/pdf")}
    )
    assert assert_problem(form_elsewhere, 413, "PAYLOAD_TOO_LARGE")["max_bytes"] == MIB


async def test_health_answers_quickly_while_a_huge_body_is_refused(
    client: httpx.AsyncClient,
) -> None:
    huge = unknown_keys(1_750_000)
    assert len(huge) > 21 * 10**6

    async def health() -> float:
        started = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        return time.perf_counter() - started

    refused, *latencies = await asyncio.gather(
        client.post(REGISTER, content=huge, headers={"Content-Type": "application/json"}),
        *(health() for _ in range(3)),
    )
    assert_problem(refused, 413, "PAYLOAD_TOO_LARGE")
    assert max(latencies) < 0.1, latencies


# ---------------------------------------------------------------------------------------------
# 2. the body read timeout, at the ASGI level


def http_scope(
    path: str, content_type: str, declared: int, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", content_type.encode()),
            (b"content-length", str(declared).encode()),
            (b"accept-language", b"en"),
            *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
        ],
    }


async def answer_to(app: FastAPI, scope: dict[str, Any], chunks: list[bytes]) -> dict[str, Any]:
    """Send `chunks` of a body that never completes (then silence); the app's answer."""
    pending = list(chunks)
    sent: list[dict[str, Any]] = []
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if pending:
            await asyncio.sleep(0)
            return {"type": "http.request", "body": pending.pop(0), "more_body": True}
        await never.wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return {"status": start["status"], "headers": headers, "json": json.loads(body)}


async def test_a_body_that_never_completes_is_answered_408_in_time(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, body_read_timeout_seconds=0.2)
    scope = http_scope(REGISTER, "application/json", 100)
    started = time.perf_counter()
    answer = await answer_to(app, scope, [b'{"usern'])
    elapsed = time.perf_counter() - started
    assert answer["status"] == 408
    assert answer["headers"]["content-type"] == PROBLEM
    assert answer["headers"]["connection"] == "close"
    assert answer["json"]["code"] == "REQUEST_TIMEOUT"
    assert answer["json"]["status"] == 408
    assert "0.2 seconds" in answer["json"]["detail"]
    assert answer["headers"]["x-request-id"] == answer["json"]["request_id"]
    assert 0.2 <= elapsed < 1.5


async def test_a_trickling_body_gets_no_more_time(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, body_read_timeout_seconds=0.3)
    scope = http_scope(REGISTER, "application/json", 10_000)
    trickle: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.05)  # a byte every 50 ms: never idle, never done
        trickle.append({})
        return {"type": "http.request", "body": b" ", "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    started = time.perf_counter()
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    assert time.perf_counter() - started < 1.5
    assert sent[0]["status"] == 408
    assert len(trickle) < 10


async def test_an_upload_that_stalls_is_answered_408(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, body_read_timeout_seconds=0.2)
    uploader = bearer(app, await create_user(app.state.sessionmaker))
    scope = http_scope(ATTACHMENTS, "multipart/form-data; boundary=xyz", 5 * MIB, uploader)
    answer = await answer_to(app, scope, [b"--xyz\r\n", b"Content-Disposition: form-data"])
    assert answer["status"] == 408
    assert answer["json"]["code"] == "REQUEST_TIMEOUT"


# ---------------------------------------------------------------------------------------------
# 3. metrics labels from a closed set


def made_up_method(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(3, 12)))


async def test_made_up_methods_and_paths_add_no_metrics_series(
    client: httpx.AsyncClient,
) -> None:
    rng = random.Random(11)  # noqa: S311 - made-up methods, not secrets

    async def probe() -> None:
        path = rng.choice(["/healthz", f"/api/v1/{made_up_method(rng).lower()}"])
        response = await client.request(made_up_method(rng), path)
        assert response.status_code in (404, 405)

    for path in ("/healthz", "/api/v1/nowhere"):  # one series of each kind, and /metrics'
        await client.request(made_up_method(rng), path)
    await client.get("/metrics")
    first = (await client.get("/metrics")).text
    for _ in range(1000):
        await probe()
    after = (await client.get("/metrics")).text
    assert abs(len(after) - len(first)) <= 0.05 * len(first), (len(first), len(after))
    methods = set(re.findall(r'method="([^"]*)"', after))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "other" in methods


# ---------------------------------------------------------------------------------------------
# 4. security headers, one test per class of response


def assert_nosniff(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_token_responses_are_never_stored(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert_nosniff(response)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_authenticated_responses_are_private(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get("/api/v1/me", headers=bearer(app, user))
    assert response.status_code == 200
    assert_nosniff(response)
    assert response.headers["cache-control"] == "private, no-store"


async def test_anonymous_public_responses_set_no_cache_policy(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/meta/enums")
    assert response.status_code == 200
    assert_nosniff(response)
    assert "cache-control" not in response.headers
    assert "content-security-policy" not in response.headers


def inline_script_hashes(html: str) -> set[str]:
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    }


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_documentation_pages_carry_a_policy_that_allows_their_own_assets(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert_nosniff(response)
    assert response.headers["x-frame-options"] == "DENY"
    policy = dict(
        directive.partition(" ")[::2]
        for directive in response.headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"  # the UI fetches /openapi.json
    sources = set(policy["script-src"].split())
    assert not sources & {"'unsafe-inline'", "'unsafe-eval'"}
    assert sources == {"'self'", *inline_script_hashes(response.text)}
    for asset in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert asset.startswith("/static/docs/"), "same origin only"
    if page == "/redoc":
        assert policy["worker-src"] == "'self' blob:"  # ReDoc's search worker


async def test_problem_documents_carry_the_headers(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    anonymous = await client.get("/api/v1/nope")
    assert_problem(anonymous, 404, "NOT_FOUND")
    assert_nosniff(anonymous)
    assert "cache-control" not in anonymous.headers
    refused = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert_problem(refused, 401, "UNAUTHENTICATED")
    assert_nosniff(refused)
    assert refused.headers["cache-control"] == "private, no-store"


async def test_an_unexpected_error_carries_the_headers_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    response = await client.get("/boom", headers={"Authorization": "Bearer x"})
    assert_problem(response, 500, "INTERNAL_ERROR")
    assert_nosniff(response)
    assert response.headers["cache-control"] == "private, no-store"


async def test_a_route_that_sets_its_own_cache_policy_keeps_it(
    app_factory: AppFactory, client_for: ClientFor, database_url: str, tmp_path: Path
) -> None:
    app = app_factory(database_url, storage_dir=tmp_path)
    headers = bearer(app, await create_user(app.state.sessionmaker))
    async with client_for(app) as http:
        upload = await http.post(
            ATTACHMENTS,
            files={"file": ("a.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
            headers=headers,
        )
        assert upload.status_code == 201, upload.text
        download = await http.get(f"{ATTACHMENTS}/{upload.json()['id']}/content", headers=headers)
    assert download.status_code == 200
    assert download.headers.get_list("cache-control") == ["private, no-store"]
    assert download.headers.get_list("x-content-type-options") == ["nosniff"]


# ---------------------------------------------------------------------------------------------
# 4. closed documentation, the metrics token


@pytest.mark.parametrize(
    "path",
    [
        "/docs",
        "/redoc",
        "/openapi.json",
        "/openapi.yaml",
        "/docs/oauth2-redirect",
        "/static/docs/swagger-ui.css",
    ],
)
async def test_documentation_can_be_closed(
    app_factory: AppFactory, client_for: ClientFor, database_url: str, path: str
) -> None:
    app = app_factory(database_url, docs_public=False)
    async with client_for(app) as http:
        closed = await http.get(path)
        unknown = await http.get("/no-such-page")
    body = assert_problem(closed, 404, "NOT_FOUND")
    assert body["detail"] == unknown.json()["detail"]
    assert_nosniff(closed)


async def test_the_metrics_token_guards_metrics(
    app_factory: AppFactory, client_for: ClientFor, database_url: str
) -> None:
    token = "metrics-" + "x" * 40
    app = app_factory(database_url, metrics_token=token)
    async with client_for(app) as http:
        refusals = [
            await http.get("/metrics"),
            await http.get("/metrics", headers={"Authorization": f"Bearer {token[:-1]}"}),
            await http.get("/metrics", headers={"Authorization": f"Basic {token}"}),
        ]
        allowed = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    for refused in refusals:
        assert_problem(refused, 401, "UNAUTHENTICATED")
        assert refused.headers["www-authenticate"] == "Bearer"
    assert allowed.status_code == 200
    assert "jiebang_http_requests_total" in allowed.text


async def test_metrics_are_open_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200


# ---------------------------------------------------------------------------------------------
# 5. tokens issued in the future


async def test_a_token_issued_in_the_future_is_refused(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    codec = app.state.token_codec
    now = datetime.now(UTC)
    ahead, _ = codec.issue(user.id, SubjectKind.USER, now + timedelta(days=11))
    skewed, _ = codec.issue(user.id, SubjectKind.USER, now + timedelta(seconds=10))
    refused = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {ahead}"})
    assert_problem(refused, 401, "UNAUTHENTICATED")
    assert refused.headers["www-authenticate"] == "Bearer"
    accepted = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {skewed}"})
    assert accepted.status_code == 200, accepted.text


# ---------------------------------------------------------------------------------------------
# 6. every error a problem: an oversized header that reaches the app, a refused preflight


async def test_a_100_kb_authorization_header_is_a_431_problem(
    client: httpx.AsyncClient,
) -> None:
    huge = "Bearer " + "a" * 100_000
    response = await client.get("/api/v1/me", headers={"Authorization": huge})
    assert_problem(response, 431, "HEADERS_TOO_LARGE")
    assert response.headers["connection"] == "close"
    below = "Bearer " + "a" * 15_000  # under the limit: read, and refused as a bad token
    assert_problem(
        await client.get("/api/v1/me", headers={"Authorization": below}), 401, "UNAUTHENTICATED"
    )


async def test_a_refused_cors_preflight_is_a_problem(
    app_factory: AppFactory, client_for: ClientFor, database_url: str
) -> None:
    app = app_factory(database_url, cors_origins=["https://portal.example"])
    preflight = {"Access-Control-Request-Method": "POST", "Accept-Language": "en"}
    async with client_for(app) as http:
        refused = await http.options(
            "/api/v1/sandbox/clock", headers={"Origin": "https://evil.example", **preflight}
        )
        bad_method = await http.options(
            "/api/v1/sandbox/clock",
            headers={
                "Origin": "https://portal.example",
                **preflight,
                "Access-Control-Request-Method": "TRACE",
            },
        )
        allowed = await http.options(
            "/api/v1/sandbox/clock", headers={"Origin": "https://portal.example", **preflight}
        )
    body = assert_problem(refused, 400, "CORS_REFUSED")
    assert "origin" in body["detail"]
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["vary"].startswith("Accept-Language, Origin")
    assert_nosniff(refused)
    assert "method" in assert_problem(bad_method, 400, "CORS_REFUSED")["detail"]
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"


# ---------------------------------------------------------------------------------------------
# the pure parts (here, not in tests/unit: one basename may be imported only once per run)


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("GET", "GET"),
        ("HEAD", "HEAD"),
        ("POST", "POST"),
        ("PUT", "PUT"),
        ("PATCH", "PATCH"),
        ("DELETE", "DELETE"),
        ("OPTIONS", "OPTIONS"),
        ("FOO", "other"),
        ("XYZ123", "other"),
        ("get", "other"),
        ("TRACE", "other"),
        ("X" * 10_000, "other"),
    ],
)
def test_method_labels_come_from_a_closed_set(method: str, label: str) -> None:
    assert method_label(method) == label


def test_made_up_methods_share_one_series() -> None:
    metrics = Metrics()
    for method in ("FOO", "XYZ123", "BREW", "PROPFIND"):
        metrics.observe(method, "<unmatched>", 405, 0.001)
    text = metrics.render().decode()
    assert 'jiebang_http_requests_total{method="other",route="<unmatched>",status="405"} 4.0' in (
        text
    )
    assert (
        'jiebang_http_request_duration_seconds_count{method="other",route="<unmatched>"} 4.0'
        in (text)
    )
    assert not {"FOO", "XYZ123", "BREW", "PROPFIND"} & set(text.replace('"', " ").split())
    assert len(metrics._series) == 1  # the looked-up series are keyed by label, not by input


def test_the_policy_allows_inline_scripts_by_hash_only() -> None:
    script = "\n    const ui = SwaggerUIBundle({url: '/openapi.json'})\n    "
    html = f'<html><script src="/static/docs/a.js"></script><script>{script}</script></html>'
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = content_security_policy(html)
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "unsafe-eval" not in policy
    assert "worker-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "worker-src 'self' blob:" in content_security_policy(html, workers=True)


def test_serve_runs_uvicorn_without_a_server_header_and_with_a_bounded_head(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from jiebang_api.kit import logging as kit_logging

    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(app=app, **options))
    monkeypatch.setattr(kit_logging, "configure_logging", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli.app, ["serve", "--no-migrate"])
    assert result.exit_code == 0, result.output
    assert ran["app"] == "jiebang_api.asgi:app"
    assert ran["server_header"] is False
    assert ran["http"] == "h11"
    # uvicorn's own bound lies above the app's, so a large head gets the app's 431 problem.
    assert ran["h11_max_incomplete_event_size"] == cli.MAX_REQUEST_HEAD_BYTES
    assert cli.MAX_REQUEST_HEAD_BYTES > MAX_HEADER_BYTES
    assert ran["proxy_headers"] is False  # the app reads X-Forwarded-For (trusted proxies)
