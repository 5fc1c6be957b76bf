"""Sign-in throttling (OWASP): failures only, per (username or client id, address) and per
address, with a doubling wait that never locks the rightful owner out; and which address a
request comes from when it passes through trusted proxies.

Each test builds its own app, so its in-memory counters start empty. The counters keep time
with `time.time()` (the `limits` library's and ours); `frozen` stands that still and moves
it by hand, so waits of up to a minute take no real time. One test waits for real, once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable
from typing import Any

import httpx
import limits.aio.storage.memory as limits_memory
import pytest
from fastapi import FastAPI

from factories import PASSWORD, create_service_client, create_user, unique
from jiebang_api.api.deps import client_address
from jiebang_api.kit import ratelimit

PROBLEM = "application/problem+json"
TOKEN = "/api/v1/auth/token"
WRONG = "not-the-password-1"

AppFactory = Callable[..., FastAPI]


class FrozenTime:
    """Stands in for the `time` module of the rate-limit storage and of `kit.ratelimit`."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    clock = FrozenTime()
    monkeypatch.setattr(limits_memory, "time", clock)
    monkeypatch.setattr(ratelimit, "time", clock)
    return clock


def client_at(
    app: FastAPI, address: str, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """An in-process client whose TCP peer is `address`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def password_grant(
    http: httpx.AsyncClient,
    username: str,
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    form = {"grant_type": "password", "username": username, "password": password}
    return await http.post(TOKEN, data=form, headers=headers)


async def client_grant(
    http: httpx.AsyncClient, client_id: str, secret: str = PASSWORD
) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return await http.post(TOKEN, data=form)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def assert_throttled(response: httpx.Response) -> int:
    """A 429 problem whose `Retry-After` header and `retry_after` member agree; the wait."""
    body = assert_problem(response, 429, "RATE_LIMITED")
    assert "access_token" not in body
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert body["retry_after"] == int(retry_after)
    return int(retry_after)


def assert_signed_in(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


# ---------------------------------------------------------------------------------------------
# the owner is never locked out


async def test_fifty_wrong_passwords_never_lock_the_owner_out(
    app_factory: AppFactory, database_url: str, frozen: FrozenTime
) -> None:
    """The issue's attack: 50 wrong passwords for a name. Elsewhere the owner signs in at
    once; at the attacker's address they wait at most a minute, then sign in."""
    app = app_factory(database_url)  # the defaults: 5 free failures, then 1, 2, 4 … 60 s
    owner = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.0.1") as attacker, client_at(app, "10.0.0.2") as home:
        statuses = [(await password_grant(attacker, owner.username, WRONG)).status_code]
        for attempt in range(49):  # names are case-blind: variants count as the same name
            name = owner.username.upper() if attempt % 2 else owner.username
            statuses.append((await password_grant(attacker, name, WRONG)).status_code)
        # 5 free failures; the 6th is checked and starts a 1 s wait that refuses the rest
        assert statuses == [401] * 6 + [429] * 44

        assert_signed_in(await password_grant(home, owner.username))

        wait = assert_throttled(await password_grant(attacker, owner.username))
        assert 0 < wait <= 60
        frozen.advance(wait)
        assert_signed_in(await password_grant(attacker, owner.username))


async def test_the_wait_doubles_up_to_a_minute_and_a_success_clears_it(
    app_factory: AppFactory, database_url: str, frozen: FrozenTime
) -> None:
    app = app_factory(database_url)
    user = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.1.1") as http:
        for _ in range(5):
            assert_problem(await password_grant(http, user.username, WRONG), 401, "UNAUTHENTICATED")
        for expected in (1, 2, 4, 8, 16, 32, 60, 60):
            assert_problem(await password_grant(http, user.username, WRONG), 401, "UNAUTHENTICATED")
            # even the right password waits; a refused attempt does not make the wait longer
            assert assert_throttled(await password_grant(http, user.username)) == expected
            frozen.advance(expected - 0.5)
            assert assert_throttled(await password_grant(http, user.username, WRONG)) == 1
            frozen.advance(0.5)

        assert_signed_in(await password_grant(http, user.username))
        # the success forgot the failures: five are free again, then the wait starts at 1 s
        for _ in range(6):
            assert_problem(await password_grant(http, user.username, WRONG), 401, "UNAUTHENTICATED")
        assert assert_throttled(await password_grant(http, user.username)) == 1


async def test_the_wait_passes_in_real_time(app_factory: AppFactory, database_url: str) -> None:
    app = app_factory(database_url, login_failure_limit="1/15minutes")
    user = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.2.1") as http:
        for _ in range(2):
            assert_problem(await password_grant(http, user.username, WRONG), 401, "UNAUTHENTICATED")
        wait = assert_throttled(await password_grant(http, user.username))
        assert wait == 1
        await asyncio.sleep(wait + 0.1)
        assert_signed_in(await password_grant(http, user.username))


async def test_successes_never_count_against_the_address(
    app_factory: AppFactory, database_url: str
) -> None:
    """Everyone behind one proxy signs in as often as they like; only failures count."""
    app = app_factory(database_url, login_address_limit="5/15minutes")
    users = [await create_user(app.state.sessionmaker) for _ in range(3)]
    async with client_at(app, "10.0.3.1") as http:
        for _ in range(4):
            assert_problem(
                await password_grant(http, unique("ghost"), WRONG), 401, "UNAUTHENTICATED"
            )
        for n in range(60):
            assert_signed_in(await password_grant(http, users[n % 3].username))
        # the four failures still count: one more is checked, the next is refused
        assert_problem(await password_grant(http, unique("ghost"), WRONG), 401, "UNAUTHENTICATED")
        assert_throttled(await password_grant(http, users[0].username))


async def test_the_address_limit_stops_spraying_from_that_address_only(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, login_address_limit="10/15minutes")
    member = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.4.1") as sprayer, client_at(app, "10.0.4.2") as other:
        for _ in range(10):
            assert_problem(
                await password_grant(sprayer, unique("ghost"), WRONG), 401, "UNAUTHENTICATED"
            )
        assert 0 < assert_throttled(await password_grant(sprayer, unique("ghost"))) <= 15 * 60
        # from that address even a real account with its password waits ...
        assert_throttled(await password_grant(sprayer, member.username))
        # ... and from any other it gets in
        assert_signed_in(await password_grant(other, member.username))


async def test_guesses_sent_together_get_no_extra_checks(
    app_factory: AppFactory, database_url: str
) -> None:
    """Attempts are counted before the password is checked, so a burst cannot slip past:
    with one free failure, two guesses are checked (the second starts the wait), the rest
    are refused. Another address is not delayed meanwhile."""
    app = app_factory(database_url, login_failure_limit="1/15minutes")
    victim = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.5.1") as http, client_at(app, "10.0.5.2") as other:
        responses = await asyncio.gather(
            *(password_grant(http, victim.username, f"guess-{n}-of-many") for n in range(5))
        )
        assert sorted(r.status_code for r in responses) == [401, 401, 429, 429, 429]
        assert_problem(await password_grant(other, victim.username, WRONG), 401, "UNAUTHENTICATED")


async def test_sprays_sent_together_cannot_exceed_the_address_limit(
    app_factory: AppFactory, database_url: str
) -> None:
    app = app_factory(database_url, login_address_limit="2/15minutes")
    async with client_at(app, "10.0.6.1") as http:
        responses = await asyncio.gather(
            *(password_grant(http, unique("ghost"), WRONG) for _ in range(5))
        )
    assert sorted(r.status_code for r in responses) == [401, 401, 429, 429, 429]


# ---------------------------------------------------------------------------------------------
# the client-credentials grant


async def test_client_credentials_are_throttled_per_client_and_address(
    app_factory: AppFactory, database_url: str, frozen: FrozenTime
) -> None:
    app = app_factory(database_url, login_failure_limit="2/15minutes")
    client = await create_service_client(app.state.sessionmaker)
    async with client_at(app, "10.0.7.1") as attacker, client_at(app, "10.0.7.2") as system:
        for _ in range(3):
            refused = await client_grant(attacker, client.client_id, WRONG)
            assert assert_problem(refused, 401, "UNAUTHENTICATED")["error"] == "invalid_client"
        wait = assert_throttled(await client_grant(attacker, client.client_id))
        assert wait == 1
        assert_signed_in(await client_grant(system, client.client_id))  # not delayed
        frozen.advance(wait)
        assert_signed_in(await client_grant(attacker, client.client_id))


# ---------------------------------------------------------------------------------------------
# the client address behind proxies


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    app_factory: AppFactory, database_url: str
) -> None:
    """Without trusted proxies a client cannot shed its wait by inventing addresses."""
    app = app_factory(database_url, login_failure_limit="1/15minutes")
    user = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.0.8.1") as http:
        for n in range(2):
            spoofed = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
            refused = await password_grant(http, user.username, WRONG, headers=spoofed)
            assert_problem(refused, 401, "UNAUTHENTICATED")
        spoofed = {"X-Forwarded-For": "203.0.113.9"}
        assert_throttled(await password_grant(http, user.username, headers=spoofed))


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    app_factory: AppFactory, database_url: str
) -> None:
    """Behind a trusted proxy each client has its own count: one client's failures do not
    delay another's, and a client cannot escape its own by prepending addresses."""
    app = app_factory(
        database_url, login_failure_limit="1/15minutes", trusted_proxies=["10.9.0.0/16"]
    )
    user = await create_user(app.state.sessionmaker)
    async with client_at(app, "10.9.0.5") as proxy:
        attacker = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(2):
            refused = await password_grant(proxy, user.username, WRONG, headers=attacker)
            assert_problem(refused, 401, "UNAUTHENTICATED")
        assert_throttled(await password_grant(proxy, user.username, headers=attacker))
        for spoofed in ("192.0.2.1, 198.51.100.7", "198.51.100.7, 10.9.1.1"):  # 2nd: two proxies
            assert_throttled(
                await password_grant(proxy, user.username, headers={"X-Forwarded-For": spoofed})
            )
        # the owner, behind the same proxy at another address, signs in at once
        owner = {"X-Forwarded-For": "198.51.100.8"}
        assert_signed_in(await password_grant(proxy, user.username, headers=owner))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.5", ["198.51.100.7"], "203.0.113.5"),  # peer not a proxy: header ignored
        ("10.9.0.5", [], "10.9.0.5"),  # a proxy that said nothing
        ("10.9.0.5", ["198.51.100.7"], "198.51.100.7"),
        ("10.9.0.5", ["1.1.1.1, 198.51.100.7"], "198.51.100.7"),  # the client's say ignored
        ("10.9.0.5", ["1.1.1.1, 198.51.100.7, 10.9.3.3"], "198.51.100.7"),  # two proxies
        ("10.9.0.5", ["1.1.1.1", "198.51.100.7"], "198.51.100.7"),  # repeated header
        ("10.9.0.5", ["10.9.7.7, 10.9.3.3"], "10.9.7.7"),  # all proxies: the farthest
        ("10.9.0.5", ["not-an-ip, 10.9.3.3"], "10.9.3.3"),  # garbage: the proxy that said it
        ("10.9.0.5", [" 2001:DB8::1 "], "2001:db8::1"),
        ("2001:db8:ffff::2", ["198.51.100.7"], "198.51.100.7"),  # an IPv6 proxy
        ("testclient", ["198.51.100.7"], "testclient"),  # a peer that is no address
    ],
)
def test_client_address(peer: str, forwarded_for: list[str], expected: str) -> None:
    trusted = (ipaddress.ip_network("10.9.0.0/16"), ipaddress.ip_network("2001:db8:ffff::/48"))
    assert client_address(peer, forwarded_for, trusted) == expected
