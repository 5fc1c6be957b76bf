"""HTTP caching of the public catalogue: a weak ETag of the answer, 304 for a copy that is
still current, a shared-cache lifetime; answers to signed-in callers are never stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from conftest import AppFactory
from factories import (
    Sessions,
    bearer,
    create_organization,
    create_published_listing,
    create_user,
    unique,
)

PUBLIC = "/api/v1/public/listings"


async def _catalogue_of(client: httpx.AsyncClient, marker: str, **headers: str) -> httpx.Response:
    return await client.get(PUBLIC, params={"q": marker}, headers=headers)


async def test_a_repeated_catalogue_request_with_its_etag_answers_304(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    marker = unique("缓存")
    await create_published_listing(sessions, await create_organization(sessions), title=marker)
    first = await _catalogue_of(client, marker)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert etag.endswith('"')
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["Vary"] == "Accept-Language"

    again = await _catalogue_of(client, marker, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert again.headers["Vary"] == "Accept-Language"


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('W/"0000"', 200),
        ("{etag}", 304),
        ('"other", {etag}', 304),
        ("{strong}", 304),  # weak comparison: the W/ prefix does not matter
        ("*", 304),
    ],
)
async def test_if_none_match_compares_weakly_and_accepts_lists(
    client: httpx.AsyncClient, sessions: Sessions, if_none_match: str, status: int
) -> None:
    marker = unique("比较")
    await create_published_listing(sessions, await create_organization(sessions), title=marker)
    etag = (await _catalogue_of(client, marker)).headers["ETag"]
    header = if_none_match.format(etag=etag, strong=etag.removeprefix("W/"))
    response = await _catalogue_of(client, marker, **{"If-None-Match": header})
    assert response.status_code == status
    if status == 200:
        assert response.json()["items"][0]["title"] == marker


async def test_a_change_to_a_listing_changes_the_etag(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    marker = unique("变更")
    listing = await create_published_listing(
        sessions, await create_organization(sessions), title=marker
    )
    one = f"{PUBLIC}/{listing.id}"
    page_before = (await _catalogue_of(client, marker)).headers["ETag"]
    one_before = (await client.get(one)).headers["ETag"]
    assert page_before != one_before

    admin = bearer(app, await create_user(sessions, roles=("admin",)))
    closed = await client.post(f"/api/v1/listings/{listing.id}/close", json={}, headers=admin)
    assert closed.status_code == 200, closed.text

    page_after = await _catalogue_of(client, marker, **{"If-None-Match": page_before})
    assert page_after.status_code == 200  # the old copy is stale: the whole new answer
    assert page_after.json()["items"][0]["status"] == "closed"
    assert page_after.headers["ETag"] != page_before
    one_after = await client.get(one, headers={"If-None-Match": one_before})
    assert one_after.status_code == 200
    assert one_after.headers["ETag"] != one_before
    # ... and the new tag is current again
    assert (
        await client.get(one, headers={"If-None-Match": one_after.headers["ETag"]})
    ).status_code == 304


async def test_the_shared_cache_lifetime_is_a_setting(
    database_url: str,
    app_factory: AppFactory,
    client_for: Callable[..., Any],
    sessions: Sessions,
) -> None:
    listing = await create_published_listing(sessions, await create_organization(sessions))
    app = app_factory(database_url, public_max_age_seconds=0)
    async with client_for(app) as http:
        response = await http.get(f"{PUBLIC}/{listing.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=0"


async def test_an_unknown_listing_is_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{PUBLIC}/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert "etag" not in response.headers
    assert "public" not in response.headers.get("cache-control", "")


async def test_answers_to_signed_in_callers_are_private(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    me = await client.get("/api/v1/me", headers=bearer(app, await create_user(sessions)))
    assert me.status_code == 200
    assert me.headers["Cache-Control"] == "private, no-store"
    assert "etag" not in me.headers
