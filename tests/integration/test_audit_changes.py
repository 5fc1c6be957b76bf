"""Audit entries carry the changed fields' old and new values, and the hash chain covers them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from factories import (
    Sessions,
    bearer,
    create_organization,
    create_user,
    unique,
    valid_uscc,
)
from jiebang_api.audit import repository as audit_repository
from jiebang_api.audit import service as audit
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.migrations import upgrade
from jiebang_api.models import User

ORGS = "/api/v1/organizations"
LISTINGS = "/api/v1/listings"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
ALICE = Actor(ActorType.USER, "alice")
BOOKKEEPING = {"id", "version", "created_at", "updated_at", "search_text"}
AppFactory = Callable[..., FastAPI]
ClientFor = Callable[[FastAPI], httpx.AsyncClient]


def listing_body(org_id: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "tech_breakthrough",
        "proposer_org_id": str(org_id),
        "title": "稀土永磁材料高矫顽力制备关键技术",
        "industry": "新材料",
        "background": "现有产品矫顽力不足。",
        "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
        "time_requirement_months": 24,
        "total_rd_investment": "15000000.00",
        "demand_requirements": "提供中试线。",
        "supply_requirements": "具备研发团队。",
        "ip_ownership": "双方共有。",
        "benefit_sharing": "按投入比例。",
        **overrides,
    }


@pytest.fixture
async def user(sessions: Sessions) -> User:
    return await create_user(sessions)


@pytest.fixture
def headers(app: FastAPI, user: User) -> dict[str, str]:
    return bearer(app, user)


async def history(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = await client.get(f"{url}/history", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def drafted_listing(
    client: httpx.AsyncClient, sessions: Sessions, manager: User, headers: dict[str, str]
) -> str:
    org = await create_organization(
        sessions,
        manager=manager,
        independent_legal_person=True,
        high_tech=True,
        verified_flags=["independent_legal_person", "high_tech"],
    )
    response = await client.post(LISTINGS, json=listing_body(org.id), headers=headers)
    assert response.status_code == 201, response.text
    listing_id: str = response.json()["id"]
    return listing_id


# --- through the API ------------------------------------------------------------------------


async def test_an_organisation_patch_records_exactly_the_changed_fields(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    name = unique("内蒙古测试")
    body = {"name": name, "uscc": valid_uscc(), "type": "enterprise"}
    created = (await client.post(ORGS, json=body, headers=headers)).json()
    url = f"{ORGS}/{created['id']}"
    renamed = unique("内蒙古改名")
    edited = await client.patch(url, json={"name": renamed, "high_tech": True}, headers=headers)
    assert edited.status_code == 200, edited.text

    create, update = await history(client, url, headers)
    assert update["action"] == "organization.update"
    assert update["changes"] == {
        "name": {"old": name, "new": renamed},
        "high_tech": {"old": False, "new": True},
    }
    assert create["changes"]["name"] == {"old": None, "new": name}
    assert create["changes"]["uscc"] == {"old": None, "new": body["uscc"]}
    assert create["changes"]["high_tech"] == {"old": None, "new": False}
    assert "parent_org_id" not in create["changes"], "a new object's nulls are left out"
    assert not BOOKKEEPING & (create["changes"].keys() | update["changes"].keys())


async def test_a_listing_patch_records_old_and_new_money_as_decimal_strings(
    client: httpx.AsyncClient, sessions: Sessions, user: User, headers: dict[str, str]
) -> None:
    listing_id = await drafted_listing(client, sessions, user, headers)
    url = f"{LISTINGS}/{listing_id}"
    edited = await client.patch(
        url,
        json={"title": "稀土永磁材料关键技术（修订）", "total_rd_investment": "1500000.5"},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text

    entries = await history(client, url, headers)
    assert [e["action"] for e in entries] == ["listing.create", "listing.update"]
    assert entries[1]["changes"] == {
        "title": {"old": "稀土永磁材料高矫顽力制备关键技术", "new": "稀土永磁材料关键技术（修订）"},
        "total_rd_investment": {"old": "15000000.00", "new": "1500000.50"},
    }
    created = entries[0]["changes"]
    assert created["total_rd_investment"] == {"old": None, "new": "15000000.00"}
    assert created["key_technologies"]["new"] == [
        {"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}
    ]
    assert not BOOKKEEPING & created.keys()


# --- in one session -------------------------------------------------------------------------


async def record(session: AsyncSession, org_id: uuid.UUID, **extra: Any) -> dict[str, Any] | None:
    """Audit an organisation in `session`; the changes the entry carries."""
    entry = await audit.record(
        session,
        actor=ALICE,
        action="organization.update",
        resource_type="organization",
        resource_id=org_id,
        now=datetime.now(UTC),
        **extra,
    )
    return entry.changes


async def test_flushes_merge_until_the_entry_is_written(sessions: Sessions) -> None:
    org = await create_organization(sessions, name="甲单位")
    async with sessions() as session:
        session.add(org)
        org.name, org.high_tech = "乙单位", True
        await session.flush()
        org.name, org.high_tech = "丙单位", False  # high_tech is back where it started
        changes = await record(session, org.id)  # record flushes what is still pending
        assert changes == {"name": {"old": "甲单位", "new": "丙单位"}}
        assert await record(session, org.id) is None, "taken changes are not written twice"
        await session.commit()


async def test_explicit_changes_win_and_consume_the_noted_ones(sessions: Sessions) -> None:
    org = await create_organization(sessions)
    given = {"note": {"old": None, "new": "手工"}}
    async with sessions() as session:
        session.add(org)
        org.high_tech = True
        assert await record(session, org.id, changes=given) == given
        assert await record(session, org.id) is None
        await session.commit()


async def test_changes_of_a_rolled_back_transaction_reach_no_later_entry(
    sessions: Sessions,
) -> None:
    org = await create_organization(sessions)
    org_id = org.id
    async with sessions() as session:
        session.add(org)
        org.high_tech = True
        await session.flush()
        await session.rollback()  # the next flush opens a new transaction
        assert await record(session, org_id) is None
        await session.commit()


async def test_credentials_never_enter_the_trail(sessions: Sessions) -> None:
    async with sessions() as session:
        user = User(
            id=uuid.uuid4(),
            username=unique("user"),
            password_hash="$argon2id$v=19$secret",
            display_name="张三",
            roles=[],
        )
        session.add(user)
        entry = await audit.record(
            session,
            actor=ALICE,
            action="user.register",
            resource_type="user",
            resource_id=user.id,
            now=datetime.now(UTC),
        )
        await session.commit()
    assert entry.changes is not None
    assert entry.changes["display_name"] == {"old": None, "new": "张三"}
    assert "password_hash" not in entry.changes


# --- the hash chain -------------------------------------------------------------------------


@pytest.fixture
async def own_database(empty_database: str) -> str:
    """A database of this test's own, so tampering cannot disturb other tests."""
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS)
    return empty_database


async def test_the_hash_chain_covers_changes(
    own_database: str, app_factory: AppFactory, client_for: ClientFor
) -> None:
    app = app_factory(own_database)
    sessions: Sessions = app.state.sessionmaker
    manager = await create_user(sessions)
    headers = bearer(app, manager)
    async with client_for(app) as client:
        listing_id = await drafted_listing(client, sessions, manager, headers)
        edited = await client.patch(
            f"{LISTINGS}/{listing_id}", json={"total_rd_investment": "1.00"}, headers=headers
        )
        assert edited.status_code == 200, edited.text
    async with sessions() as session:
        assert (await audit.verify(session)).ok
        target = (await audit_repository.list_for(session, "listing", listing_id))[-1]
    assert target.changes is not None

    forged = {"total_rd_investment": {"old": "15000000.00", "new": "9.00"}}
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE audit_entry SET changes = :changes WHERE id = :id").bindparams(
                bindparam("changes", type_=JSON), bindparam("id", type_=Uuid)
            ),
            {"changes": forged, "id": target.id},
        )
    async with sessions() as session:
        assert (await audit_repository.list_for(session, "listing", listing_id))[
            -1
        ].changes == forged
        report = await audit.verify(session)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.resource_seq) == (str(target.id), 2)
    assert report.broken.reason == "hash does not match the entry's content"


async def test_an_entry_without_changes_stores_sql_null(sessions: Sessions) -> None:
    resource = uuid.uuid4()
    async with sessions() as session:
        entry = await audit.record(
            session,
            actor=ALICE,
            action="x",
            resource_type="listing",
            resource_id=resource,
            now=datetime.now(UTC),
        )
        await session.commit()
    assert entry.changes is None
    async with sessions() as session:
        stored = await session.scalar(
            text("SELECT count(*) FROM audit_entry WHERE resource_id = :r AND changes IS NULL"),
            {"r": str(resource)},
        )
    assert stored == 1
