"""`Idempotency-Key`: a POST that creates something or moves money, sent again with the same
key by the same caller, is answered with the first one's response instead of running again.

The key is claimed in a short transaction of its own before the operation runs, so that a
concurrent retry sees it at once (409 `IDEMPOTENCY_IN_FLIGHT`). The operation's response is
written into the claim in the operation's own transaction: the change and the response that
reports it are committed together, or neither is. A refusal (4xx) or a failure releases the
claim, so a retry runs afresh. The same key with another body (method, path or bytes) is 422
`IDEMPOTENCY_KEY_REUSED`. Keys are kept for `idempotency_ttl_seconds` (24 h by default),
per caller: the signed-in account or service client, else the client address.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from jiebang_api.api import deps
from jiebang_api.kit.errors import BadRequest, Conflict, ErrorCode, InputInvalid, Message
from jiebang_api.models import IdempotencyRecord
from jiebang_api.settings import Settings

HEADER = "idempotency-key"
# A claim whose request never finished (the process died) is taken over after this long.
IN_FLIGHT_LEASE = timedelta(minutes=2)
# Response headers worth replaying; the rest (date, request id, length) belong to each reply.
KEPT_HEADERS = ("content-type", "location", "etag", "content-language")
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
_KEY = re.compile(KEY_PATTERN)

REQUIRED = Message(
    "该操作须带 Idempotency-Key 请求头（每次新的操作用新的键，重试用原来的键）。",
    "This operation needs an Idempotency-Key header (a new key per operation, the same key "
    "for its retries).",
)
REUSED = Message(
    "该幂等键已用于另一个请求（方法、路径或请求体不同）。",
    "This Idempotency-Key was used for another request (method, path or body differ).",
)
IN_FLIGHT = Message(
    "使用该幂等键的请求仍在处理中，请稍后重试。",
    "The request with this Idempotency-Key is still in progress; retry shortly.",
)

DESCRIPTION = (
    "A key of your choosing (1 to 200 visible ASCII characters), new for each operation and "
    "the same for its retries: a retry gets the first response replayed "
    "(`Idempotent-Replayed: true`); while the first is in progress 409 "
    "`IDEMPOTENCY_IN_FLIGHT`; the same key with another body 422 `IDEMPOTENCY_KEY_REUSED`. "
    "Kept 24 hours per caller."
)


async def optional_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description=DESCRIPTION,
            examples=["5f0c1c2e-disbursement-first"],
        ),
    ] = None,
) -> str | None:
    """The operation honours `Idempotency-Key` (`StrictRoute` runs the protocol)."""
    return idempotency_key


async def required_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="Required (400 `IDEMPOTENCY_KEY_REQUIRED` without it). " + DESCRIPTION,
            examples=["5f0c1c2e-disbursement-first"],
        ),
    ] = None,
) -> str | None:
    """The operation needs `Idempotency-Key` (money moves)."""
    return idempotency_key


DEPENDENCIES = {optional_key: False, required_key: True}


@dataclass(frozen=True)
class Claim:
    caller: str
    key: str


def _caller(request: Request) -> str:
    verified = getattr(request.state, "verified_token", None)
    if verified is not None:
        claims = verified[1]
        return f"{claims.kind.value}:{claims.subject}"
    return f"address:{request.client.host if request.client else 'unknown'}"


async def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode()):
        digest.update(part + b"\x00")
    digest.update(await request.body())
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    headers = {**(record.headers or {}), "idempotent-replayed": "true"}
    body = (record.body or "").encode()
    return Response(content=body, status_code=record.status_code or 200, headers=headers)


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    caller: str,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> Claim | Response:
    """Take the key, or answer with what it already stands for."""
    async with sessions() as session:
        found = await session.get(IdempotencyRecord, (caller, key), with_for_update=True)
        stale = found is not None and (
            found.expires_at <= now
            or (found.state == "in_flight" and found.created_at + IN_FLIGHT_LEASE <= now)
        )
        if found is None or stale:
            if found is not None:
                await session.delete(found)
                await session.flush()
            session.add(
                IdempotencyRecord(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    state="in_flight",
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            try:
                await session.commit()
            except IntegrityError:  # a concurrent request took it first
                await session.rollback()
                found = await session.get(IdempotencyRecord, (caller, key))
            else:
                return Claim(caller, key)
        if found is None:  # taken and released again meanwhile: the client may retry
            raise Conflict(IN_FLIGHT, code=ErrorCode.IDEMPOTENCY_IN_FLIGHT)
        if found.fingerprint != fingerprint:
            raise InputInvalid(REUSED, code=ErrorCode.IDEMPOTENCY_KEY_REUSED)
        if found.state == "in_flight":
            raise Conflict(IN_FLIGHT, code=ErrorCode.IDEMPOTENCY_IN_FLIGHT)
        return _replay(found)


async def _complete(session: AsyncSession, claim: Claim, response: Response) -> None:
    """Write the response into the claim, in the operation's transaction."""
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    body = bytes(response.body).decode() if response.body else ""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.caller == claim.caller, IdempotencyRecord.key == claim.key)
        .values(state="done", status_code=response.status_code, headers=headers, body=body)
    )


async def _release(sessions: async_sessionmaker[AsyncSession], claim: Claim) -> None:
    async with sessions() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.caller == claim.caller,
                IdempotencyRecord.key == claim.key,
                IdempotencyRecord.state == "in_flight",
            )
        )
        await session.commit()


async def run(
    request: Request, required: bool, operation: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Run `operation` (a POST with its own unit of work) under the key's protocol."""
    key = request.headers.get(HEADER)
    if key is None and required:
        raise BadRequest(REQUIRED, code=ErrorCode.IDEMPOTENCY_KEY_REQUIRED)
    if key is None or not _KEY.fullmatch(key):  # a malformed key: the operation's 422
        return await _in_unit_of_work(request, operation, None)
    settings: Settings = request.app.state.settings
    sessions = request.app.state.sessionmaker
    now = request.app.state.clock.now()
    claimed = await _claim(
        sessions,
        _caller(request),
        key,
        await _fingerprint(request),
        now,
        timedelta(seconds=settings.idempotency_ttl_seconds),
    )
    if isinstance(claimed, Response):
        return claimed
    try:
        response = await _in_unit_of_work(request, operation, claimed)
    except BaseException:
        await _release(sessions, claimed)
        raise
    if response.status_code >= 300:  # a refusal the operation answered itself
        await _release(sessions, claimed)
    return response


async def _in_unit_of_work(
    request: Request, operation: Callable[[Request], Awaitable[Response]], claim: Claim | None
) -> Response:
    async with deps.unit_of_work(request) as session:
        request.state.session = session
        response = await operation(request)
        if claim is not None and response.status_code < 300:
            await _complete(session, claim, response)
        return response


# `dependencies=` of the operations that create something (the key is optional) and of
# those that move money (required).
CREATES = [Depends(optional_key)]
MOVES_MONEY = [Depends(required_key)]


async def purge_expired(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Delete the records whose keys have expired (the worker's housekeeping); how many."""
    async with sessions() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
        )
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
