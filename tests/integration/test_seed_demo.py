"""`jiebang-api seed-demo`: the demo data testers start from. Made through the API's use
cases (every audit chain verifies), idempotent (a second run changes nothing), refused in
production (nothing written), and alive: every demo account signs in, the public catalogue
shows the three kinds, and the sandbox clock is back at the real time."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import AppFactory, make_settings
from jiebang_api.audit import service as audit
from jiebang_api.demo import cast, seed
from jiebang_api.models import (
    Agreement,
    Application,
    AuditEntry,
    Event,
    Listing,
    Objection,
    Organization,
    Project,
    ReviewRound,
    ServiceClient,
    User,
)

COUNTED = (User, ServiceClient, Organization, Listing, Application, AuditEntry, Event)


async def counts(app: FastAPI) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        return {
            model.__name__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in COUNTED
        }


@pytest.fixture
def demo_database(database_factory: Callable[[], str]) -> str:
    """A database of its own, migrated and empty: the demo's accounts have fixed names."""
    return database_factory()


@pytest.fixture(scope="module")
def module_database(database_factory: Callable[[], str]) -> str:
    return database_factory()


@pytest.fixture(scope="module")
async def seeded(module_database: str) -> tuple[str, seed.Report]:
    """A database seeded once for the module's tests (seeding takes a while)."""
    return module_database, await seed.seed(make_settings(module_database))


async def test_the_demo_is_seeded_once_and_lives(
    seeded: tuple[str, seed.Report],
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
) -> None:
    demo_database, first = seeded
    assert not first.nothing_to_do
    assert len(first.made["accounts"]) == len(cast.ACCOUNTS)
    app = app_factory(demo_database)
    before = await counts(app)
    assert before["Organization"] == 6
    assert before["ServiceClient"] == 1

    again = await seed.seed(make_settings(demo_database))
    assert again.nothing_to_do
    assert await counts(app) == before

    async with app.state.sessionmaker() as session:
        verified = await audit.verify(session)
    assert verified.broken is None
    assert verified.entries == before["AuditEntry"]

    async with client_for(app) as client:
        for account in cast.ACCOUNTS:
            form = {"grant_type": "password", "username": account.username}
            token = await client.post(
                "/api/v1/auth/token", data={**form, "password": cast.PASSWORD}
            )
            assert token.status_code == 200, (account.username, token.text)
        grant = {
            "grant_type": "client_credentials",
            "client_id": cast.CLIENT_ID,
            "client_secret": cast.CLIENT_SECRET,
        }
        assert (await client.post("/api/v1/auth/token", data=grant)).status_code == 200
        catalogue = (await client.get("/api/v1/public/listings", params={"limit": 100})).json()
        assert {item["kind"] for item in catalogue["items"]} == {
            "tech_breakthrough",
            "achievement_transfer",
            "emergency",
        }
        form = {"grant_type": "password", "username": cast.ADMIN.username}
        token = await client.post("/api/v1/auth/token", data={**form, "password": cast.PASSWORD})
        admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
        projects = (await client.get("/api/v1/projects", headers=admin)).json()["items"]
        assert {p["status"] for p in projects} == {"in_progress", "completed", "terminated"}
        clock = (await client.get("/api/v1/sandbox/clock")).json()
        assert clock["offset_seconds"] == 0


async def test_the_demo_holds_every_state_it_promises(
    seeded: tuple[str, seed.Report],
    app_factory: AppFactory,
    client_for: Callable[[FastAPI], httpx.AsyncClient],
) -> None:
    app = app_factory(seeded[0])
    async with app.state.sessionmaker() as session:
        statuses = set((await session.scalars(select(Listing.status))).all())
        applications = list((await session.scalars(select(Application))).all())
    assert statuses == {
        "draft",
        "submitted",
        "returned",
        "under_assessment",
        "approved",
        "confirmed",
        "rejected",
        "withdrawn",
        "cancelled",
        "published",
        "closed",
        "failed",
        "awarded",
    }
    submitted = [a for a in applications if a.status == "submitted"]
    assert len(submitted) == 4  # on the three listings still open
    assert any(a.eligibility_report and a.eligibility_report["warnings"] for a in submitted)
    assert any(a.eligibility_report and not a.eligibility_report["warnings"] for a in submitted)
    async with app.state.sessionmaker() as session:
        projects = sorted((await session.scalars(select(Project.status))).all())
        notices = list((await session.scalars(select(Agreement))).all())
        objections = int(await session.scalar(select(func.count()).select_from(Objection)) or 0)
        rounds = list((await session.scalars(select(ReviewRound))).all())
    assert projects == ["completed", "in_progress", "in_progress", "terminated"]
    assert [a.status for a in notices].count("in_publicity") == 1
    assert objections == 1
    assert "open" in {r.status for r in rounds}  # two of the three experts have scored
    (draft,) = [a for a in applications if a.status == "draft"]
    async with client_for(app) as client:
        form = {"grant_type": "password", "username": cast.PROPOSER.username}
        token = await client.post("/api/v1/auth/token", data={**form, "password": cast.PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        refused = await client.post(
            f"/api/v1/applications/{draft.id}/submit", json={}, headers=headers
        )
    # Art. 15: the proposer's own subsidiary may not take up its listing.
    assert refused.status_code == 422
    assert "R-ELIG-NOT-SUBSIDIARY" in {v["rule"] for v in refused.json()["violations"]}


async def test_an_interrupted_seeding_is_not_continued(
    demo_database: str, app_factory: AppFactory
) -> None:
    app = app_factory(demo_database)
    async with app.state.sessionmaker() as session:
        await seed._first_admin(session, app.state.clock.now())
        await session.commit()
    with pytest.raises(seed.Refused, match="interrupted"):
        await seed.seed(make_settings(demo_database))


def run_seed_demo(database_url: str, env: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("JIEBANG_")}
    environ.update(
        {"JIEBANG_DATABASE_URL": database_url, "JIEBANG_ENV": env, "JIEBANG_JWT_SECRET": "p" * 40}
    )
    return subprocess.run(
        [sys.executable, "-m", "jiebang_api", "seed-demo"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
        check=False,
    )


async def table_names(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()


async def test_production_refuses_and_writes_nothing(empty_database: str, tmp_path: Path) -> None:
    done = await asyncio.to_thread(run_seed_demo, empty_database, "prod", tmp_path)
    assert done.returncode == 2, done.stdout
    assert "dev and test environments only" in done.stderr
    assert await table_names(empty_database) == []  # not even migrated
