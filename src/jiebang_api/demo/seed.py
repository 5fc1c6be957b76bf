"""`jiebang-api seed-demo`: a system alive on the first page load, for testers.

Every row is made through the API, in process (the same use cases a client's call runs, so
every audit chain verifies), as the demo account whose step it is; only the first
administrator and the plan system's client, which no API call makes, come from the same
service functions the `create-admin` command and the department's API use. The sandbox clock
is left at the real time (offset 0).

Idempotent: a database holding the demo already is left alone ("nothing to do"); one holding
an interrupted seeding is refused (seed an empty database). Refused in production.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.auth import service as auth_service
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.demo import cast
from jiebang_api.demo.steps import Report, Seeder, StepFailed
from jiebang_api.demo.stories import Stories
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.main import create_app, dispose
from jiebang_api.models import ServiceClient, User
from jiebang_api.settings import Environment, Settings

__all__ = ["Refused", "Report", "StepFailed", "seed"]


class Refused(Exception):
    """Seeding may not run here; the message says why."""


# The run ----------------------------------------------------------------------------------------


async def _state(session: AsyncSession) -> str:
    """ "empty", "seeded" (the last step's client exists) or "interrupted"."""
    admin = await session.scalar(select(User).where(User.username == cast.ADMIN.username))
    if admin is None:
        return "empty"
    client = await session.scalar(
        select(ServiceClient).where(ServiceClient.client_id == cast.CLIENT_ID)
    )
    return "seeded" if client is not None else "interrupted"


async def _first_admin(session: AsyncSession, now: datetime) -> User:
    return await auth_service.create_admin(
        session, username=cast.ADMIN.username, password=cast.PASSWORD, now=now
    )


async def _plan_system_client(session: AsyncSession, admin: User, now: datetime) -> None:
    """The plan system's client with the demo's fixed id and secret (the department's API
    generates both; a demo needs them known)."""
    principal = Principal(Actor(ActorType.USER, str(admin.id)), frozenset({Role.ADMIN}))
    await auth_service.create_service_client(
        session,
        principal=principal,
        name=cast.CLIENT_NAME,
        now=now,
        known=(cast.CLIENT_ID, cast.CLIENT_SECRET),
    )


async def seed(settings: Settings) -> Report:
    """Seed the database `settings` name (migrated to head already)."""
    if settings.env is Environment.PROD:
        raise Refused("seed-demo is for the dev and test environments only (JIEBANG_ENV=prod)")
    app = create_app(settings)
    report = Report()
    try:
        async with app.state.sessionmaker() as session:
            state = await _state(session)
            if state == "seeded":
                return Report(nothing_to_do=True)
            if state == "interrupted":
                raise Refused("an earlier seed-demo was interrupted here: seed an empty database")
            now = app.state.clock.now()
            admin = await _first_admin(session, now)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            seeder = Seeder(http, report, users={cast.ADMIN.username: str(admin.id)})
            await seeder.accounts()
            await seeder.organisations()
            stories = Stories(seeder, app.state.sessionmaker)
            await stories.projects()  # moves the sandbox clock, and sets it back
            published = await seeder.listings(now)
            await seeder.applications(published)
            await stories.in_review_and_on_notice()
            await seeder.call("POST", "/sandbox/clock", cast.ADMIN.username, {"reset": True})
        async with app.state.sessionmaker() as session:
            await _plan_system_client(session, admin, now)
            await session.commit()
        report.add("service clients", f"{cast.CLIENT_NAME} ({cast.CLIENT_ID})")
        return report
    finally:
        await dispose(app)
