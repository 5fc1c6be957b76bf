"""Applications follow their listing through the event reactions (`jiebang_api.wiring`): a
close moves submitted applications to review, a cancel cancels drafts and submissions, in
the same transaction as the listing's own change, whichever way the change happens (an
administrator, the worker's sweep, the next write after the window ended), and a reaction
that fails takes the whole change with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from factories import (
    Sessions,
    application_body,
    bearer,
    create_organization,
    create_published_listing,
    create_user,
    end_window,
)
from jiebang_api.events import bus as events
from jiebang_api.kit.clock import FixedClock
from jiebang_api.listings.events import ListingClosed
from jiebang_api.models import Application, AuditEntry, Event, Listing, Organization
from jiebang_api.worker import sweep_once

LISTINGS = "/api/v1/listings"
APPLICATIONS = "/api/v1/applications"


# --- set-up ----------------------------------------------------------------------------------


@dataclass
class Applicant:
    org: Organization
    headers: dict[str, str]


@dataclass
class World:
    """A proposer's published tech-breakthrough listing (window open) and an HTTP client."""

    app: FastAPI
    http: httpx.AsyncClient
    sessions: Sessions
    listing_id: uuid.UUID
    proposer_headers: dict[str, str]
    admin_headers: dict[str, str]

    async def applicant(self) -> Applicant:
        """A new verified university (an eligible lead) with a member who acts for it."""
        user = await create_user(self.sessions)
        org = await create_organization(
            self.sessions, manager=user, type="university", verified=True
        )
        return Applicant(org, bearer(self.app, user))

    async def draft(self, who: Applicant) -> str:
        response = await self.http.post(
            f"{LISTINGS}/{self.listing_id}/applications",
            json=application_body(who.org),
            headers=who.headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "draft"
        return str(response.json()["id"])

    async def submitted(self, who: Applicant) -> str:
        application_id = await self.draft(who)
        response = await self.http.post(
            f"{APPLICATIONS}/{application_id}/submit", json={}, headers=who.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "submitted"
        return application_id

    async def listing_action(self, action: str, **body: Any) -> httpx.Response:
        return await self.http.post(
            f"{LISTINGS}/{self.listing_id}/{action}", json=body, headers=self.admin_headers
        )


@pytest.fixture
async def world(
    app: FastAPI, client: httpx.AsyncClient, sessions: Sessions, admin_headers: dict[str, str]
) -> World:
    proposer_user = await create_user(sessions)
    proposer = await create_organization(sessions, manager=proposer_user)
    listing = await create_published_listing(sessions, proposer)
    return World(app, client, sessions, listing.id, bearer(app, proposer_user), admin_headers)


@dataclass
class Boom:
    """A reaction to ListingClosed that raises for the listings in `targets`."""

    targets: set[uuid.UUID] = field(default_factory=set)
    reached: list[uuid.UUID] = field(default_factory=list)

    async def __call__(self, session: AsyncSession, event: ListingClosed) -> None:
        if event.listing_id in self.targets:
            self.reached.append(event.listing_id)
            raise RuntimeError("a reaction to listing.closed failed")


@pytest.fixture
def boom() -> Iterator[Boom]:
    reaction = Boom()
    events.subscribe(ListingClosed, reaction)
    try:
        yield reaction
    finally:
        events.unsubscribe(ListingClosed, reaction)
    assert reaction not in events.reactions_to(ListingClosed)


async def sweep(sessions: Sessions) -> dict[str, int]:
    return await sweep_once(sessions, clock=FixedClock(datetime.now(UTC)), sandbox_enabled=False)


# --- reading the stored rows -----------------------------------------------------------------


async def stored_status(sessions: Sessions, model: Any, row_id: str | uuid.UUID) -> str:
    async with sessions() as session:
        row = await session.get(model, uuid.UUID(str(row_id)))
    assert row is not None
    status: str = row.status
    return status


async def audit_of(sessions: Sessions, resource_id: str | uuid.UUID) -> list[AuditEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.resource_id == str(resource_id))
            .order_by(AuditEntry.resource_seq)
        )
        return list(rows.all())


async def events_of(sessions: Sessions, *resource_ids: str | uuid.UUID) -> list[Event]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Event)
            .where(Event.resource_id.in_([str(r) for r in resource_ids]))
            .order_by(Event.sequence)
        )
        return list(rows.all())


def actions(entries: list[AuditEntry]) -> list[str]:
    return [e.action for e in entries]


def types(found: list[Event]) -> list[str]:
    return [e.type for e in found]


# --- closing: submitted applications go to review --------------------------------------------


async def test_an_admin_close_moves_submitted_applications_to_review(world: World) -> None:
    submitted = await world.submitted(await world.applicant())
    drafted = await world.draft(await world.applicant())

    closed = await world.listing_action("close", reason="提前截止")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"

    sessions = world.sessions
    assert await stored_status(sessions, Listing, world.listing_id) == "closed"
    assert await stored_status(sessions, Application, submitted) == "under_review"
    assert await stored_status(sessions, Application, drafted) == "draft"

    listing_audit = await audit_of(sessions, world.listing_id)
    assert [(e.action, e.actor_type) for e in listing_audit] == [("listing.close", "user")]
    submitted_audit = await audit_of(sessions, submitted)
    assert actions(submitted_audit) == [
        "application.create",
        "application.submit",
        "application.start_review",
    ]
    review = submitted_audit[-1]
    assert (review.actor_type, review.from_state, review.to_state) == (
        "system",
        "submitted",
        "under_review",
    )
    assert actions(await audit_of(sessions, drafted)) == ["application.create"]

    found = await events_of(sessions, world.listing_id, submitted, drafted)
    closes = [e for e in found if e.type == "listing.closed"]
    reviews = [e for e in found if e.type == "application.review_started"]
    assert len(closes) == 1
    assert [e.resource_id for e in reviews] == [submitted], "only the submitted one"
    assert closes[0].sequence < reviews[0].sequence, "the listing's event comes first"
    assert reviews[0].payload["status"] == "under_review"
    assert reviews[0].payload["from_status"] == "submitted"
    assert closes[0].request_id is not None
    assert reviews[0].request_id == closes[0].request_id, "one request, one transaction"


async def test_the_worker_close_moves_submitted_applications_to_review(world: World) -> None:
    submitted = await world.submitted(await world.applicant())
    await end_window(world.sessions, world.listing_id)

    handled = await sweep(world.sessions)
    assert handled["listing"] >= 1

    sessions = world.sessions
    async with sessions() as session:
        listing = await session.get(Listing, world.listing_id)
    assert listing is not None
    assert listing.status == "closed"
    assert listing.next_check_at is None, "nothing left to do on its own"
    assert await stored_status(sessions, Application, submitted) == "under_review"
    listing_audit = await audit_of(sessions, world.listing_id)
    assert [(e.action, e.actor_type) for e in listing_audit] == [("listing.close", "system")]
    application_audit = await audit_of(sessions, submitted)
    assert application_audit[-1].action == "application.start_review"
    assert application_audit[-1].actor_type == "system"
    assert types(await events_of(sessions, world.listing_id, submitted)) == [
        "application.created",
        "application.submitted",
        "listing.closed",
        "application.review_started",
    ]

    await sweep(world.sessions)
    assert await stored_status(sessions, Listing, world.listing_id) == "closed"
    assert await stored_status(sessions, Application, submitted) == "under_review"
    assert len(await audit_of(sessions, world.listing_id)) == len(listing_audit)
    assert len(await audit_of(sessions, submitted)) == len(application_audit)
    assert len(await events_of(sessions, world.listing_id, submitted)) == 4


async def test_a_write_after_the_window_ended_closes_first_and_rolls_back_with_it(
    world: World,
) -> None:
    submitted = await world.submitted(await world.applicant())
    await end_window(world.sessions, world.listing_id)
    sessions = world.sessions
    audit_before = len(await audit_of(sessions, submitted))
    events_before = types(await events_of(sessions, world.listing_id, submitted))

    read = await world.http.get(f"{LISTINGS}/{world.listing_id}", headers=world.admin_headers)
    assert read.json()["status"] == "closed", "a window that has ended reads as closed"
    refused = await world.listing_action("cancel", reason="经费调整")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "INVALID_TRANSITION"
    assert refused.json()["current_state"] == "closed"

    # The lazy close ran inside the refused request and was rolled back with it.
    assert await stored_status(sessions, Listing, world.listing_id) == "published"
    assert await stored_status(sessions, Application, submitted) == "submitted"
    assert await audit_of(sessions, world.listing_id) == []
    assert len(await audit_of(sessions, submitted)) == audit_before
    assert types(await events_of(sessions, world.listing_id, submitted)) == events_before

    await sweep(sessions)
    assert await stored_status(sessions, Listing, world.listing_id) == "closed"
    assert await stored_status(sessions, Application, submitted) == "under_review"
    assert actions(await audit_of(sessions, world.listing_id)) == ["listing.close"]


async def assert_nothing_committed(world: World, application_id: str) -> None:
    sessions = world.sessions
    assert await stored_status(sessions, Listing, world.listing_id) == "published"
    assert await stored_status(sessions, Application, application_id) == "submitted"
    assert "listing.close" not in actions(await audit_of(sessions, world.listing_id))
    assert "application.start_review" not in actions(await audit_of(sessions, application_id))
    found = types(await events_of(sessions, world.listing_id, application_id))
    assert "listing.closed" not in found
    assert "application.review_started" not in found


async def test_a_failing_reaction_rolls_back_an_admin_close(world: World, boom: Boom) -> None:
    submitted = await world.submitted(await world.applicant())
    boom.targets.add(world.listing_id)

    failed = await world.listing_action("close")
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("application/problem+json")
    assert failed.json()["code"] == "INTERNAL_ERROR"
    assert boom.reached == [world.listing_id], "the failure came from the reaction"
    await assert_nothing_committed(world, submitted)

    boom.targets.clear()
    closed = await world.listing_action("close")
    assert closed.status_code == 200, closed.text
    assert await stored_status(world.sessions, Application, submitted) == "under_review"


async def test_a_failing_reaction_rolls_back_the_sweep(world: World, boom: Boom) -> None:
    submitted = await world.submitted(await world.applicant())
    await end_window(world.sessions, world.listing_id)
    boom.targets.add(world.listing_id)

    with pytest.raises(RuntimeError, match=r"reaction to listing\.closed failed"):
        await sweep(world.sessions)
    assert boom.reached == [world.listing_id]
    await assert_nothing_committed(world, submitted)
    async with world.sessions() as session:
        listing = await session.get(Listing, world.listing_id)
    assert listing is not None
    assert listing.next_check_at is not None, "still due: the next sweep tries again"

    boom.targets.clear()
    await sweep(world.sessions)
    assert await stored_status(world.sessions, Listing, world.listing_id) == "closed"
    assert await stored_status(world.sessions, Application, submitted) == "under_review"


# --- cancelling: drafts and submissions are cancelled ----------------------------------------


async def test_cancelling_a_listing_cancels_its_drafts_and_submissions(world: World) -> None:
    submitter, drafter, withdrawer = (
        await world.applicant(),
        await world.applicant(),
        await world.applicant(),
    )
    submitted = await world.submitted(submitter)
    drafted = await world.draft(drafter)
    withdrawn = await world.draft(withdrawer)
    response = await world.http.post(
        f"{APPLICATIONS}/{withdrawn}/withdraw", json={}, headers=withdrawer.headers
    )
    assert response.status_code == 200, response.text

    cancelled = await world.listing_action("cancel", reason="经费调整")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"

    sessions = world.sessions
    assert await stored_status(sessions, Listing, world.listing_id) == "cancelled"
    assert await stored_status(sessions, Application, submitted) == "cancelled"
    assert await stored_status(sessions, Application, drafted) == "cancelled"
    assert await stored_status(sessions, Application, withdrawn) == "withdrawn"
    for application_id, before in ((submitted, "submitted"), (drafted, "draft")):
        entry = (await audit_of(sessions, application_id))[-1]
        assert (entry.action, entry.actor_type, entry.from_state, entry.to_state) == (
            "application.cancel",
            "system",
            before,
            "cancelled",
        )
    assert "application.cancel" not in actions(await audit_of(sessions, withdrawn))

    found = await events_of(sessions, world.listing_id, submitted, drafted, withdrawn)
    [listing_cancelled] = [e for e in found if e.type == "listing.cancelled"]
    followed = [e for e in found if e.type == "application.cancelled"]
    assert sorted(e.resource_id for e in followed) == sorted([submitted, drafted])
    assert all(listing_cancelled.sequence < e.sequence for e in followed)

    for application_id, who in ((submitted, submitter), (drafted, drafter)):
        seen = await world.http.get(f"{APPLICATIONS}/{application_id}", headers=who.headers)
        assert seen.status_code == 200, seen.text
        assert seen.json()["status"] == "cancelled"
    seen = await world.http.get(f"{APPLICATIONS}/{withdrawn}", headers=withdrawer.headers)
    assert seen.json()["status"] == "withdrawn"

    refused = await world.http.post(
        f"{APPLICATIONS}/{drafted}/submit", json={}, headers=drafter.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "INVALID_TRANSITION"
    assert await stored_status(sessions, Application, drafted) == "cancelled"
