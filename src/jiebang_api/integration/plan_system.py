"""The plan management system sync (Art. 9 (8)): every signed project enters the region's
unified management. The worker pushes each project there, on `project.created` and on each
`project.status_changed`, as `PUT {plan_base_url}/projects/{code}` (docs/plan-system.md).

**One more consumer of the outbox.** `fan_out` reads the change feed (`integration/feed.py`,
commit-safe order) from its own stored position (row `PLAN_SYNC_POSITION` of
`webhook_fanout`, locked `FOR UPDATE SKIP LOCKED`: one worker fans out at a time) and marks
each project named by one of those events as due (`PlanSync`, one row per project; every
event bumps its `changes`), advancing the position in the same transaction. With the sync off
(no base URL) nothing is read and the position stays where it is: switched on later, the
sync catches up from there.

**Coalescing.** The body is always the project's current state, read when the push is
claimed, so one push covers every change seen before it: a project changed three times while
the plan system was down is sent once when it is back. A change seen while a push is in
flight leaves the row `pending` again after it (the push may have read the older state).

**Claim, send, record** as webhook delivery does: `claim` takes due rows with `FOR UPDATE
SKIP LOCKED` and a lease, the caller commits; `send` PUTs with no transaction open (the
address guard checked right before, redirects not followed, timeouts from settings);
`record` stores the outcome while the lease is still the sender's. Two workers never hold
the same row, so a normal run sends one PUT per change (fewer when changes coalesce). A
worker killed mid-push leaves the lease to expire and another PUTs again: the call is an
idempotent replace keyed by the project's code, so a repeat is harmless.

**Outcomes.** 2xx: `synced`, and the answer's `id` is recorded on the project
(`plan_system_id`, the project row locked, the change audited). 408, 429, 5xx, a timeout, a
connection error or a refused address: retried by `integration.retry`'s schedule (or a
longer `Retry-After`), then `failed`. Any other answer (4xx: the plan system refuses the
document; a redirect): `failed` at once, and logged. `/metrics` shows how many projects stand
in each state (`jiebang_plan_sync_projects`). A later change of a failed project tries again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiebang_api.audit import service as audit
from jiebang_api.integration import addresses, outbound, retry
from jiebang_api.integration.subscriptions import Resolver
from jiebang_api.kit.actor import Actor
from jiebang_api.models import Organization, PlanSync, Project

log = structlog.get_logger("jiebang_api.plan_system")

# The row of `webhook_fanout` (the worker's feed positions) that is the sync's.
PLAN_SYNC_POSITION = 2
EVENT_TYPES = frozenset({"project.created", "project.status_changed"})
PENDING, IN_FLIGHT, SYNCED, FAILED = "pending", "in_flight", "synced", "failed"
STATUSES = (PENDING, IN_FLIGHT, SYNCED, FAILED)
# Answers that are tried again besides 5xx: Request Timeout, Too Many Requests.
RETRIED_4XX = frozenset({408, 429})
MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class Client:
    """What pushing needs besides the database: where, with which token, through which
    HTTP client, guard and resolver, within which timeouts."""

    base_url: str
    token: str | None
    http: httpx.AsyncClient
    guard: addresses.Policy
    resolver: Resolver
    connect_timeout: float = 5.0
    read_timeout: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)

    def url_of(self, code: str) -> str:
        return f"{self.base_url.rstrip('/')}/projects/{quote(code, safe='')}"


@dataclass(frozen=True)
class Claimed:
    """A project held by this worker: the document to PUT and where."""

    project_id: uuid.UUID
    lease_token: uuid.UUID
    code: str
    idempotency_key: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    retry_after: str | None = None
    plan_system_id: str | None = None


# The document --------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _party(organization: Organization | None) -> dict[str, str] | None:
    if organization is None:
        return None
    return {"name": organization.name, "uscc": organization.uscc}


def document_of(project: Project, organizations: dict[uuid.UUID, Organization]) -> dict[str, Any]:
    """The project as the plan system takes it (docs/plan-system.md): its current state."""
    return {
        "project_id": str(project.id),
        "code": project.code,
        "title": project.title,
        "kind": project.kind,
        "status": project.status,
        "demand_party": _party(organizations.get(project.demand_org_id))
        if project.demand_org_id
        else None,
        "supply_party": _party(organizations.get(project.supply_org_id)),
        "lead_party": _party(organizations.get(project.lead_org_id)),
        "subsidy": _money(project.subsidy),
        "disbursed": _money(project.disbursed),
        "start_on": project.start_on.isoformat(),
        "end_on": project.end_on.isoformat(),
        "version": project.version,
        "updated_at": _instant(project.updated_at),
    }


# Fan-out -------------------------------------------------------------------------------------


async def fan_out(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Mark the projects of up to `limit` events past the sync's position as due; returns how
    many changes it saw. Does nothing while another worker holds the position. The caller
    commits."""
    position = await outbound.hold_position(session, PLAN_SYNC_POSITION)
    if position is None:
        return 0
    events = await outbound.events_past(session, position, sorted(EVENT_TYPES), limit)
    if not events:
        return 0
    changed: dict[uuid.UUID, int] = {}
    for event in events:
        try:
            project_id = uuid.UUID(event.resource_id)
        except ValueError:
            continue
        changed[project_id] = changed.get(project_id, 0) + 1
    existing = set(await session.scalars(select(Project.id).where(Project.id.in_(changed))))
    rows = {
        row.project_id: row
        for row in await session.scalars(
            select(PlanSync).where(PlanSync.project_id.in_(existing)).with_for_update()
        )
    }
    seen = 0
    for project_id, count in changed.items():
        if project_id not in existing:  # an event naming no project: nothing to push
            continue
        seen += count
        row = rows.get(project_id)
        if row is None:
            row = PlanSync(project_id=project_id, changes=0, claimed_changes=0)
            session.add(row)
        row.changes += count
        if row.status != IN_FLIGHT:  # in flight: `record` leaves it pending again
            row.status, row.next_attempt_at, row.attempt_count = PENDING, now, 0
    outbound.advance(position, events)
    await session.flush()
    return seen


# Claim, send, record -------------------------------------------------------------------------


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Take up to `limit` due projects (`pending` and due, or `in_flight` past their lease)
    with their current state. The caller commits before sending."""
    statement = outbound.due(PlanSync, tiebreak=PlanSync.project_id, now=now, limit=limit)
    rows = list((await session.scalars(statement)).all())
    if not rows:
        return []
    projects = {
        p.id: p
        for p in await session.scalars(
            select(Project).where(Project.id.in_([row.project_id for row in rows]))
        )
    }
    org_ids = {
        org_id
        for p in projects.values()
        for org_id in (p.demand_org_id, p.supply_org_id, p.lead_org_id)
        if org_id is not None
    }
    organizations = {
        o.id: o
        for o in await session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
    }
    claimed: list[Claimed] = []
    for row in rows:
        project = projects[row.project_id]
        token = uuid.uuid4()
        row.status, row.lease_expires_at, row.lease_token = IN_FLIGHT, now + lease, token
        row.claimed_changes = row.changes
        body = json.dumps(
            document_of(project, organizations), ensure_ascii=False, separators=(",", ":")
        ).encode()
        claimed.append(
            Claimed(
                project_id=project.id,
                lease_token=token,
                code=project.code,
                idempotency_key=f"{project.id}:{project.version}",
                body=body,
            )
        )
    await session.flush()
    return claimed


def _plan_system_id(response: httpx.Response) -> str | None:
    try:
        document = response.json()
    except ValueError:
        return None
    found = document.get("id") if isinstance(document, dict) else None
    if isinstance(found, int) and not isinstance(found, bool):
        found = str(found)
    if isinstance(found, str) and 0 < len(found) <= MAX_ID_LENGTH:
        return found
    return None


async def send(claimed: Claimed, *, client: Client) -> Outcome:
    """PUT one project. The host is resolved and every address checked by the guard right
    before, and the connection goes to the address checked (the host still named in `Host`
    and in TLS). Redirects are not followed; the timeouts bound it all."""
    try:
        pinned = await outbound.pin(
            client.url_of(claimed.code), guard=client.guard, resolver=client.resolver
        )
    except outbound.Unreachable as unreachable:
        return Outcome(error=unreachable.error)
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "idempotency-key": claimed.idempotency_key,
        "host": pinned.host_header,
        "connection": "close",
    }
    if client.token:
        headers["authorization"] = f"Bearer {client.token}"
    timeout = httpx.Timeout(client.read_timeout, connect=client.connect_timeout)
    try:
        async with asyncio.timeout(client.connect_timeout + client.read_timeout):
            response = await client.http.put(
                pinned.url,
                content=claimed.body,
                headers=headers,
                extensions={"sni_hostname": pinned.sni_hostname},
                follow_redirects=False,
                timeout=timeout,
            )
    except TimeoutError:
        return Outcome(error="timeout")
    except httpx.HTTPError as error:
        return Outcome(error=outbound.error_class(error))
    succeeded = 200 <= response.status_code < 300
    return Outcome(
        status_code=response.status_code,
        retry_after=response.headers.get("retry-after"),
        plan_system_id=_plan_system_id(response) if succeeded else None,
    )


def _retried(outcome: Outcome) -> bool:
    code = outcome.status_code
    return code is None or code >= 500 or code in RETRIED_4XX


async def record(
    session: AsyncSession,
    claimed: Claimed,
    outcome: Outcome,
    *,
    now: datetime,
    random: retry.RandomSource,
) -> PlanSync | None:
    """Store the outcome while the lease is still this worker's (a lease lost meanwhile:
    nothing; the worker that took it up settles it). The caller commits."""
    row = await session.scalar(
        select(PlanSync).where(PlanSync.project_id == claimed.project_id).with_for_update()
    )
    if row is None or row.status != IN_FLIGHT or row.lease_token != claimed.lease_token:
        return None
    row.attempt_count += 1
    row.lease_expires_at = row.lease_token = None
    row.last_status_code, row.last_error, row.last_attempt_at = (
        outcome.status_code,
        outcome.error,
        now,
    )
    changed_meanwhile = row.changes > row.claimed_changes
    code = outcome.status_code
    if code is not None and 200 <= code < 300:
        row.synced_at = now
        if outcome.plan_system_id is not None:
            project = await session.scalar(
                select(Project).where(Project.id == row.project_id).with_for_update()
            )
            if project is not None and project.plan_system_id != outcome.plan_system_id:
                project.plan_system_id = outcome.plan_system_id
                await session.flush()  # the audit entry takes the change from the flush
                await audit.record(
                    session,
                    actor=Actor.system(),
                    action="project.plan_system_id",
                    resource_type="project",
                    resource_id=project.id,
                    now=now,
                    reason="the plan management system accepted the project",
                )
        else:
            log.warning("plan_system_answer_without_id", code=claimed.code, status=code)
        if changed_meanwhile:
            row.status, row.next_attempt_at, row.attempt_count = PENDING, now, 0
        else:
            row.status, row.next_attempt_at = SYNCED, None
    elif not _retried(outcome):
        log.error("plan_system_refused", code=claimed.code, status=code)
        if changed_meanwhile:  # a newer state may be accepted
            row.status, row.next_attempt_at, row.attempt_count = PENDING, now, 0
        else:
            row.status, row.next_attempt_at = FAILED, None
    else:
        asked = retry.retry_after(outcome.retry_after, now=now)
        wait = retry.next_delay(row.attempt_count, random=random, asked=asked)
        if wait is None:
            log.error("plan_system_gave_up", code=claimed.code, status=code, error=outcome.error)
            row.status, row.next_attempt_at = FAILED, None
        else:
            log.warning("plan_system_retry", code=claimed.code, status=code, error=outcome.error)
            row.status, row.next_attempt_at = PENDING, now + wait
    await session.flush()
    return row


async def push_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    client: Client,
    now: datetime,
    limit: int,
    lease: timedelta,
    random: retry.RandomSource,
) -> list[PlanSync]:
    """One pass (`outbound.run_pass`): claim and commit, PUT them all at once (no
    transaction open), then record each outcome in its own transaction. Returns the rows
    settled by this pass."""
    return await outbound.run_pass(
        sessions,
        claim=lambda session: claim(session, now=now, limit=limit, lease=lease),
        send=lambda one: send(one, client=client),
        record=lambda session, one, outcome: record(session, one, outcome, now=now, random=random),
    )


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    """How many projects' pushes stand in each state (every state named, 0 when none): the
    `failed` ones are the projects the plan system refused or never got (until their next
    change). Shown on `/metrics`."""
    counted = dict.fromkeys(STATUSES, 0)
    statement = select(PlanSync.status, func.count()).group_by(PlanSync.status)
    for status, count in (await session.execute(statement)).all():
        counted[status] = int(count)
    return counted


def statuses(rows: Sequence[PlanSync]) -> dict[str, int]:
    """How many of `rows` ended in each state (for the worker's log line)."""
    counted: dict[str, int] = {}
    for row in rows:
        counted[row.status] = counted.get(row.status, 0) + 1
    return counted
