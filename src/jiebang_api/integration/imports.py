"""Imports from the plan management system (Art. 9 (1), (4): needs and applications reach
the programme through it): idempotent upserts of organisations, listings and applications,
by its service client on behalf of the organisation each names.

**The same use cases.** An import runs the use cases a member of that organisation would:
a listing is created and submitted (the submission rules apply, all findings at once), an
application is created and submitted (eligibility, the window, the members' consent). The
caller acts as a member of the named organisation for that request only; the audit entries
name the service client. An import either arrives `submitted` or leaves nothing behind.

**Idempotent.** The plan system's reference (`external_ref`) is kept on the resource with
the digest of the body last imported. The same body again changes nothing (200). Another
body updates a listing the department returned for revision (and submits it again); once a
listing or an application has moved on in the workflow, another body is refused (409).
Imports of one reference are serialised (a transaction-scoped advisory lock on PostgreSQL;
SQLite's writers are serial), so concurrent repeats make one resource.

**The consortium.** The members of an imported application count as having accepted when
the plan system asserts that they did (`consortium_confirmed`): each acceptance is recorded
as the member's answer, by the service client, with the assertion as its reason.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.applications import service as applications_service
from jiebang_api.applications.workflow import ConsortiumAnswer
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import MembershipRole, Principal
from jiebang_api.kit.errors import Conflict, Message
from jiebang_api.kit.origin import Origin
from jiebang_api.listings import access as listings_access
from jiebang_api.listings import service as listings_service
from jiebang_api.listings import workflow as listings_workflow
from jiebang_api.models import Application, Listing, Organization
from jiebang_api.organizations import service as organizations_service
from jiebang_api.organizations import uscc

ASSERTED = (
    "省级科技计划管理系统确认该单位同意参加联合体 / the plan management system asserts that "
    "this organisation agreed to join the consortium"
)
MOVED_ON = Message(
    "该记录已进入后续流程，不能再以导入方式修改；请通过相应流程办理。",
    "The record has moved on in the workflow: an import can no longer change it.",
)
OTHER_PARTIES = Message(
    "导入的记录不能更换类型、发榜单位、榜单或牵头单位。",
    "An import cannot change the kind, the proposer, the listing or the lead of a record.",
)

Row = TypeVar("Row", Listing, Application)
Resource = TypeVar("Resource")


@dataclass(frozen=True)
class Imported(Generic[Resource]):
    """What an import did: the resource, and whether it was created by this request."""

    resource: Resource
    created: bool


def digest_of(body: Mapping[str, Any]) -> str:
    """The SHA-256 of the body's canonical JSON (what a repeat is recognised by)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def on_behalf_of(
    principal: Principal, org_id: uuid.UUID, role: MembershipRole = MembershipRole.MEMBER
) -> Principal:
    """The service client acting, for this request, as a member (or manager) of `org_id`."""
    return Principal(principal.actor, principal.roles, {org_id: role})


async def _serialise(session: AsyncSession, kind: str, key: str) -> None:
    """One import of `key` at a time (PostgreSQL: until the transaction ends)."""
    if session.get_bind().dialect.name == "postgresql":
        lock = zlib.crc32(f"import:{kind}:{key}".encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})


async def _by_ref(session: AsyncSession, model: type[Row], external_ref: str) -> Row | None:
    statement = select(model).where(model.external_ref == external_ref)
    found: Row | None = await session.scalar(statement)
    return found


# Organisations -----------------------------------------------------------------------------


async def put_organization(
    session: AsyncSession,
    *,
    principal: Principal,
    code: str,
    data: Mapping[str, Any],
    now: datetime,
) -> Imported[Organization]:
    """Register the organisation with USCC `code` (R-ORG-USCC), or bring its registered facts
    up to the plan system's as its manager would (a changed flag loses its verification, a
    parent it does not manage is a claim). Facts already equal change nothing."""
    policy.require(principal, Permission.IMPORT_RECORDS)
    parsed = uscc.parse(code)
    await _serialise(session, "organization", parsed.code)
    org = await _organization(session, parsed.code)
    if org is None:
        created = await organizations_service.create_imported(
            session, principal=principal, data={**data, "uscc": parsed.code}, now=now
        )
        return Imported(created, created=True)
    changes = {name: value for name, value in data.items() if _differs(org, name, value)}
    if not changes:
        return Imported(org, created=False)
    updated = await organizations_service.update(
        session,
        principal=on_behalf_of(principal, org.id, MembershipRole.MANAGER),
        org_id=org.id,
        changes=changes,
        expected_version=None,
        now=now,
    )
    return Imported(updated, created=False)


async def _organization(session: AsyncSession, code: str) -> Organization | None:
    found: Organization | None = await session.scalar(
        select(Organization).where(Organization.uscc == code)
    )
    return found


def _differs(org: Organization, name: str, value: Any) -> bool:
    if name == "parent_org_id":  # a parent claimed already stands, from when it was made
        return value not in ({org.parent_org_id, org.pending_parent_org_id} - {None} or {None})
    return bool(getattr(org, name) != value)


# Listings ----------------------------------------------------------------------------------


async def put_listing(
    session: AsyncSession,
    *,
    principal: Principal,
    external_ref: str,
    data: Mapping[str, Any],
    digest: str,
    now: datetime,
) -> Imported[Listing]:
    """Create and submit the listing on behalf of its proposer; a listing returned for
    revision takes another body and is submitted again."""
    policy.require(principal, Permission.IMPORT_RECORDS)
    acting = on_behalf_of(principal, data["proposer_org_id"])
    await _serialise(session, "listing", external_ref)
    listing = await _by_ref(session, Listing, external_ref)
    if listing is None:
        origin = Origin(external_ref, digest)
        listing = await listings_service.create(
            session, principal=acting, data=data, now=now, origin=origin
        )
        submitted = await _submit_listing(session, acting, listing, now)
        return Imported(submitted, created=True)
    if listing.import_digest == digest:
        return Imported(listing, created=False)
    if (listing.kind, listing.proposer_org_id) != (data["kind"], data["proposer_org_id"]):
        raise Conflict(OTHER_PARTIES)
    status = listings_access.status_of(listing, now)
    if status not in listings_workflow.EDITABLE_BY_PROPOSER:
        raise Conflict(MOVED_ON, extensions={"current_state": status.value})
    changes = {k: v for k, v in data.items() if k in listings_service.EDITABLE_FIELDS}
    listing.import_digest = digest  # recorded with the update
    listing = await listings_service.update(
        session,
        principal=acting,
        listing_id=listing.id,
        changes=changes,
        expected_version=None,
        now=now,
    )
    return Imported(await _submit_listing(session, acting, listing, now), created=False)


async def _submit_listing(
    session: AsyncSession, acting: Principal, listing: Listing, now: datetime
) -> Listing:
    return await listings_service.submit(
        session, principal=acting, listing_id=listing.id, expected_version=None, now=now
    )


# Applications ------------------------------------------------------------------------------


async def put_application(
    session: AsyncSession,
    *,
    principal: Principal,
    external_ref: str,
    listing_id: uuid.UUID,
    data: Mapping[str, Any],
    consortium_confirmed: bool,
    digest: str,
    now: datetime,
) -> Imported[tuple[Application, Listing]]:
    """Create the application on behalf of its lead, record the members' acceptance when the
    plan system asserts it, and submit it (every eligibility rule, the window, the members'
    consent). A submitted application is not changed by another body."""
    policy.require(principal, Permission.IMPORT_RECORDS)
    lead: uuid.UUID = data["lead_org_id"]
    acting = on_behalf_of(principal, lead)
    await _serialise(session, "application", external_ref)
    app = await _by_ref(session, Application, external_ref)
    if app is not None:
        if (app.listing_id, app.lead_org_id) != (listing_id, lead):
            raise Conflict(OTHER_PARTIES)
        found = await applications_service.get(
            session, principal=acting, application_id=app.id, now=now
        )
        if app.import_digest == digest:
            return Imported(found, created=False)
        status = applications_service.effective_status(*found, now)
        raise Conflict(MOVED_ON, extensions={"current_state": status.value})
    app, _ = await applications_service.create(
        session,
        principal=acting,
        listing_id=listing_id,
        data=data,
        now=now,
        origin=Origin(external_ref, digest),
    )
    if consortium_confirmed:
        await _confirm_members(session, principal, app, now)
    submitted = await applications_service.submit(
        session, principal=acting, application_id=app.id, expected_version=None, now=now
    )
    return Imported(submitted, created=True)


async def _confirm_members(
    session: AsyncSession, principal: Principal, app: Application, now: datetime
) -> None:
    """Each member's acceptance, as the plan system asserts it, recorded as its answer."""
    for member in list(app.members):
        org_id = uuid.UUID(str(member["org_id"]))
        await applications_service.answer_invitation(
            session,
            principal=on_behalf_of(principal, org_id, MembershipRole.MANAGER),
            application_id=app.id,
            org_id=org_id,
            answer=ConsortiumAnswer.ACCEPT,
            budget_share=None,
            reason=ASSERTED,
            now=now,
        )
