"""Identity over HTTP: forged tokens, the OAuth2 grants, registration and its rate limit,
accounts made by the department, service clients and the `create-admin` command. Sign-in
throttling has its own module, `test_login_throttling.py`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jose import jwt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from factories import (
    PASSWORD,
    add_member,
    bearer,
    create_organization,
    create_user,
    token_for,
    unique,
)
from jiebang_api.auth import passwords
from jiebang_api.auth import repository as auth_repository
from jiebang_api.auth import service as auth_service
from jiebang_api.auth.principal import MembershipRole
from jiebang_api.auth.roles import Role
from jiebang_api.auth.tokens import Claims, SubjectKind
from jiebang_api.models import ServiceClient, User

PROBLEM = "application/problem+json"
ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"
REGISTER = "/api/v1/auth/register"
USERS = "/api/v1/users"
SERVICE_CLIENTS = "/api/v1/service-clients"

Sessions = async_sessionmaker[AsyncSession]
AppFactory = Callable[..., FastAPI]
ClientFor = Callable[[FastAPI], httpx.AsyncClient]


# ---------------------------------------------------------------------------------------------
# helpers


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    return body


def assert_unauthenticated(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 401, "UNAUTHENTICATED")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    return body


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unb64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


DROP = object()  # an override that removes the claim


def claims_for(app: FastAPI, subject: uuid.UUID | str, **overrides: object) -> dict[str, Any]:
    """The claims the app itself would issue for `subject`, with some changed or dropped."""
    settings = app.state.settings
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(subject),
        "typ": "access",
        "knd": "user",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    for name, value in overrides.items():
        if value is DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def mint(
    app: FastAPI,
    subject: uuid.UUID | str,
    *,
    key: str | None = None,
    algorithm: str = "HS256",
    **overrides: object,
) -> str:
    """A token signed with the app's own HS256 secret unless another key is given."""
    signing_key = key if key is not None else app.state.settings.jwt_secret.get_secret_value()
    token: str = jwt.encode(claims_for(app, subject, **overrides), signing_key, algorithm=algorithm)
    return token


def hand_signed(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None) -> str:
    """A JWS built by hand: HMAC-SHA256 over the segments with `hmac_key`, or no signature."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    if hmac_key is None:
        return f"{signing_input}."
    signature = hmac.new(hmac_key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    """An in-process client whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def password_grant(
    http: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await http.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


async def user_named(sessions: Sessions, username: str) -> User | None:
    async with sessions() as session:
        statement = select(User).where(func.lower(User.username) == username.lower())
        return (await session.execute(statement)).scalar_one_or_none()


def rsa_pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@pytest.fixture(scope="session")
def rsa_keys() -> tuple[str, str]:
    """The RS256 app's key pair (private PEM, public PEM)."""
    return rsa_pem_pair()


@pytest.fixture(scope="session")
def foreign_rsa_keys() -> tuple[str, str]:
    """Another key pair, which the RS256 app does not trust."""
    return rsa_pem_pair()


@pytest.fixture
def rs256_app(app_factory: AppFactory, database_url: str, rsa_keys: tuple[str, str]) -> FastAPI:
    private_pem, public_pem = rsa_keys
    return app_factory(
        database_url,
        jwt_algorithm="RS256",
        jwt_private_key=private_pem,
        jwt_public_key=public_pem,
    )


@pytest.fixture
async def user(sessions: Sessions) -> User:
    return await create_user(sessions)


# ---------------------------------------------------------------------------------------------
# bearer tokens: genuine ones work, forged ones are refused


async def test_genuine_tokens_read_me(app: FastAPI, client: httpx.AsyncClient, user: User) -> None:
    for token in (token_for(app, user), mint(app, user.id)):
        response = await client.get(ME, headers=auth(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["kind"] == "user"
        assert body["user"]["id"] == str(user.id)


async def test_token_expired_within_the_leeway_still_works(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    now = int(time.time())
    assert app.state.settings.jwt_leeway_seconds >= 20
    token = mint(app, user.id, iat=now - 1800, exp=now - 10)
    assert (await client.get(ME, headers=auth(token))).status_code == 200


async def test_only_accepted_memberships_reach_the_principal_and_me(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, user: User
) -> None:
    """An invitation not yet accepted is no membership: not in the principal the token
    becomes (so no access and no `org_member` role), not in `GET /me`."""
    invited_to, member_of = await create_organization(sessions), await create_organization(sessions)
    await add_member(sessions, invited_to, user, role="manager", status="invited")
    await add_member(sessions, member_of, user, role="member")
    async with sessions() as session:
        principal = await auth_service.principal_for(session, Claims(user.id, SubjectKind.USER))
    assert dict(principal.memberships) == {member_of.id: MembershipRole.MEMBER}
    assert not principal.manages(invited_to.id)
    assert Role.ORG_MEMBER in principal.roles
    me = (await client.get(ME, headers=bearer(app, user))).json()
    assert [m["organization_id"] for m in me["memberships"]] == [str(member_of.id)]


async def test_an_invitation_alone_gives_no_member_role(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, user: User
) -> None:
    await add_member(sessions, await create_organization(sessions), user, status="invited")
    me = (await client.get(ME, headers=bearer(app, user))).json()
    assert (me["roles"], me["memberships"]) == ([], [])


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert_unauthenticated(await client.get(ME))


def _tampered(app: FastAPI, user: User, other: User) -> str:
    """A genuine token for `user` whose payload now names `other`, signature kept."""
    header, payload, signature = token_for(app, user).split(".")
    claims = unb64url_json(payload)
    claims["sub"] = str(other.id)
    return f"{header}.{b64url_json(claims)}.{signature}"


def _alg_none(app: FastAPI, user: User, alg: str) -> str:
    return hand_signed({"alg": alg, "typ": "JWT"}, claims_for(app, user.id), None)


def _expired(app: FastAPI, user: User) -> str:
    now = int(time.time())
    return mint(app, user.id, iat=now - 3600, exp=now - 120)  # beyond any allowed leeway (≤ 60 s)


Forgery = Callable[[FastAPI, User, User], str]

FORGERIES: dict[str, Forgery] = {
    "alg-none": lambda app, user, _: _alg_none(app, user, "none"),
    "alg-None": lambda app, user, _: _alg_none(app, user, "None"),
    "alg-NONE": lambda app, user, _: _alg_none(app, user, "NONE"),
    "hs256-empty-signature": lambda app, user, _: mint(app, user.id).rsplit(".", 1)[0] + ".",
    "hs256-wrong-secret": lambda app, user, _: mint(
        app, user.id, key="not-the-secret-0123456789abcdef0123"
    ),
    "hs512-right-secret": lambda app, user, _: mint(app, user.id, algorithm="HS512"),
    "expired": lambda app, user, _: _expired(app, user),
    "wrong-aud": lambda app, user, _: mint(app, user.id, aud="someone-else"),
    "aud-list-without-us": lambda app, user, _: mint(app, user.id, aud=["a", "b"]),
    "no-aud": lambda app, user, _: mint(app, user.id, aud=DROP),
    "wrong-iss": lambda app, user, _: mint(app, user.id, iss="https://evil.example"),
    "no-iss": lambda app, user, _: mint(app, user.id, iss=DROP),
    "no-exp": lambda app, user, _: mint(app, user.id, exp=DROP),
    "no-iat": lambda app, user, _: mint(app, user.id, iat=DROP),
    "not-yet-valid": lambda app, user, _: mint(app, user.id, nbf=int(time.time()) + 3600),
    "tampered-sub": _tampered,
    "no-typ": lambda app, user, _: mint(app, user.id, typ=DROP),
    "typ-refresh": lambda app, user, _: mint(app, user.id, typ="refresh"),
    "no-sub": lambda app, user, _: mint(app, user.id, sub=DROP),
    "sub-not-a-uuid": lambda app, user, _: mint(app, "admin"),
    "sub-unknown": lambda app, user, _: mint(app, uuid.uuid4()),
    "no-knd": lambda app, user, _: mint(app, user.id, knd=DROP),
    "knd-unknown": lambda app, user, _: mint(app, user.id, knd="root"),
    "knd-service-for-a-user": lambda app, user, _: mint(app, user.id, knd="service"),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
async def test_forged_tokens_are_401(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, user: User, forgery: Forgery
) -> None:
    other = await create_user(sessions, roles=("admin",))
    assert_unauthenticated(await client.get(ME, headers=auth(forgery(app, user, other))))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer garbage",
        "Bearer a.b.c",
        "Bearer ...",
        "Bearer e30.e30.",  # {} . {} . no signature
        "Bearer W10.W10.c2ln",  # [] . [] . "sig"
        "Bearer eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",  # payload is not JSON
        "Bearer " + "A" * 4000,
        "Bearer ü.ö.ä".encode(),
        "Basic dXNlcjpwYXNz",
    ],
    ids=[
        "word",
        "three-letters",
        "dots",
        "empty-objects",
        "json-arrays",
        "payload-not-json",
        "long",
        "non-ascii",
        "basic-scheme",
    ],
)
async def test_malformed_tokens_are_401(
    client: httpx.AsyncClient, authorization: str | bytes
) -> None:
    assert_unauthenticated(await client.get(ME, headers={"Authorization": authorization}))


async def test_inactive_users_token_is_401(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    inactive = await create_user(sessions, is_active=False)
    assert_unauthenticated(await client.get(ME, headers=bearer(app, inactive)))


# RS256


async def test_rs256_app_accepts_its_own_tokens(
    rs256_app: FastAPI, client_for: ClientFor, sessions: Sessions, rsa_keys: tuple[str, str]
) -> None:
    user = await create_user(sessions)
    private_pem, _ = rsa_keys
    async with client_for(rs256_app) as http:
        for token in (
            token_for(rs256_app, user),
            mint(rs256_app, user.id, key=private_pem, algorithm="RS256"),
        ):
            assert unb64url_json(token.split(".")[0])["alg"] == "RS256"
            response = await http.get(ME, headers=auth(token))
            assert response.status_code == 200, response.text
            assert response.json()["user"]["id"] == str(user.id)


async def test_rs256_app_refuses_hs256_signed_with_its_public_key(
    rs256_app: FastAPI, client_for: ClientFor, sessions: Sessions, rsa_keys: tuple[str, str]
) -> None:
    """The algorithm-confusion attack: the public key (which is public) as an HMAC secret."""
    user = await create_user(sessions)
    _, public_pem = rsa_keys
    claims = claims_for(rs256_app, user.id)
    confused = [
        hand_signed({"alg": "HS256", "typ": "JWT"}, claims, public_pem.encode()),
        hand_signed({"alg": "HS256", "typ": "JWT"}, claims, public_pem.strip().encode()),
    ]
    async with client_for(rs256_app) as http:
        for token in confused:
            assert_unauthenticated(await http.get(ME, headers=auth(token)))


@pytest.mark.parametrize(
    "kind", ["alg-none", "hs256-default-secret", "foreign-rsa-key", "expired", "wrong-aud"]
)
async def test_rs256_app_refuses_other_forgeries(
    rs256_app: FastAPI,
    client_for: ClientFor,
    sessions: Sessions,
    rsa_keys: tuple[str, str],
    foreign_rsa_keys: tuple[str, str],
    kind: str,
) -> None:
    user = await create_user(sessions)
    private_pem, _ = rsa_keys
    now = int(time.time())
    token = {
        "alg-none": lambda: _alg_none(rs256_app, user, "none"),
        # the app still has a (default) HS256 secret in its settings; it must not be honoured
        "hs256-default-secret": lambda: mint(rs256_app, user.id),
        "foreign-rsa-key": lambda: mint(
            rs256_app, user.id, key=foreign_rsa_keys[0], algorithm="RS256"
        ),
        "expired": lambda: mint(
            rs256_app, user.id, key=private_pem, algorithm="RS256", iat=now - 3600, exp=now - 120
        ),
        "wrong-aud": lambda: mint(
            rs256_app, user.id, key=private_pem, algorithm="RS256", aud="someone-else"
        ),
    }[kind]()
    async with client_for(rs256_app) as http:
        assert_unauthenticated(await http.get(ME, headers=auth(token)))


async def test_hs256_app_refuses_rs256_tokens(
    app: FastAPI, client: httpx.AsyncClient, user: User, rsa_keys: tuple[str, str]
) -> None:
    token = mint(app, user.id, key=rsa_keys[0], algorithm="RS256")
    assert_unauthenticated(await client.get(ME, headers=auth(token)))


# ---------------------------------------------------------------------------------------------
# the password grant


async def test_password_grant_issues_a_working_token(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    response = await password_grant(client, user.username.upper())  # names are case-blind
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == app.state.settings.access_token_ttl_seconds
    claims = jwt.get_unverified_claims(body["access_token"])
    assert claims["sub"] == str(user.id)
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    me = await client.get(ME, headers=auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["username"] == user.username
    assert me.json()["kind"] == "user"


async def test_password_grant_refusals_are_401_and_alike(
    client: httpx.AsyncClient, sessions: Sessions, user: User
) -> None:
    inactive = await create_user(sessions, is_active=False)
    refusals = [
        await password_grant(client, user.username, "wrong-password-123"),
        await password_grant(client, unique("nobody")),
        await password_grant(client, inactive.username),
    ]
    bodies = [assert_unauthenticated(r) for r in refusals]
    for body in bodies:  # nothing tells an unknown name from a wrong password
        assert body["error"] == "invalid_grant"
        assert body["detail"] == bodies[0]["detail"]
        assert "access_token" not in body


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "someone"},
        {"grant_type": "password", "password": PASSWORD},
        {"grant_type": "password", "username": "", "password": PASSWORD},
        {"grant_type": "password"},
        {"username": "someone", "password": PASSWORD},
        {"grant_type": "authorization_code", "username": "someone", "password": PASSWORD},
        {"grant_type": "refresh_token", "refresh_token": "x"},
        {"grant_type": "client_credentials", "client_id": "svc_x"},
        {"grant_type": "client_credentials", "username": "someone", "password": PASSWORD},
    ],
    ids=[
        "no-password",
        "no-username",
        "empty-username",
        "grant-only",
        "no-grant-type",
        "unknown-grant",
        "refresh-grant",
        "no-client-secret",
        "client-grant-with-password-fields",
    ],
)
async def test_incomplete_or_unknown_grants_are_422(
    client: httpx.AsyncClient, form: dict[str, str]
) -> None:
    assert_problem(await client.post(TOKEN, data=form), 422, "VALIDATION_FAILED")


async def test_password_grant_refuses_json(client: httpx.AsyncClient, user: User) -> None:
    body = {"grant_type": "password", "username": user.username, "password": PASSWORD}
    response = await client.post(TOKEN, json=body)
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------------
# sign-in throttling: tests/integration/test_login_throttling.py


async def test_password_checks_run_off_the_event_loop(
    client: httpx.AsyncClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An argon2 check costs a CPU-heavy fraction of a second: it runs in a worker thread, so
    the event loop (and every other request of the process) keeps moving meanwhile."""
    on_loop_thread: list[bool] = []
    original = passwords._verify

    def spy(secret_hash: str, secret: str) -> bool:
        on_loop_thread.append(threading.current_thread() is threading.main_thread())
        return original(secret_hash, secret)

    monkeypatch.setattr(passwords, "_verify", spy)
    response = await password_grant(client, user.username, "not-the-password")
    assert response.status_code == 401
    assert on_loop_thread == [False]


# ---------------------------------------------------------------------------------------------
# service clients and the client-credentials grant


async def test_service_client_lifecycle(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    created = await client.post(
        SERVICE_CLIENTS, json={"name": "科技计划管理系统"}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    client_id, secret = body["client_id"], body["client_secret"]
    assert body["roles"] == ["integration"]
    assert "secret_hash" not in body

    granted = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert granted.status_code == 200, granted.text
    token = granted.json()["access_token"]
    assert granted.json()["token_type"] == "bearer"

    me = await client.get(ME, headers=auth(token))
    assert me.status_code == 200
    assert me.json()["kind"] == "service"
    assert me.json()["roles"] == ["integration"]
    assert me.json()["user"] is None
    assert me.json()["service_client"]["client_id"] == client_id
    assert me.json()["memberships"] == []

    # an integration may not act as the department
    assert_problem(
        await client.post(SERVICE_CLIENTS, json={"name": "x"}, headers=auth(token)),
        403,
        "FORBIDDEN",
    )

    wrong = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret + "x",
        },
    )
    assert assert_unauthenticated(wrong)["error"] == "invalid_client"

    async with sessions() as session:
        stored = (
            await session.execute(select(ServiceClient).where(ServiceClient.client_id == client_id))
        ).scalar_one()
    assert stored.secret_hash != secret
    assert secret not in stored.secret_hash
    assert stored.secret_hash.startswith("$argon2")


async def test_only_admins_create_service_clients(
    app: FastAPI, client: httpx.AsyncClient, user: User
) -> None:
    body = {"name": "x"}
    assert_unauthenticated(await client.post(SERVICE_CLIENTS, json=body))
    assert_problem(
        await client.post(SERVICE_CLIENTS, json=body, headers=bearer(app, user)), 403, "FORBIDDEN"
    )


# ---------------------------------------------------------------------------------------------
# registration


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": unique("reg."),
        "password": "correct-horse-battery",
        "display_name": "张伟",
        "email": "zhang.wei@example.com",
    }
    body.update(overrides)
    return body


async def test_register_creates_a_user_without_roles(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    body = registration()
    response = await client.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["username"] == body["username"]
    assert created["roles"] == []
    assert created["is_active"] is True
    assert "password" not in created
    assert "password_hash" not in created

    stored = await user_named(sessions, body["username"])
    assert stored is not None
    assert stored.roles == []
    assert stored.password_hash.startswith("$argon2")
    assert stored.password_hash != body["password"]
    assert body["password"] not in stored.password_hash

    token = await password_grant(client, body["username"], body["password"])
    assert token.status_code == 200
    me = await client.get(ME, headers=auth(token.json()["access_token"]))
    assert me.json()["roles"] == []


async def test_register_refuses_a_short_password(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    body = registration(password="nine-char")
    problem = assert_problem(await client.post(REGISTER, json=body), 422, "VALIDATION_FAILED")
    assert [v["field"] for v in problem["violations"]] == ["body.password"]
    assert await user_named(sessions, body["username"]) is None


@pytest.mark.parametrize("variant", [str.upper, str.lower, lambda s: f" {s} "])
async def test_register_refuses_the_username_as_password(
    client: httpx.AsyncClient, sessions: Sessions, variant: Callable[[str], str]
) -> None:
    username = unique("SameName")
    body = registration(username=username, password=variant(username))
    problem = assert_problem(await client.post(REGISTER, json=body), 422, "VALIDATION_FAILED")
    assert "body.password" in [v["field"] for v in problem["violations"]]
    assert await user_named(sessions, username) is None


async def test_register_refuses_a_taken_username_in_any_case(client: httpx.AsyncClient) -> None:
    username = unique("Taken.")
    first = await client.post(REGISTER, json=registration(username=username))
    assert first.status_code == 201
    for again in (username, username.lower(), username.upper()):
        response = await client.post(REGISTER, json=registration(username=again))
        assert_problem(response, 409, "CONFLICT")


async def test_concurrent_registrations_differing_in_case_leave_one_account(
    client: httpx.AsyncClient, sessions: Sessions, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """Usernames are unique regardless of case, also when two sign-ups race.

    The service looks the name up case-blindly and then inserts; the database's unique
    constraint is on the exact spelling. The lookup is held until both sign-ups have done it,
    which is what happens by chance under load (SQLite lets one transaction in at a time, so
    there the wait just times out). `Name` and `name` must not both succeed: afterwards
    neither could sign in, because the case-blind lookup finds two rows (500).
    """
    hold_seconds = 0.1 if backend == "sqlite" else 2.0
    looked_up: list[str] = []
    both = asyncio.Event()
    original = auth_repository.user_by_username

    async def held_lookup(session: AsyncSession, username: str) -> User | None:
        found = await original(session, username)
        looked_up.append(username)
        if len(looked_up) >= 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), timeout=hold_seconds)
        return found

    monkeypatch.setattr(auth_repository, "user_by_username", held_lookup)
    username = unique("Race.")
    responses = await asyncio.gather(
        client.post(REGISTER, json=registration(username=username)),
        client.post(REGISTER, json=registration(username=username.lower())),
    )
    monkeypatch.undo()
    async with sessions() as session:
        statement = select(func.count()).where(func.lower(User.username) == username.lower())
        accounts = (await session.execute(statement)).scalar_one()
    outcome = (sorted(r.status_code for r in responses), accounts)
    assert outcome == ([201, 409], 1), [r.text for r in responses]
    login = await password_grant(client, username, registration()["password"])
    assert login.status_code == 200, login.text


@pytest.mark.parametrize(
    "extra",
    [
        {"roles": ["admin"]},
        {"is_active": False},
        {"affiliation_org_id": str(uuid.uuid4())},
        {"id": str(uuid.uuid4())},
        {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"},
    ],
    ids=["roles", "is_active", "affiliation", "id", "password_hash"],
)
async def test_register_refuses_unknown_fields(
    client: httpx.AsyncClient, sessions: Sessions, extra: dict[str, Any]
) -> None:
    body = registration(**extra)
    problem = assert_problem(await client.post(REGISTER, json=body), 422, "VALIDATION_FAILED")
    (name,) = extra
    assert any(str(v["field"]).endswith(name) for v in problem["violations"]), problem
    assert await user_named(sessions, body["username"]) is None


async def test_registrations_are_limited_per_address(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, registration_limit="1/hour")
    async with client_at(app, "10.0.2.1") as a, client_at(app, "10.0.2.2") as b:
        assert (await a.post(REGISTER, json=registration())).status_code == 201
        refused = await a.post(REGISTER, json=registration())
        assert_problem(refused, 429, "RATE_LIMITED")
        assert int(refused.headers["Retry-After"]) > 0
        assert (await b.post(REGISTER, json=registration())).status_code == 201


async def test_the_registration_limit_runs_before_the_body_is_validated(
    app_factory: AppFactory, database_url: str
) -> None:
    """Invalid sign-ups count too, and once the limit is reached they answer 429, not 422:
    a flood of malformed bodies costs its sender the same as well-formed ones."""
    app = app_factory(database_url, registration_limit="2/hour")
    invalid = {"username": "ab", "display_name": ""}  # no password, a short name, no name
    async with client_at(app, "10.0.2.3") as a, client_at(app, "10.0.2.4") as b:
        assert (await a.post(REGISTER, json=registration())).status_code == 201
        assert_problem(await a.post(REGISTER, json=invalid), 422, "VALIDATION_FAILED")
        for body in (invalid, registration()):
            refused = await a.post(REGISTER, json=body)
            problem = assert_problem(refused, 429, "RATE_LIMITED")
            assert problem["retry_after"] == int(refused.headers["Retry-After"]) > 0
        # another address is not affected
        assert_problem(await b.post(REGISTER, json=invalid), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    "overrides",
    [
        {"username": "ab"},
        {"username": "has space"},
        {"username": "-leading-dash"},
        {"username": "张伟伟伟"},
        {"username": "x" * 65},
        {"password": "p" * 129},
        {"display_name": ""},
        {"email": "not-an-email"},
    ],
    ids=["short-name", "space", "dash", "non-ascii", "long-name", "long-pw", "no-name", "email"],
)
async def test_register_validates_fields(
    client: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    body = registration(**overrides)
    assert_problem(await client.post(REGISTER, json=body), 422, "VALIDATION_FAILED")


# ---------------------------------------------------------------------------------------------
# accounts made by the department


async def test_admin_creates_an_expert_with_an_affiliation(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    org = await create_organization(sessions)
    body = registration(
        username=unique("expert."), roles=["expert"], affiliation_org_id=str(org.id)
    )
    response = await client.post(USERS, json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["roles"] == ["expert"]
    assert created["affiliation_org_id"] == str(org.id)

    stored = await user_named(sessions, body["username"])
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")

    token = await password_grant(client, body["username"], body["password"])
    me = await client.get(ME, headers=auth(token.json()["access_token"]))
    assert me.json()["roles"] == ["expert"]


@pytest.mark.parametrize(
    "roles", [["integration"], ["org_member"], ["root"], ["expert", "integration"]]
)
async def test_admin_may_not_grant_other_roles(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions, roles: list[str]
) -> None:
    body = registration(roles=roles)
    response = await client.post(USERS, json=body, headers=admin_headers)
    assert_problem(response, 422, "VALIDATION_FAILED")
    assert await user_named(sessions, body["username"]) is None


async def test_affiliation_must_exist(
    client: httpx.AsyncClient, admin_headers: dict[str, str], sessions: Sessions
) -> None:
    body = registration(roles=["expert"], affiliation_org_id=str(uuid.uuid4()))
    response = await client.post(USERS, json=body, headers=admin_headers)
    assert_problem(response, 422, "VALIDATION_FAILED")
    assert await user_named(sessions, body["username"]) is None


async def test_only_admins_create_users(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    expert = await create_user(sessions, roles=("expert",))
    body = registration(roles=["admin"])
    assert_unauthenticated(await client.post(USERS, json=body))
    assert_problem(
        await client.post(USERS, json=body, headers=bearer(app, expert)), 403, "FORBIDDEN"
    )
    assert await user_named(sessions, body["username"]) is None


# ---------------------------------------------------------------------------------------------
# the create-admin command


def run_create_admin(
    database_url: str, username: str, password: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("JIEBANG_")}
    env.update({"JIEBANG_DATABASE_URL": database_url, "JIEBANG_ENV": "test"})
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "jiebang_api",
            "create-admin",
            "--username",
            username,
            "--password-stdin",
        ],
        input=f"{password}\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


async def test_create_admin_command(
    database_url: str, client: httpx.AsyncClient, sessions: Sessions, tmp_path: Path
) -> None:
    username = unique("chief.")
    password = "a-long-admin-password"
    done = await asyncio.to_thread(run_create_admin, database_url, username, password, tmp_path)
    assert done.returncode == 0, done.stderr
    assert username in done.stdout

    token = await password_grant(client, username, password)
    assert token.status_code == 200, token.text
    me = await client.get(ME, headers=auth(token.json()["access_token"]))
    assert me.json()["roles"] == ["admin"]

    stored = await user_named(sessions, username)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")

    short_name = unique("chief.")
    short, again = await asyncio.gather(  # a short password; a name taken in another case
        asyncio.to_thread(run_create_admin, database_url, short_name, "short", tmp_path),
        asyncio.to_thread(run_create_admin, database_url, username.upper(), password, tmp_path),
    )
    assert short.returncode == 1, short.stderr
    assert "refused" in short.stderr
    assert await user_named(sessions, short_name) is None
    assert again.returncode == 1, again.stderr
    assert "refused" in again.stderr


async def test_a_token_is_verified_once_per_request(
    app: FastAPI, client: httpx.AsyncClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`StrictRoute` checks the token before the body is read; the principal reuses that."""
    codec = app.state.token_codec
    reads: list[str] = []
    original = codec.read

    def counting(token: str) -> Any:
        reads.append(token)
        return original(token)

    monkeypatch.setattr(codec, "read", counting)
    response = await client.get("/api/v1/me", headers=auth(token_for(app, user)))
    assert response.status_code == 200, response.text
    assert len(reads) == 1
