"""Webhook subscriptions over HTTP: who manages which, the secret shown once, rotation, the
address guard at `body.url`, optimistic concurrency, soft deletion and the audit trail.

No connection is opened to any receiver: the URLs are resolved (loopback literals, by the
system; names, by a stand-in resolver) and never called."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conftest import AppFactory
from factories import bearer, create_service_client, create_user
from jiebang_api.integration import signing
from jiebang_api.models import AuditEntry, WebhookSubscription

Sessions = async_sessionmaker[AsyncSession]
HOOK = "http://127.0.0.1:9/hook"
BASE = "/api/v1/webhook-subscriptions"
# Names the stand-in resolver knows (nothing is looked up in DNS).
NAMES = {
    "hooks.example.org": ["93.184.216.34"],
    "intranet.example.org": ["10.0.0.5"],
    "metadata.example.org": ["169.254.169.254"],
    "mixed.example.org": ["93.184.216.34", "fd00:ec2::254"],
}


async def stand_in_resolver(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    raise LookupError(host)


@pytest.fixture
async def hooks_app(database_url: str, app_factory: AppFactory) -> FastAPI:
    """Loopback allow-listed, as a test receiver on this machine would need."""
    return app_factory(database_url, webhook_allowed_addresses=["127.0.0.1"])


@pytest.fixture
async def http(
    hooks_app: FastAPI, client_for: Callable[[FastAPI], httpx.AsyncClient]
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(hooks_app) as client:
        yield client


@pytest.fixture
def hooks_sessions(hooks_app: FastAPI) -> Sessions:
    maker: Sessions = hooks_app.state.sessionmaker
    return maker


def body(**overrides: object) -> dict[str, object]:
    return {
        "url": HOOK,
        "event_types": ["listing.published", "project.created"],
        "description": "计划系统",
        **overrides,
    }


async def subscribe(
    http: httpx.AsyncClient, headers: dict[str, str], **overrides: object
) -> dict[str, object]:
    response = await http.post(BASE, json=body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def violation_fields(response: httpx.Response) -> list[str]:
    return [v["field"] for v in response.json()["violations"]]


async def test_a_service_client_subscribes_and_gets_the_secret_once(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    response = await http.post(BASE, json=body(), headers=client)
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert created["url"] == HOOK
    assert created["event_types"] == ["listing.published", "project.created"]
    assert created["active"] is True
    assert response.headers["Location"] == f"{BASE}/{created['id']}"
    assert response.headers["ETag"] == '"1"'

    read = await http.get(f"{BASE}/{created['id']}", headers=client)
    assert read.status_code == 200
    assert "secret" not in read.json()
    assert secret not in read.text
    listed = await http.get(BASE, headers=client)
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert secret not in listed.text


async def test_only_the_department_and_service_clients_manage_subscriptions(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    member = bearer(hooks_app, await create_user(hooks_sessions))
    expert = bearer(hooks_app, await create_user(hooks_sessions, roles=("expert",)))
    for headers in (member, expert):
        refused = await http.post(BASE, json=body(), headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "FORBIDDEN"
        assert (await http.get(BASE, headers=headers)).status_code == 403
    assert (await http.get(BASE)).status_code == 401


async def test_a_client_sees_only_its_own_subscriptions_the_department_all(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    first = bearer(hooks_app, await create_service_client(hooks_sessions))
    second = bearer(hooks_app, await create_service_client(hooks_sessions))
    admin = bearer(hooks_app, await create_user(hooks_sessions, roles=("admin",)))
    mine = await subscribe(http, first)
    theirs = await subscribe(http, second)
    listed = (await http.get(BASE, headers=first)).json()["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
    for method, suffix, json in (
        ("GET", "", None),
        ("PATCH", "", {"active": False}),
        ("DELETE", "", None),
        ("POST", "/rotate-secret", None),
    ):
        response = await http.request(
            method, f"{BASE}/{theirs['id']}{suffix}", json=json, headers=first
        )
        assert response.status_code == 404, (method, suffix, response.text)
        assert response.json()["code"] == "NOT_FOUND"
    everyone = set()
    cursor: str | None = None
    while True:
        page = await http.get(
            BASE, params={"limit": 100, **({"cursor": cursor} if cursor else {})}, headers=admin
        )
        everyone |= {item["id"] for item in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert {mine["id"], theirs["id"]} <= everyone
    assert (await http.get(f"{BASE}/{theirs['id']}", headers=admin)).status_code == 200


async def test_the_list_pages_with_a_cursor(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    made = [(await subscribe(http, client, description=f"第{n}个"))["id"] for n in range(3)]
    first = (await http.get(BASE, params={"limit": 2}, headers=client)).json()
    assert [item["id"] for item in first["items"]] == made[:2]
    rest = await http.get(BASE, params={"limit": 2, "cursor": first["next_cursor"]}, headers=client)
    assert [item["id"] for item in rest.json()["items"]] == made[2:]
    assert rest.json()["next_cursor"] is None


async def test_with_an_empty_allow_list_a_loopback_url_is_refused_at_body_url(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    assert app.state.settings.webhook_allowed_addresses == []
    response = await client.post(
        BASE, json=body(url="http://127.0.0.1:9/hook"), headers=admin_headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert violation_fields(response) == ["body.url"]
    assert (
        "loopback" in problem["violations"][0]["message"]
        or "环回" in problem["violations"][0]["message"]
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://intranet.example.org/hook", "a private address"),
        ("http://metadata.example.org/latest", "a cloud metadata address"),
        ("https://mixed.example.org/hook", "a cloud metadata address"),
        ("http://nowhere.example.org/hook", "does not resolve"),
        ("http://127.0.0.2:9/hook", "a loopback address"),  # allow-listed is 127.0.0.1 alone
        ("http://[::1]:9/hook", "a loopback address"),
        ("http://0.0.0.0:9/hook", "the unspecified address"),
        ("http://hooks.example.org:99999/hook", "not valid"),
    ],
)
async def test_the_address_guard_refuses_at_body_url(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions, url: str, why: str
) -> None:
    if not url.startswith(("http://127.", "http://[::1]", "http://0.0.0.0")):
        hooks_app.state.resolver = stand_in_resolver
    admin = {**bearer(hooks_app, await create_user(hooks_sessions, roles=("admin",)))}
    response = await http.post(BASE, json=body(url=url), headers={**admin, "Accept-Language": "en"})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert violation_fields(response) == ["body.url"]
    assert why in response.json()["violations"][0]["message"]


async def test_a_public_address_passes_the_guard(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    hooks_app.state.resolver = stand_in_resolver
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client, url="https://hooks.example.org/in")
    assert created["url"] == "https://hooks.example.org/in"


async def test_production_takes_only_https(
    database_url: str,
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
) -> None:
    prod = app_factory(database_url, env="prod", jwt_secret="p" * 40)
    prod.state.resolver = stand_in_resolver
    admin = bearer(prod, await create_user(prod.state.sessionmaker, roles=("admin",)))
    async with client_for(prod) as http:
        refused = await http.post(
            BASE,
            json=body(url="http://hooks.example.org/in"),
            headers={**admin, "Accept-Language": "en"},
        )
        assert refused.status_code == 422
        assert violation_fields(refused) == ["body.url"]
        assert "Only https" in refused.json()["violations"][0]["message"]
        made = await http.post(BASE, json=body(url="https://hooks.example.org/in"), headers=admin)
        assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    ("event_types", "fields"),
    [
        (["listing.published", "listing.published"], ["body.event_types.1"]),
        (["listing.published", "project.exploded"], ["body.event_types.1"]),
        ([], ["body.event_types"]),
    ],
)
async def test_event_types_are_known_unique_and_at_least_one(
    http: httpx.AsyncClient,
    hooks_app: FastAPI,
    hooks_sessions: Sessions,
    event_types: list[str],
    fields: list[str],
) -> None:
    admin = bearer(hooks_app, await create_user(hooks_sessions, roles=("admin",)))
    response = await http.post(BASE, json=body(event_types=event_types), headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert violation_fields(response) == fields


async def test_patch_validates_like_creation_and_honours_if_match(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client)
    path = f"{BASE}/{created['id']}"
    changed = await http.patch(
        path,
        json={"active": False, "event_types": ["project.created"], "description": None},
        headers={**client, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["active"] is False
    assert changed.json()["event_types"] == ["project.created"]
    assert changed.json()["description"] is None
    stale = await http.patch(path, json={"active": True}, headers={**client, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "VERSION_CONFLICT"
    refused = await http.patch(path, json={"url": "http://10.1.1.1/x"}, headers=client)
    assert refused.status_code == 422
    assert violation_fields(refused) == ["body.url"]
    unknown = await http.patch(path, json={"event_types": ["nothing.happened"]}, headers=client)
    assert unknown.status_code == 422
    assert violation_fields(unknown) == ["body.event_types.0"]
    moved = await http.patch(path, json={"url": "http://127.0.0.1:8080/other"}, headers=client)
    assert moved.status_code == 200, moved.text
    assert moved.json()["url"] == "http://127.0.0.1:8080/other"


async def test_delete_hides_the_subscription_from_every_read(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client)
    path = f"{BASE}/{created['id']}"
    deleted = await http.delete(path, headers=client)
    assert deleted.status_code == 204
    assert (await http.get(path, headers=client)).status_code == 404
    assert (await http.delete(path, headers=client)).status_code == 404
    assert (await http.post(f"{path}/rotate-secret", headers=client)).status_code == 404
    assert (await http.get(BASE, headers=client)).json()["items"] == []
    async with hooks_sessions() as session:
        row = await session.get(WebhookSubscription, uuid.UUID(str(created["id"])))
        assert row is not None
        assert row.deleted_at is not None
        assert row.active is False


async def test_rotation_returns_a_new_secret_and_keeps_the_old_one_for_24_hours(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client)
    before = datetime.now(UTC)
    rotated = await http.post(f"{BASE}/{created['id']}/rotate-secret", headers=client)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != created["secret"]
    assert new.startswith("whsec_")
    expires = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert before + timedelta(hours=23) < expires <= datetime.now(UTC) + timedelta(hours=25)
    read = await http.get(f"{BASE}/{created['id']}", headers=client)
    assert new not in read.text
    assert str(created["secret"]) not in read.text
    async with hooks_sessions() as session:
        row = await session.get(WebhookSubscription, uuid.UUID(str(created["id"])))
        assert row is not None
        assert signing.signing_secrets(row, expires - timedelta(seconds=1)) == [
            new,
            created["secret"],
        ]
        assert signing.signing_secrets(row, expires) == [new]


async def test_every_change_is_audited_without_the_secret(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client)
    path = f"{BASE}/{created['id']}"
    await http.patch(path, json={"active": False}, headers=client)
    rotated = (await http.post(f"{path}/rotate-secret", headers=client)).json()
    await http.delete(path, headers=client)
    async with hooks_sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.resource_id == str(created["id"]))
                .order_by(AuditEntry.resource_seq)
            )
        )
    assert [e.action for e in entries] == [
        "webhook_subscription.create",
        "webhook_subscription.update",
        "webhook_subscription.rotate_secret",
        "webhook_subscription.delete",
    ]
    assert all(e.actor_type == "service" for e in entries)
    assert entries[0].changes is not None
    assert entries[0].changes["url"]["new"] == HOOK
    assert entries[1].changes == {"active": {"old": True, "new": False}}
    written = " ".join(f"{e.changes} {e.data}" for e in entries)
    for secret in (created["secret"], rotated["secret"]):
        assert str(secret) not in written
    assert "secret'" not in written.replace("previous_secret_expires_at", "")


async def test_a_retried_rotation_replays_its_answer_instead_of_rotating_again(
    http: httpx.AsyncClient, hooks_app: FastAPI, hooks_sessions: Sessions
) -> None:
    client = bearer(hooks_app, await create_service_client(hooks_sessions))
    created = await subscribe(http, client)
    path = f"{BASE}/{created['id']}/rotate-secret"
    key = {**client, "Idempotency-Key": f"rotate-{uuid.uuid4()}"}
    first = await http.post(path, headers=key)
    again = await http.post(path, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["secret"] == first.json()["secret"]
    async with hooks_sessions() as session:
        row = await session.get(WebhookSubscription, uuid.UUID(str(created["id"])))
        assert row is not None
        assert row.secret == first.json()["secret"]
        assert row.previous_secret == created["secret"]


async def test_without_name_resolution_only_ip_addresses_pass(
    database_url: str,
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
) -> None:
    literal = app_factory(
        database_url, webhook_allowed_addresses=["127.0.0.1"], webhook_resolve_names=False
    )
    admin = bearer(literal, await create_user(literal.state.sessionmaker, roles=("admin",)))
    async with client_for(literal) as http:
        named = await http.post(
            BASE,
            json=body(url="http://localhost:9/hook"),
            headers={**admin, "Accept-Language": "en"},
        )
        assert named.status_code == 422
        assert violation_fields(named) == ["body.url"]
        assert "does not resolve" in named.json()["violations"][0]["message"]
        made = await http.post(BASE, json=body(), headers=admin)
        assert made.status_code == 201, made.text
