"""Request dependencies: the unit of work, settings, clock and caller.

Every dependency is `async def`: FastAPI runs a plain `def` one in the thread pool, a thread
hop per request for what is an attribute read."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator
from datetime import datetime
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import service as auth_service
from jiebang_api.auth.principal import ANONYMOUS, Principal
from jiebang_api.auth.service import Limits
from jiebang_api.auth.tokens import Claims, TokenCodec
from jiebang_api.kit.clock import Clock, OffsetClock
from jiebang_api.kit.db import ReadSessions, Replica
from jiebang_api.sandbox import service as sandbox
from jiebang_api.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD"})


@contextlib.asynccontextmanager
async def unit_of_work(
    request: Request, *, replica_reads: bool = False
) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: one transaction, committed before the response is sent.

    `StrictRoute` opens it around each operation that asks for a session (`SessionDep`),
    after authentication, and `get_session` hands it to the operation: a dependency with
    `yield` costs FastAPI an exit stack and a shielded cancel scope per request.

    A safe request (GET, HEAD) changes nothing, so it reads through a read-only session
    instead (`kit.db.make_read_sessionmaker`): no BEGIN and COMMIT around its queries. Read
    sessions are reused from request to request (`kit.db.ReadSessions`).

    Requests take their turn for a connection in arrival order (`database_turns`, as many
    as the pool keeps): waiting in the pool's own queue, a request woken for a returned
    connection loses it to any newcomer and queues again at the back, so under load a few
    requests waited seconds while most took milliseconds. No more turns than the pool keeps:
    an overflow connection is closed when it is returned to a full pool, and under load each
    request past the pool size paid for a new connection (a third of a millisecond).

    With `replica_reads` (the operation's route says so: the public catalogue) a safe
    request without an `Authorization` header reads the read replica, when one is set
    (`JIEBANG_DATABASE_READ_URL`), with the replica's sessions and turns: anonymous readers
    may see a copy that lags. Everything else reads and writes the primary."""
    state = request.app.state
    safe = request.method in SAFE_METHODS
    replica: Replica | None = state.replica if replica_reads and safe else None
    turns: asyncio.Semaphore | None
    readers: ReadSessions
    if replica is not None and "authorization" not in request.headers:
        turns, readers = replica.turns, replica.read_sessions
    else:
        turns, readers = state.database_turns, state.read_sessions
    async with turns if turns is not None else contextlib.nullcontext():
        if safe:
            reader = readers.take()
            try:
                yield reader
            except BaseException:
                await reader.close()  # and not kept: whatever failed stays with it
                raise
            await readers.give_back(reader)
            return
        async with state.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise


def session_of(request: Request) -> AsyncSession:
    """The unit of work `StrictRoute` opened for this request (`unit_of_work`)."""
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is None:
        raise RuntimeError("a session needs the operation's route to be a StrictRoute")
    return session


async def get_session(request: Request) -> AsyncSession:
    """`session_of` as a dependency (`SessionDep`)."""
    return session_of(request)


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_base_clock(request: Request) -> Clock:
    """The process clock (real time unless a test injected another)."""
    clock: Clock = request.app.state.clock
    return clock


BaseClockDep = Annotated[Clock, Depends(get_base_clock)]


async def get_clock(request: Request) -> Clock:
    """The clock rules use: real time in prod, the shared sandbox clock in dev and test."""
    settings: Settings = request.app.state.settings
    base: Clock = request.app.state.clock
    if not settings.sandbox_enabled:
        return base
    return OffsetClock(base, await sandbox.current_offset(session_of(request)))


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_now(request: Request) -> datetime:
    """The rules' "now" (`get_clock`'s time), one dependency to solve instead of two."""
    return (await get_clock(request)).now()


NowDep = Annotated[datetime, Depends(get_now)]


bearer = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scheme_name="OAuth2",
    auto_error=False,
    description="Sign in with a username and password (users) or, for the plan management "
    "system, client credentials sent to the same token endpoint.",
)


async def get_codec(request: Request) -> TokenCodec:
    codec: TokenCodec = request.app.state.token_codec
    return codec


def verified_claims(request: Request, token: str) -> Claims:
    """The token's claims, verified once per request: `StrictRoute` verifies it before the
    body is read, and the principal dependency reuses that (the state is the request's)."""
    verified: tuple[str, Claims] | None = getattr(request.state, "verified_token", None)
    if verified is not None and verified[0] == token:
        return verified[1]
    codec: TokenCodec = request.app.state.token_codec
    claims = codec.read(token)
    request.state.verified_token = (token, claims)
    return claims


async def get_principal(
    request: Request, token: Annotated[str | None, Depends(bearer)]
) -> Principal:
    """The caller named by the bearer token; 401 for a bad token, anonymous for none."""
    if token is None:
        return ANONYMOUS
    return await auth_service.principal_for(session_of(request), verified_claims(request, token))


async def get_optional_principal(request: Request) -> Principal:
    """For operations open to everyone: a bearer token is honoured but not advertised."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return ANONYMOUS
    claims = verified_claims(request, token.strip())
    return await auth_service.principal_for(session_of(request), claims)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalPrincipalDep = Annotated[Principal, Depends(get_optional_principal)]

# The dependencies that read the request's session (`session_of`): an operation that asks
# for any of them runs in a unit of work. They take it from the request rather than through
# `SessionDep`, one node fewer in the graph FastAPI solves on every request.
SESSION_DEPENDENCIES = frozenset(
    {get_session, get_clock, get_now, get_principal, get_optional_principal}
)
CodecDep = Annotated[TokenCodec, Depends(get_codec)]


async def get_limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


LimitsDep = Annotated[Limits, Depends(get_limits)]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """`JIEBANG_TRUSTED_PROXIES` (addresses or CIDR networks) as networks."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The address a request came from, as far as it can be believed.

    `peer` is the TCP peer. Only when it is a trusted proxy is `X-Forwarded-For` read, from
    the right (each proxy appends the address it received from): the first entry that is not
    a trusted proxy is the client; the entries to its left are the client's own say and are
    ignored. An entry that is not an IP address ends the walk at the proxy that reported it.
    """
    if not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        try:
            hop_ip = ipaddress.ip_address(hop)
        except ValueError:
            return address
        address = str(hop_ip)
        if not any(hop_ip in network for network in trusted):
            return address
    return address  # every hop is a proxy: the farthest one is all we know


async def get_client_address(request: Request) -> str:
    """The caller's address: the peer's, or what trusted proxies say (`client_address`)."""
    peer = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    if not settings.trusted_proxies:
        return peer
    trusted = trusted_networks(tuple(settings.trusted_proxies))
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)


ClientAddressDep = Annotated[str, Depends(get_client_address)]


async def count_registration(limits: LimitsDep, address: ClientAddressDep) -> None:
    """Count a sign-up attempt per address. A dependency, so it runs before the body is
    validated: malformed sign-ups count too, and over the limit they answer 429, not 422."""
    await auth_service.count_registration(limits, address)


async def count_objection(limits: LimitsDep, address: ClientAddressDep) -> None:
    """Count an objection per address, before its body is validated (429 over the limit)."""
    await auth_service.count_objection(limits, address)


async def get_if_match(
    if_match: Annotated[
        str | None,
        Header(
            description="The `ETag` of the version you read; a stale one answers 412.",
            pattern=r'^(\*|(W/)?"[0-9]{1,9}"|[0-9]{1,9})$',
            examples=['"3"'],
        ),
    ] = None,
) -> int | None:
    """The version named by `If-Match` (`"3"`, `W/"3"` or `3`); `*` or none means any."""
    if if_match is None or if_match == "*":
        return None
    return int(if_match.removeprefix("W/").strip('"'))


IfMatchDep = Annotated[int | None, Depends(get_if_match)]

# The `ETag` response header of every resource that `If-Match` guards (its row version).
ETAG = {"ETag": {"description": "The version, for `If-Match`.", "schema": {"type": "string"}}}
# The `Location` response header of a create: where the new resource is read.
LOCATION = {
    "Location": {
        "description": "Where the new resource is read (a path on this service).",
        "schema": {"type": "string", "format": "uri-reference"},
    }
}
