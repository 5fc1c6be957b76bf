"""The public catalogue, the worker's sweep and policy versions."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from factories import (
    Sessions,
    create_listing,
    create_organization,
    create_published_listing,
    unique,
)
from jiebang_api.kit.clock import FixedClock
from jiebang_api.models import AuditEntry, Event, Listing
from jiebang_api.worker import sweep_once

PUBLIC = "/api/v1/public/listings"
HIDDEN = (
    "draft",
    "submitted",
    "under_assessment",
    "approved",
    "confirmed",
    "rejected",
    "withdrawn",
    "cancelled",
)


async def test_the_catalogue_shows_only_public_listings(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    org = await create_organization(sessions)
    marker = unique("目录")
    hidden = [await create_listing(sessions, org, status=s, title=f"{marker}{s}") for s in HIDDEN]
    shown = await create_published_listing(sessions, org, title=f"{marker}公开")
    items = (await client.get(PUBLIC, params={"q": marker})).json()["items"]
    assert [x["id"] for x in items] == [str(shown.id)]
    assert items[0]["proposer"]["name"] == org.name
    assert "eligibility_warnings" not in items[0]
    for listing in hidden:
        assert (await client.get(f"{PUBLIC}/{listing.id}")).status_code == 404
    assert (await client.get(f"{PUBLIC}/{shown.id}")).status_code == 200


@pytest.mark.parametrize("keyword", ["稀土", "永磁", "晶界", "矫顽力"])
async def test_a_chinese_keyword_finds_its_listing(
    client: httpx.AsyncClient, sessions: Sessions, keyword: str
) -> None:
    """Two Chinese characters are enough; title, background and key technologies count."""
    org = await create_organization(sessions)
    industry = unique("产业")
    listing = await create_published_listing(sessions, org, industry=industry)
    other = await create_published_listing(
        sessions, org, industry=industry, title="煤化工", background="节能", key_technologies=[]
    )
    found = (await client.get(PUBLIC, params={"q": keyword, "industry": industry})).json()["items"]
    ids = {x["id"] for x in found}
    assert str(listing.id) in ids
    assert str(other.id) not in ids


async def test_filters_and_stable_pages(client: httpx.AsyncClient, sessions: Sessions) -> None:
    org = await create_organization(sessions)
    industry = unique("产业")
    start = datetime.now(UTC)
    made = [
        await create_published_listing(
            sessions, org, industry=industry, published_at=start - timedelta(minutes=n)
        )
        for n in range(5)
    ]
    await create_published_listing(sessions, org, industry=industry, kind="achievement_transfer")
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"industry": industry, "kind": "tech_breakthrough", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(PUBLIC, params=params)).json()
        seen += [x["id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(x.id) for x in made], "newest publication first, no gaps or repeats"


async def test_an_ended_window_reads_closed_in_the_catalogue(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    org = await create_organization(sessions)
    industry = unique("产业")
    ended = await create_published_listing(sessions, org, industry=industry, days_open=-1)
    running = await create_published_listing(sessions, org, industry=industry)
    closed = (await client.get(PUBLIC, params={"industry": industry, "status": "closed"})).json()[
        "items"
    ]
    published = (
        await client.get(PUBLIC, params={"industry": industry, "status": "published"})
    ).json()["items"]
    assert [x["id"] for x in closed] == [str(ended.id)]
    assert closed[0]["status"] == "closed"
    assert [x["id"] for x in published] == [str(running.id)]


async def test_window_bounds(client: httpx.AsyncClient, sessions: Sessions) -> None:
    org = await create_organization(sessions)
    industry = unique("产业")
    soon = await create_published_listing(sessions, org, industry=industry, days_open=3)
    later = await create_published_listing(sessions, org, industry=industry, days_open=60)
    bound = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    found = (await client.get(PUBLIC, params={"industry": industry, "closes_after": bound})).json()[
        "items"
    ]
    assert [x["id"] for x in found] == [str(later.id)]
    assert str(soon.id) not in {x["id"] for x in found}


async def test_the_worker_persists_closes_with_audit_and_event(sessions: Sessions) -> None:
    org = await create_organization(sessions)
    ended = await create_published_listing(sessions, org, days_open=-1)
    running = await create_published_listing(sessions, org)
    done = await sweep_once(sessions, clock=FixedClock(datetime.now(UTC)), sandbox_enabled=False)
    assert done["listing"] >= 1
    async with sessions() as session:
        assert (await session.get(Listing, ended.id)).status == "closed"  # type: ignore[union-attr]
        assert (await session.get(Listing, running.id)).status == "published"  # type: ignore[union-attr]
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.resource_id == str(ended.id))
        )
        event = await session.scalar(select(Event.type).where(Event.resource_id == str(ended.id)))
    assert entry is not None
    assert (entry.actor_type, entry.from_state, entry.to_state) == ("system", "published", "closed")
    assert event == "listing.closed"
    again = await sweep_once(sessions, clock=FixedClock(datetime.now(UTC)), sandbox_enabled=False)
    async with sessions() as session:
        count = len(
            (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.resource_id == str(ended.id))
                )
            ).all()
        )
    assert count == 1, "a second sweep closes nothing twice"
    assert again["listing"] >= 0


async def test_worker_once_from_the_command_line(database_url: str) -> None:
    env = {
        **os.environ,
        "JIEBANG_DATABASE_URL": database_url,
        "JIEBANG_ENV": "test",
        "JIEBANG_LOG_JSON": "true",
        # The worker also delivers webhooks: to the shared database's subscriptions, whose
        # made-up host names are never sent to a DNS resolver (and loopback is refused).
        "JIEBANG_WEBHOOK_RESOLVE_NAMES": "false",
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "jiebang_api", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "listing:" in result.stdout


async def test_policy_versions(
    client: httpx.AsyncClient, admin_headers: dict[str, str], backend: str
) -> None:
    seeded = (await client.get("/api/v1/policy-versions")).json()["items"]
    first = seeded[-1]
    assert (first["agreement_min_ratio"], first["subsidy_max_ratio"], first["subsidy_cap"]) == (
        "0.3000",
        "0.3000",
        "10000000.00",
    )
    assert (first["tech_breakthrough_max_months"], first["achievement_transfer_max_months"]) == (
        36,
        24,
    )
    body = {
        "name": "测试版本",
        "effective_on": f"{2100 + (1 if backend == 'sqlite' else 2)}-01-01",
        "agreement_min_ratio": "0.35",
        "subsidy_max_ratio": "0.3",
        "subsidy_cap": "12000000.00",
        "tech_breakthrough_max_months": 36,
        "achievement_transfer_max_months": 24,
        "publicity_working_days": 7,
    }
    created = await client.post("/api/v1/policy-versions", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["agreement_min_ratio"] == "0.3500"
    again = await client.post("/api/v1/policy-versions", json=body, headers=admin_headers)
    assert again.status_code == 409
    for bad in ({"subsidy_max_ratio": "1.5"}, {"subsidy_cap": 12.5}, {"agreement_min_ratio": 0.3}):
        assert (
            await client.post(
                "/api/v1/policy-versions", json={**body, **bad}, headers=admin_headers
            )
        ).status_code == 422
    assert (await client.post("/api/v1/policy-versions", json=body)).status_code == 401


@pytest.mark.parametrize("ratio", ["x", "0*", "0.30000", "1.5", "-0.1"])
async def test_a_ratio_that_is_no_decimal_is_refused_not_a_crash(
    client: httpx.AsyncClient, admin_headers: dict[str, str], ratio: str
) -> None:
    body = {
        "name": "坏比例",
        "effective_on": "2101-06-01",
        "agreement_min_ratio": ratio,
        "subsidy_max_ratio": "0.3",
        "subsidy_cap": "12000000.00",
        "tech_breakthrough_max_months": 36,
        "achievement_transfer_max_months": 24,
        "publicity_working_days": 7,
    }
    refused = await client.post("/api/v1/policy-versions", json=body, headers=admin_headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "VALIDATION_FAILED"
    assert [v["field"] for v in refused.json()["violations"]] == ["body.agreement_min_ratio"]
