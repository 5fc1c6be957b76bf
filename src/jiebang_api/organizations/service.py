"""Use cases of organisations: register, read, edit, verify, members, credit records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import repository as audit_repository
from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth import repository as auth_repository
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import MembershipRole, Principal
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    require_version,
)
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.models import AuditEntry, CreditRecord, Membership, Organization, User
from jiebang_api.organizations import credit, flags, uscc
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.organizations.flags import Flag

RESOURCE = "organization"
DUPLICATE_USCC = Message(
    "该统一社会信用代码已登记。", "An organisation with this USCC is already registered."
)
NOT_AN_OWNER = Message("上级单位不存在。", "The parent organisation does not exist.")
CYCLE = Message(
    "上级单位不能是本单位或其下属单位。",
    "The parent may not be the organisation itself or one of its subsidiaries.",
)


def _snapshot(org: Organization) -> dict[str, Any]:
    fields = ("name", "uscc", "type", "parent_org_id", *(f.value for f in Flag))
    return {name: getattr(org, name) for name in fields}


async def _record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    org_id: uuid.UUID,
    now: datetime,
    data: dict[str, Any],
) -> None:
    await audit.record(
        session,
        actor=principal.actor,
        action=f"organization.{action}",
        resource_type=RESOURCE,
        resource_id=org_id,
        now=now,
        data=data,
    )


async def _allowed(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, permission: Permission
) -> Organization:
    """The organisation, once the caller may see it and has `permission` on it."""
    org = await _visible(session, principal, org_id)
    policy.require(principal, permission, org_id)
    return org


async def _visible(session: AsyncSession, principal: Principal, org_id: uuid.UUID) -> Organization:
    """The organisation, when the caller may know of it (else NotFound / Unauthenticated)."""
    policy.require(principal, Permission.READ_ORGANIZATION)
    org = await organizations_repository.get(session, org_id)
    if org is None:
        raise NotFound()
    return org


async def _check_parent(
    session: AsyncSession, org_id: uuid.UUID | None, parent_id: uuid.UUID | None
) -> None:
    if parent_id is None:
        return
    if await organizations_repository.get(session, parent_id) is None:
        raise InputInvalid(NOT_AN_OWNER)
    if org_id is None:
        return
    if parent_id == org_id or parent_id in await organizations_repository.descendants(
        session, org_id
    ):
        raise Conflict(CYCLE)


async def create(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> Organization:
    """Register an organisation; the caller becomes its manager."""
    policy.require(principal, Permission.CREATE_ORGANIZATION)
    if principal.user_id is None:  # the permission is for users only
        raise PermissionDenied()
    code = uscc.parse(data["uscc"])
    if await organizations_repository.by_uscc(session, code.code) is not None:
        raise Conflict(DUPLICATE_USCC)
    await _check_parent(session, None, data.get("parent_org_id"))
    org = Organization(
        id=uuid.uuid4(),
        **{**data, "uscc": code.code},
        region_code=code.region_code,
        in_region=code.in_region,
        verified=False,
        verified_flags=[],
    )
    session.add(org)
    await session.flush()
    session.add(
        Membership(user_id=principal.user_id, organization_id=org.id, role=MembershipRole.MANAGER)
    )
    await session.flush()
    await _record(session, principal, "create", org.id, now, {})  # values: from the ORM
    return org


async def get(session: AsyncSession, *, principal: Principal, org_id: uuid.UUID) -> Organization:
    return await _visible(session, principal, org_id)


async def list_(
    session: AsyncSession,
    *,
    principal: Principal,
    q: str | None,
    type_: str | None,
    verified: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[Organization]:
    policy.require(principal, Permission.READ_ORGANIZATION)
    after = Cursor.decode(cursor) if cursor else None
    rows = await organizations_repository.list_page(
        session, q=q, type_=type_, verified=verified, after=after, limit=limit
    )
    return page_of(rows, limit, by_creation)


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> Organization:
    """Edit facts; a changed flag loses its verification, a changed identity the org's."""
    await _allowed(session, principal, org_id, Permission.UPDATE_ORGANIZATION)
    if "parent_org_id" in changes:
        # Before any row lock: moves are serialised, and none waits holding a row another needs.
        await organizations_repository.lock_ownership_tree(session)
    org = await organizations_repository.get_for_update(session, org_id)
    if org is None:
        raise NotFound()
    require_version(org.version, expected_version)
    changes = dict(changes)
    if "uscc" in changes:
        code = uscc.parse(changes["uscc"])
        changes["uscc"] = code.code
        other = await organizations_repository.by_uscc(session, code.code)
        if other is not None and other.id != org.id:
            raise Conflict(DUPLICATE_USCC)
        changes.update(region_code=code.region_code, in_region=code.in_region)
    if "parent_org_id" in changes:
        await _check_parent(session, org.id, changes["parent_org_id"])
    before = _snapshot(org)
    org.verified_flags = flags.unverified_after_change(org.verified_flags, changes, before)
    if flags.identity_changed(changes, before):
        org.verified = False
    for name, value in changes.items():
        setattr(org, name, value)
    await _record(session, principal, "update", org.id, now, {})  # changes: from the ORM
    return org


async def verify(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    only: list[Flag] | None,
    now: datetime,
) -> Organization:
    """Department verification: of the organisation and all its flags, or of some flags."""
    await _allowed(session, principal, org_id, Permission.VERIFY_ORGANIZATION)
    org = await organizations_repository.get_for_update(session, org_id)
    if org is None:
        raise NotFound()
    chosen = [f.value for f in (only if only is not None else list(Flag))]
    org.verified_flags = sorted(set(org.verified_flags) | set(chosen))
    if only is None:
        org.verified = True
    org.verified_at = now
    org.verified_by = principal.user_id
    await session.flush()
    await _record(
        session, principal, "verify", org.id, now, {"flags": chosen, "organization": only is None}
    )
    return org


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: User


async def members(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> list[Member]:
    await _allowed(session, principal, org_id, Permission.READ_MEMBERS)
    return [Member(m, u) for m, u in await organizations_repository.members(session, org_id)]


async def add_member(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    username: str,
    role: MembershipRole,
    now: datetime,
) -> Member:
    """The manager adds a registered user by username."""
    await _allowed(session, principal, org_id, Permission.MANAGE_MEMBERS)
    user = await auth_repository.user_by_username(session, username)
    if user is None:
        raise InputInvalid(Message("用户不存在。", "No user has this username."))
    if await organizations_repository.membership(session, org_id, user.id) is not None:
        raise Conflict(Message("该用户已是本单位成员。", "The user is already a member."))
    membership = Membership(user_id=user.id, organization_id=org_id, role=role.value)
    session.add(membership)
    await session.flush()
    await _record(
        session, principal, "member.add", org_id, now, {"user_id": str(user.id), "role": role.value}
    )
    return Member(membership, user)


async def remove_member(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
) -> None:
    """Remove a member; the last manager stays (someone must be able to act for the org)."""
    await _allowed(session, principal, org_id, Permission.MANAGE_MEMBERS)
    await organizations_repository.get_for_update(session, org_id)
    membership = await organizations_repository.membership(session, org_id, user_id)
    if membership is None:
        raise NotFound()
    if membership.role == MembershipRole.MANAGER:
        managers = [
            m
            for m, _ in await organizations_repository.members(session, org_id)
            if m.role == MembershipRole.MANAGER
        ]
        if len(managers) == 1:
            raise Conflict(
                Message("不能移除唯一的单位管理员。", "The last manager cannot be removed.")
            )
    await session.delete(membership)
    await session.flush()
    await _record(session, principal, "member.remove", org_id, now, {"user_id": str(user_id)})


async def add_credit_record(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> CreditRecord:
    await _allowed(session, principal, org_id, Permission.CREATE_CREDIT_RECORD)
    if data.get("ends_on") is not None and data["ends_on"] < data["starts_on"]:
        raise InputInvalid(Message("结束日期早于开始日期。", "ends_on is before starts_on."))
    record = CreditRecord(id=uuid.uuid4(), organization_id=org_id, **data)
    session.add(record)
    await session.flush()
    await _record(
        session,
        principal,
        "credit_record.add",
        org_id,
        now,
        {"record_id": str(record.id), **{k: str(v) for k, v in data.items()}},
    )
    return record


async def credit_records(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> list[CreditRecord]:
    await _allowed(session, principal, org_id, Permission.READ_CREDIT_RECORDS)
    return await organizations_repository.credit_records(session, org_id)


async def has_active_dishonesty(session: AsyncSession, org_id: uuid.UUID, on_date: date) -> bool:
    """Whether the organisation has a serious-dishonesty record binding on `on_date`."""
    records = await organizations_repository.credit_records(session, org_id)
    return credit.has_active_dishonesty(records, on_date)


# Entries of an organisation's history that record what only some may read, with the
# permission that reads it: a reader without it gets the history without them.
HISTORY_READ_WITH = {f"{RESOURCE}.credit_record.add": Permission.READ_CREDIT_RECORDS}


async def history(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> list[AuditEntry]:
    """The organisation's history as this reader may see it: the department all of it, its
    members all but the department's credit file on it (`HISTORY_READ_WITH`)."""
    await _allowed(session, principal, org_id, Permission.READ_ORGANIZATION_HISTORY)
    withheld = [
        action
        for action, permission in HISTORY_READ_WITH.items()
        if not policy.can(principal, permission, org_id)
    ]
    return await audit_repository.list_for(session, RESOURCE, str(org_id), withheld=withheld)
