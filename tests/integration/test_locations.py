"""A create answers 201 with `Location`: the path where the new resource is read."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from factories import (
    Sessions,
    application_body,
    bearer,
    create_organization,
    create_published_listing,
    create_user,
    valid_uscc,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def follow(
    client: httpx.AsyncClient, created: httpx.Response, headers: dict[str, str]
) -> None:
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.endswith(f"/{created.json()['id']}")
    read = await client.get(location, headers=headers)
    assert read.status_code == 200, read.text
    assert read.json()["id"] == created.json()["id"]


async def test_creates_say_where_the_resource_is(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions
) -> None:
    user = await create_user(sessions)
    headers = bearer(app, user)
    org = await client.post(
        "/api/v1/organizations",
        json={"name": "内蒙古定位测试有限公司", "uscc": valid_uscc(), "type": "enterprise"},
        headers=headers,
    )
    await follow(client, org, headers)

    listing = await client.post(
        "/api/v1/listings",
        json={"kind": "tech_breakthrough", "proposer_org_id": org.json()["id"], "title": "定位"},
        headers=headers,
    )
    await follow(client, listing, headers)

    upload = await client.post(
        "/api/v1/attachments", files={"file": ("a.png", PNG, "image/png")}, headers=headers
    )
    await follow(client, upload, headers)

    lead = await create_organization(sessions, manager=user, type="university", verified=True)
    published = await create_published_listing(sessions, await create_organization(sessions))
    application = await client.post(
        f"/api/v1/listings/{published.id}/applications",
        json=application_body(lead),
        headers=headers,
    )
    await follow(client, application, headers)
