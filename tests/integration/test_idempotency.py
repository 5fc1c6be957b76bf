"""`Idempotency-Key` on the operations that create something: a retry gets the first
response, never a second resource; another body under the same key is refused; a refusal
leaves the key free; each caller has keys of its own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from factories import Sessions, bearer, create_user, unique, valid_uscc
from jiebang_api.kit.clock import FixedClock
from jiebang_api.models import IdempotencyRecord, Organization
from jiebang_api.worker import forget_expired_keys

ORGANIZATIONS = "/api/v1/organizations"


def new_organization() -> dict[str, str]:
    return {"name": unique("幂等单位"), "uscc": valid_uscc(), "type": "enterprise"}


async def count_named(sessions: Sessions, name: str) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(Organization).where(Organization.name == name)
        )
    return int(found or 0)


async def test_a_retry_gets_the_first_response_and_makes_nothing_new(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": str(uuid.uuid4())}
    body = new_organization()
    first = await client.post(ORGANIZATIONS, json=body, headers=headers)
    again = await client.post(ORGANIZATIONS, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert "idempotent-replayed" not in first.headers
    assert await count_named(sessions, body["name"]) == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": "order-1"}
    assert (await client.post(ORGANIZATIONS, json=new_organization(), headers=headers)).is_success
    other = new_organization()
    refused = await client.post(ORGANIZATIONS, json=other, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert await count_named(sessions, other["name"]) == 0


async def test_each_caller_has_keys_of_its_own(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    bodies = [new_organization(), new_organization()]
    for body in bodies:
        headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": "same-key"}
        made = await client.post(ORGANIZATIONS, json=body, headers=headers)
        assert made.status_code == 201, made.text
    assert [await count_named(sessions, b["name"]) for b in bodies] == [1, 1]


async def test_a_refusal_leaves_the_key_free_for_a_corrected_retry(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    key = str(uuid.uuid4())
    headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": key}
    body = new_organization()
    taken = {**new_organization(), "uscc": body["uscc"]}
    other = bearer(app, await create_user(sessions))
    assert (await client.post(ORGANIZATIONS, json=taken, headers=other)).is_success
    refused = await client.post(ORGANIZATIONS, json=body, headers=headers)
    assert refused.status_code == 409, refused.text  # the credit code is registered already
    async with sessions() as session:
        kept = await session.scalar(
            select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)
        )
    assert kept == 0
    body["uscc"] = valid_uscc()
    retried = await client.post(ORGANIZATIONS, json=body, headers=headers)
    assert retried.status_code == 201, retried.text  # ran afresh: the refusal was not kept


async def test_concurrent_retries_make_one_resource(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": str(uuid.uuid4())}
    body = new_organization()
    replies = await asyncio.gather(
        *(client.post(ORGANIZATIONS, json=body, headers=headers) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    made = {r.json()["id"] for r in replies if r.status_code == 201}
    assert len(made) == 1
    assert {r.json()["code"] for r in replies if r.status_code == 409} <= {"IDEMPOTENCY_IN_FLIGHT"}
    assert await count_named(sessions, body["name"]) == 1


async def test_the_worker_forgets_expired_keys_only(sessions: Sessions) -> None:
    now = datetime.now(UTC)
    caller = f"test:{uuid.uuid4()}"
    async with sessions() as session:
        for key, expires in (
            ("old", now - timedelta(seconds=1)),
            ("fresh", now + timedelta(hours=1)),
        ):
            session.add(
                IdempotencyRecord(
                    caller=caller,
                    key=key,
                    fingerprint="0" * 64,
                    state="done",
                    created_at=now - timedelta(days=1),
                    expires_at=expires,
                )
            )
        await session.commit()
    assert await forget_expired_keys(sessions, clock=FixedClock(now)) >= 1
    async with sessions() as session:
        left = await session.scalars(
            select(IdempotencyRecord.key).where(IdempotencyRecord.caller == caller)
        )
        assert list(left.all()) == ["fresh"]


async def test_a_malformed_key_is_refused_before_anything_is_claimed(
    client: httpx.AsyncClient, app: FastAPI, sessions: Sessions
) -> None:
    headers = {**bearer(app, await create_user(sessions)), "Idempotency-Key": "k" * 201}
    body = new_organization()
    refused = await client.post(ORGANIZATIONS, json=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_FAILED")
    assert [v["field"] for v in refused.json()["violations"]] == ["header.Idempotency-Key"]
    assert await count_named(sessions, body["name"]) == 0
