"""Use cases of organisations: register, read, edit, verify, members, credit records.

Consent: naming a parent is a claim until the parent's managers (or the department) accept
it, and adding a member is an invitation until the invited user accepts it. Only accepted
memberships count anywhere (`auth.repository.memberships_of`)."""

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
from jiebang_api.organizations.enums import MembershipStatus
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
NO_CLAIM = Message(
    "没有待确认的上级单位申报。", "There is no pending claim of this organisation's to answer."
)
NOTHING_TO_WITHDRAW = Message(
    "本单位没有待确认的上级单位申报。", "The organisation has no pending parent claim."
)
CLAIM_ACCEPTED = Message(
    "该单位已是本单位的下属单位，申报已被接受。",
    "The claim was accepted already: the organisation is a subsidiary of this one.",
)
NO_INVITATION = Message(
    "没有待接受的邀请。", "There is no pending invitation to this organisation."
)
INVITATION_ACCEPTED = Message(
    "邀请已接受，您已是本单位成员。",
    "The invitation was accepted already: you are a member of this organisation.",
)
ALREADY_MEMBER = Message("该用户已是本单位成员。", "The user is already a member.")
ALREADY_INVITED = Message("该用户已被邀请，尚未接受。", "The user is invited already.")
# No pending claim: what accepting, declining or withdrawing one leaves, and naming no parent.
_NO_CLAIM_NOW: dict[str, Any] = {"pending_parent_org_id": None, "parent_claimed_at": None}


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


def _apply(org: Organization, changes: Mapping[str, Any]) -> None:
    """Set `changes` on the organisation. A changed flag loses its verification; a changed
    identity or parent (`flags.STANDING_FIELDS`) loses all of it: the organisation's own and
    every flag's, since each was checked against who it is and whom it belongs to."""
    before = _snapshot(org)
    if flags.standing_changed(changes, before):
        org.verified = False
        org.verified_flags = []
        org.verified_at = None
        org.verified_by = None
    else:
        org.verified_flags = flags.unverified_after_change(org.verified_flags, changes, before)
    for name, value in changes.items():
        setattr(org, name, value)


async def _naming(
    session: AsyncSession,
    principal: Principal,
    org: Organization | None,
    named: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """What naming `named` as the parent of `org` (None: an organisation being registered)
    changes. Detaching (None) or naming the current parent needs nobody's consent and drops a
    pending claim; naming one the caller may answer for (as its manager, or the department)
    sets it; any other parent is claimed, and `parent_org_id` stays until its managers accept."""
    current = org.parent_org_id if org is not None else None
    if named is None or named == current:
        return {"parent_org_id": named, **_NO_CLAIM_NOW}
    await _check_parent(session, org.id if org is not None else None, named)
    if policy.can(principal, Permission.ANSWER_PARENT_CLAIM, named):
        return {"parent_org_id": named, **_NO_CLAIM_NOW}
    if org is not None and org.pending_parent_org_id == named:
        return {}  # the same claim stands, from when it was made
    return {"pending_parent_org_id": named, "parent_claimed_at": now}


Tree = tuple[uuid.UUID | None, uuid.UUID | None]


def _tree(org: Organization) -> Tree:
    """The organisation's place in the ownership tree: its parent and its pending claim."""
    return org.parent_org_id, org.pending_parent_org_id


async def _tell_the_parents(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    now: datetime,
    before: Tree,
    after: Tree,
) -> None:
    """Entries on the history of each organisation that gained or lost `org_id` as a
    subsidiary, or a claim of it, in a change recorded on `org_id` itself."""
    (old_parent, old_claim), (new_parent, new_claim) = before, after
    data = {"organization_id": str(org_id)}
    if old_claim != new_claim:
        if old_claim is not None and old_claim != new_parent:
            await _record(session, principal, "subsidiary_claim.withdraw", old_claim, now, data)
        if new_claim is not None:
            await _record(session, principal, "subsidiary_claim.receive", new_claim, now, data)
    if old_parent != new_parent:
        if old_parent is not None:
            await _record(session, principal, "subsidiary.detach", old_parent, now, data)
        if new_parent is not None:
            await _record(session, principal, "subsidiary.attach", new_parent, now, data)


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
    if not await organizations_repository.exists(session, parent_id):
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
    org = await _register(session, principal, data, now)
    session.add(
        Membership(
            user_id=principal.user_id,
            organization_id=org.id,
            role=MembershipRole.MANAGER,
            status=MembershipStatus.ACCEPTED,  # the registrant's own, by registering
        )
    )
    await session.flush()
    await _registered(session, principal, org, now, {})
    return org


async def create_imported(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> Organization:
    """Register an organisation the plan management system names, by its service client:
    no member yet (the department adds its people); otherwise as `create`."""
    policy.require(principal, Permission.IMPORT_RECORDS)
    org = await _register(session, principal, data, now)
    await _registered(session, principal, org, now, {"imported": True})
    return org


async def _register(
    session: AsyncSession, principal: Principal, data: Mapping[str, Any], now: datetime
) -> Organization:
    """The new organisation, once its USCC is valid and free (R-ORG-USCC)."""
    code = uscc.parse(data["uscc"])
    if await organizations_repository.by_uscc(session, code.code) is not None:
        raise Conflict(DUPLICATE_USCC)
    naming = await _naming(session, principal, None, data.get("parent_org_id"), now)
    org = Organization(
        id=uuid.uuid4(),
        **{**data, "uscc": code.code, "parent_org_id": None, **naming},
        region_code=code.region_code,
        in_region=code.in_region,
        verified=False,
        verified_flags=[],
    )
    session.add(org)
    await session.flush()
    return org


async def _registered(
    session: AsyncSession,
    principal: Principal,
    org: Organization,
    now: datetime,
    data: dict[str, Any],
) -> None:
    await _record(session, principal, "create", org.id, now, data)  # values: from the ORM
    await _tell_the_parents(session, principal, org.id, now, (None, None), _tree(org))


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
    """Edit facts; a changed flag loses its verification, a changed identity or parent all
    of it. A parent named here is a claim unless the caller may answer for it (`_naming`)."""
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
    before = _tree(org)
    if "parent_org_id" in changes:
        changes.update(await _naming(session, principal, org, changes.pop("parent_org_id"), now))
    _apply(org, changes)
    await _record(session, principal, "update", org.id, now, {})  # changes: from the ORM
    await _tell_the_parents(session, principal, org.id, now, before, _tree(org))
    return org


async def parent_claims(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> list[Organization]:
    """The organisations that name this one as their parent, awaiting its answer."""
    await _allowed(session, principal, org_id, Permission.READ_PARENT_CLAIMS)
    return await organizations_repository.parent_claims_on(session, org_id)


async def _pending_claim(
    session: AsyncSession,
    principal: Principal,
    parent_id: uuid.UUID,
    claimant_id: uuid.UUID,
    *,
    lock_tree: bool,
) -> Organization:
    """The claimant, locked, once its claim on `parent_id` is pending and the caller may
    answer it. Only the two organisations' members and the department know of a claim
    (anyone else: NotFound); only the parent's managers and the department answer it
    (PermissionDenied); a claim accepted already is a Conflict."""
    await _visible(session, principal, parent_id)
    if not (
        policy.can(principal, Permission.READ_PARENT_CLAIMS, parent_id)
        or policy.can(principal, Permission.READ_PARENT_CLAIMS, claimant_id)
    ):
        raise NotFound(NO_CLAIM)
    if lock_tree:  # before any row lock, as every move of the tree
        await organizations_repository.lock_ownership_tree(session)
    claimant = await organizations_repository.get_for_update(session, claimant_id)
    pending = claimant is not None and claimant.pending_parent_org_id == parent_id
    accepted = claimant is not None and not pending and claimant.parent_org_id == parent_id
    if claimant is None or not (pending or accepted):
        raise NotFound(NO_CLAIM)
    policy.require(principal, Permission.ANSWER_PARENT_CLAIM, parent_id)
    if accepted:
        raise Conflict(CLAIM_ACCEPTED)
    return claimant


async def accept_parent_claim(
    session: AsyncSession,
    *,
    principal: Principal,
    parent_id: uuid.UUID,
    claimant_id: uuid.UUID,
    now: datetime,
) -> Organization:
    """The parent's manager (or the department) accepts: the claimant becomes a subsidiary,
    under the ownership-tree lock and its cycle check, and loses its verification."""
    claimant = await _pending_claim(session, principal, parent_id, claimant_id, lock_tree=True)
    await _check_parent(session, claimant.id, parent_id)  # a cycle closed since the claim
    before = _tree(claimant)
    _apply(claimant, {"parent_org_id": parent_id, **_NO_CLAIM_NOW})
    data = {"parent_org_id": str(parent_id)}
    await _record(session, principal, "parent_claim.accept", claimant.id, now, data)
    subsidiary = {"organization_id": str(claimant.id)}
    await _record(session, principal, "subsidiary_claim.accept", parent_id, now, subsidiary)
    if before[0] is not None:
        await _record(session, principal, "subsidiary.detach", before[0], now, subsidiary)
    return claimant


async def decline_parent_claim(
    session: AsyncSession,
    *,
    principal: Principal,
    parent_id: uuid.UUID,
    claimant_id: uuid.UUID,
    now: datetime,
) -> Organization:
    """The parent's manager (or the department) declines: the claim goes, the parent stays."""
    claimant = await _pending_claim(session, principal, parent_id, claimant_id, lock_tree=False)
    _apply(claimant, _NO_CLAIM_NOW)
    data = {"parent_org_id": str(parent_id)}
    await _record(session, principal, "parent_claim.decline", claimant.id, now, data)
    subsidiary = {"organization_id": str(claimant.id)}
    await _record(session, principal, "subsidiary_claim.decline", parent_id, now, subsidiary)
    return claimant


async def withdraw_parent_claim(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, now: datetime
) -> Organization:
    """The claimant's manager (or the department) withdraws its pending claim; with none,
    the organisation's state forbids it (Conflict)."""
    await _allowed(session, principal, org_id, Permission.UPDATE_ORGANIZATION)
    org = await organizations_repository.get_for_update(session, org_id)
    if org is None:
        raise NotFound()
    claimed = org.pending_parent_org_id
    if claimed is None:
        raise Conflict(NOTHING_TO_WITHDRAW)
    _apply(org, _NO_CLAIM_NOW)
    await _record(
        session, principal, "parent_claim.withdraw", org.id, now, {"parent_org_id": str(claimed)}
    )
    subsidiary = {"organization_id": str(org.id)}
    await _record(session, principal, "subsidiary_claim.withdraw", claimed, now, subsidiary)
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


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    organization: Organization


def _member_data(membership: Membership) -> dict[str, Any]:
    return {"user_id": str(membership.user_id), "role": membership.role}


async def add_member(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    username: str,
    role: MembershipRole,
    now: datetime,
) -> Member:
    """The manager invites a registered user by username; the user becomes a member only
    by accepting (`accept_invitation`)."""
    await _allowed(session, principal, org_id, Permission.MANAGE_MEMBERS)
    user = await auth_repository.user_by_username(session, username)
    if user is None:
        raise InputInvalid(Message("用户不存在。", "No user has this username."))
    existing = await organizations_repository.membership(session, org_id, user.id)
    if existing is not None:
        invited = existing.status == MembershipStatus.INVITED
        raise Conflict(ALREADY_INVITED if invited else ALREADY_MEMBER)
    membership = Membership(
        user_id=user.id, organization_id=org_id, role=role.value, status=MembershipStatus.INVITED
    )
    session.add(membership)
    await session.flush()
    await _record(session, principal, "member.invite", org_id, now, _member_data(membership))
    return Member(membership, user)


async def invitations(session: AsyncSession, *, principal: Principal) -> list[Invitation]:
    """The caller's invitations not yet answered (a service client has none)."""
    policy.require(principal, Permission.READ_ME)
    if principal.user_id is None:
        return []
    found = await organizations_repository.invitations_of(session, principal.user_id)
    return [Invitation(m, o) for m, o in found]


async def _pending_invitation(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID
) -> tuple[Organization, Membership]:
    """The caller's own invitation to the organisation, locked, while not yet accepted."""
    org = await _visible(session, principal, org_id)
    policy.require(principal, Permission.ANSWER_INVITATION)
    if principal.user_id is None:  # the permission is for users only
        raise PermissionDenied()
    membership = await organizations_repository.membership_for_update(
        session, org_id, principal.user_id
    )
    if membership is None:
        raise NotFound(NO_INVITATION)
    if membership.status == MembershipStatus.ACCEPTED:
        raise Conflict(INVITATION_ACCEPTED)
    return org, membership


async def accept_invitation(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, now: datetime
) -> Invitation:
    """The invited user accepts: from now on a member, with the invited role."""
    org, membership = await _pending_invitation(session, principal, org_id)
    membership.status = MembershipStatus.ACCEPTED
    await session.flush()
    await _record(session, principal, "member.accept", org_id, now, _member_data(membership))
    return Invitation(membership, org)


async def decline_invitation(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, now: datetime
) -> None:
    """The invited user declines: the invitation goes."""
    _, membership = await _pending_invitation(session, principal, org_id)
    data = _member_data(membership)
    await session.delete(membership)
    await session.flush()
    await _record(session, principal, "member.decline", org_id, now, data)


async def remove_member(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
) -> None:
    """Remove a member, or cancel an invitation not yet accepted; the last accepted manager
    stays (someone must be able to act for the org)."""
    await _allowed(session, principal, org_id, Permission.MANAGE_MEMBERS)
    await organizations_repository.get_for_update(session, org_id)
    membership = await organizations_repository.membership_for_update(session, org_id, user_id)
    if membership is None:
        raise NotFound()
    data = _member_data(membership)
    accepted = membership.status == MembershipStatus.ACCEPTED
    if accepted and membership.role == MembershipRole.MANAGER:
        managers = [
            m
            for m, _ in await organizations_repository.members(session, org_id)
            if m.role == MembershipRole.MANAGER and m.status == MembershipStatus.ACCEPTED
        ]
        if len(managers) == 1:
            raise Conflict(
                Message("不能移除唯一的单位管理员。", "The last manager cannot be removed.")
            )
    await session.delete(membership)
    await session.flush()
    action = "member.remove" if accepted else "member.cancel"
    await _record(session, principal, action, org_id, now, data)


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
