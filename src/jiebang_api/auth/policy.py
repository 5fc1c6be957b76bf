"""Every permission of the service is decided here; routers and services only ask.

A caller who may not know an object exists gets `NotFound`; one who may see it but not do
the thing gets `PermissionDenied`; nobody signed in gets `Unauthenticated`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum

from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.kit.errors import NotFound, PermissionDenied, Unauthenticated


class Permission(StrEnum):
    USE_API = "api.use"
    READ_ME = "me.read"
    CREATE_USER = "user.create"
    CREATE_SERVICE_CLIENT = "service_client.create"
    CREATE_ORGANIZATION = "organization.create"
    READ_ORGANIZATION = "organization.read"
    UPDATE_ORGANIZATION = "organization.update"
    VERIFY_ORGANIZATION = "organization.verify"
    READ_MEMBERS = "organization.members.read"
    MANAGE_MEMBERS = "organization.members.manage"
    READ_ORGANIZATION_HISTORY = "organization.history.read"
    # Claims of other organisations to be a subsidiary of this one (a named parent).
    READ_PARENT_CLAIMS = "organization.parent_claims.read"
    ANSWER_PARENT_CLAIM = "organization.parent_claim.answer"
    ANSWER_INVITATION = "membership.invitation.answer"
    READ_CREDIT_RECORDS = "credit_record.read"
    CREATE_CREDIT_RECORD = "credit_record.create"
    MOVE_SANDBOX_CLOCK = "sandbox_clock.move"
    CREATE_EMERGENCY_LISTING = "listing.emergency.create"
    ACT_FOR_PROPOSER = "listing.proposer.act"
    READ_LISTING = "listing.read"
    REVIEW_LISTING = "listing.review"
    UPLOAD_ATTACHMENT = "attachment.upload"
    ACT_FOR_APPLICANT = "application.applicant.act"
    MANAGE_POLICY = "policy_version.create"
    MANAGE_REVIEWS = "review_round.manage"
    MANAGE_AGREEMENTS = "agreement.manage"
    MANAGE_FUNDING = "funding.manage"
    MANAGE_PROJECTS = "project.manage"
    READ_EVENTS = "event.read"
    MANAGE_WEBHOOKS = "webhook_subscription.manage"
    IMPORT_RECORDS = "integration.import"


Rule = Callable[[Principal, uuid.UUID | None], bool]


def _admin(p: Principal, _org: uuid.UUID | None) -> bool:
    return p.has(Role.ADMIN)


def _anyone_signed_in(p: Principal, _org: uuid.UUID | None) -> bool:
    return p.authenticated


def _any_user(p: Principal, _org: uuid.UUID | None) -> bool:
    return p.is_user


def _admin_or_integration(p: Principal, _org: uuid.UUID | None) -> bool:
    return p.has(Role.ADMIN) or p.has(Role.INTEGRATION)


def _integration(p: Principal, _org: uuid.UUID | None) -> bool:
    return p.has(Role.INTEGRATION)


def _manager_or_admin(p: Principal, org: uuid.UUID | None) -> bool:
    return p.has(Role.ADMIN) or (org is not None and p.manages(org))


def _member(p: Principal, org: uuid.UUID | None) -> bool:
    return org is not None and p.member_of(org)


def _member_or_admin(p: Principal, org: uuid.UUID | None) -> bool:
    return p.has(Role.ADMIN) or (org is not None and p.member_of(org))


RULES: dict[Permission, Rule] = {
    # Signed in at all: what an object-level check then narrows down.
    Permission.USE_API: _anyone_signed_in,
    Permission.READ_ME: _anyone_signed_in,
    Permission.CREATE_USER: _admin,
    Permission.CREATE_SERVICE_CLIENT: _admin,
    Permission.CREATE_ORGANIZATION: _any_user,
    Permission.READ_ORGANIZATION: _anyone_signed_in,
    Permission.UPDATE_ORGANIZATION: _manager_or_admin,
    Permission.VERIFY_ORGANIZATION: _admin,
    Permission.READ_MEMBERS: _member_or_admin,
    Permission.MANAGE_MEMBERS: _manager_or_admin,
    Permission.READ_ORGANIZATION_HISTORY: _member_or_admin,
    # On the named parent: its members see the claims, its managers (or the department)
    # accept or decline them; naming a parent one may answer for sets it at once.
    Permission.READ_PARENT_CLAIMS: _member_or_admin,
    Permission.ANSWER_PARENT_CLAIM: _manager_or_admin,
    # Accept or decline one's own invitation to an organisation (people, not services).
    Permission.ANSWER_INVITATION: _any_user,
    Permission.READ_CREDIT_RECORDS: _admin,
    Permission.CREATE_CREDIT_RECORD: _admin,
    Permission.MOVE_SANDBOX_CLOCK: _admin,
    Permission.CREATE_EMERGENCY_LISTING: _admin,
    # Create, edit, submit, confirm and withdraw a listing on behalf of its proposer.
    Permission.ACT_FOR_PROPOSER: _member,
    Permission.READ_LISTING: _member_or_admin,
    # Screen, assess, approve, reject, return, publish, close, cancel (the department).
    Permission.REVIEW_LISTING: _admin,
    Permission.UPLOAD_ATTACHMENT: _any_user,
    # Draft, edit, submit and withdraw an application on behalf of its lead organisation.
    Permission.ACT_FOR_APPLICANT: _member,
    Permission.MANAGE_POLICY: _admin,
    # Open, close and recommend in review rounds (the department, 第九条（五）).
    Permission.MANAGE_REVIEWS: _admin,
    # Waive, return, approve and abandon agreements (the department, 第九条（七）).
    Permission.MANAGE_AGREEMENTS: _admin,
    # Decide subsidies, verify payments, disburse tranches (the department, 第十二条).
    Permission.MANAGE_FUNDING: _admin,
    # Entrust projects to agencies, open and close misconduct cases (the department,
    # 第十四条, 第十七条).
    Permission.MANAGE_PROJECTS: _admin,
    # The change feed: the plan system's service client and the department.
    Permission.READ_EVENTS: _admin_or_integration,
    # Webhook subscriptions: the department and the plan system's service clients; each
    # client sees only its own (an object-level check in `integration.subscriptions`).
    Permission.MANAGE_WEBHOOKS: _admin_or_integration,
    # Imports from the plan management system (Art. 9 (1), (4)): its service clients only,
    # each import then acting on behalf of the organisation it names.
    Permission.IMPORT_RECORDS: _integration,
}


def can(principal: Principal, permission: Permission, org: uuid.UUID | None = None) -> bool:
    return RULES[permission](principal, org)


def require(
    principal: Principal,
    permission: Permission,
    org: uuid.UUID | None = None,
    *,
    visible: bool = True,
) -> None:
    """Refuse unless allowed; `visible` says whether the caller may know the object exists."""
    if can(principal, permission, org):
        return
    if not principal.authenticated:
        raise Unauthenticated()
    if not visible:
        raise NotFound()
    raise PermissionDenied()


def can_see_organization(principal: Principal) -> bool:
    """Organisations' registered facts are visible to every signed-in caller."""
    return can(principal, Permission.READ_ORGANIZATION)
