"""Use cases of identity: registration, accounts, tokens, service clients, the caller."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import password_policy, passwords, policy
from jiebang_api.auth import repository as auth_repository
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import MembershipRole, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.auth.tokens import Claims, SubjectKind, TokenCodec
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from jiebang_api.kit.ratelimit import Backoff, RateLimiter
from jiebang_api.models import Organization, ServiceClient, User

ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.EXPERT, Role.AGENCY})
BAD_CREDENTIALS = Message("用户名或密码错误。", "Wrong username or password.")
USERNAME_TAKEN = Message("用户名已被使用。", "The username is taken.")


@dataclass(frozen=True)
class Limits:
    """The rate limiter and the limits it applies to sign-ins and registrations.

    Sign-ins count failures only (OWASP: throttle, never lock the owner out):
    `login_failures` ("5/15minutes") per username (or client id) *and* address: that many
    are free, then each failure makes that pair's next attempt wait 1, 2, 4 … seconds, at
    most `login_max_delay`; `login_addresses` caps one address's failures for any names
    (password spraying). `registrations` counts every sign-up attempt per address, `objections`
    every objection filed to a public notice.
    """

    limiter: RateLimiter
    login_failures: str
    login_addresses: str
    registrations: str
    objections: str = "10/hour"
    login_max_delay: int = 60

    @property
    def login_backoff(self) -> Backoff:
        return Backoff(self.login_failures, max_delay=self.login_max_delay)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


async def _new_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str,
    email: str | None,
    roles: frozenset[Role] = frozenset(),
    affiliation_org_id: uuid.UUID | None = None,
) -> User:
    if problems := password_policy.violations(username, password):
        raise InputInvalid(violations=problems)
    if not password_policy.valid_username(username):
        raise InputInvalid(password_policy.USERNAME_RULE)
    if await auth_repository.user_by_username(session, username) is not None:
        raise Conflict(USERNAME_TAKEN)
    user = User(
        id=uuid.uuid4(),
        username=username,
        password_hash=await passwords.hash_secret(password),
        display_name=display_name,
        email=email,
        roles=sorted(r.value for r in roles),
        affiliation_org_id=affiliation_org_id,
        is_active=True,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent sign-up took the name (case-insensitively) first
        raise Conflict(USERNAME_TAKEN) from None
    return user


async def register(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str,
    email: str | None,
    now: datetime,
) -> User:
    """Self-registration of an organisation user (no roles; joins organisations later).

    The caller has counted the attempt first (`count_registration`)."""
    user = await _new_user(
        session, username=username, password=password, display_name=display_name, email=email
    )
    await audit.record(
        session,
        actor=Actor(ActorType.USER, str(user.id)),
        action="user.register",
        resource_type="user",
        resource_id=user.id,
        now=now,
        data={"username": username},
    )
    return user


async def count_registration(limits: Limits, address: str) -> None:
    """Count a sign-up attempt from `address`, valid or not; `RateLimited` over the limit."""
    await limits.limiter.hit(limits.registrations, "register", address)


async def count_objection(limits: Limits, address: str) -> None:
    """Count an objection filed from `address`, valid or not; `RateLimited` over the limit."""
    await limits.limiter.hit(limits.objections, "objection", address)


async def create_user(
    session: AsyncSession,
    *,
    principal: Principal,
    username: str,
    password: str,
    display_name: str,
    email: str | None,
    roles: frozenset[Role],
    affiliation_org_id: uuid.UUID | None,
    now: datetime,
) -> User:
    """An account made by the department, with roles (admin, expert, agency)."""
    policy.require(principal, Permission.CREATE_USER)
    if not roles <= ASSIGNABLE_ROLES:
        raise InputInvalid(Message("角色无效。", "Only admin, expert and agency may be given."))
    if (
        affiliation_org_id is not None
        and await session.get(Organization, affiliation_org_id) is None
    ):
        raise InputInvalid(
            Message("所属单位不存在。", "The affiliation organisation does not exist.")
        )
    user = await _new_user(
        session,
        username=username,
        password=password,
        display_name=display_name,
        email=email,
        roles=roles,
        affiliation_org_id=affiliation_org_id,
    )
    await audit.record(
        session,
        actor=principal.actor,
        action="user.create",
        resource_type="user",
        resource_id=user.id,
        now=now,
        data={"username": username, "roles": user.roles},
    )
    return user


async def create_admin(
    session: AsyncSession, *, username: str, password: str, now: datetime
) -> User:
    """The first administrator, made from the command line."""
    user = await _new_user(
        session,
        username=username,
        password=password,
        display_name=username,
        email=None,
        roles=frozenset({Role.ADMIN}),
    )
    await audit.record(
        session,
        actor=Actor.system(),
        action="user.create_admin",
        resource_type="user",
        resource_id=user.id,
        now=now,
        data={"username": username},
    )
    return user


async def password_grant(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    address: str,
    limits: Limits,
    codec: TokenCodec,
    now: datetime,
) -> IssuedToken:
    """A token for a user; failures are throttled per (username, address) and per address."""
    subject = ("login-user", username.lower())
    await _begin_attempt(limits, subject, address)
    user = await auth_repository.user_by_username(session, username)
    matches = await passwords.check_or_pretend(user.password_hash if user else None, password)
    if user is None or not user.is_active or not matches:
        raise Unauthenticated(BAD_CREDENTIALS, extensions={"error": "invalid_grant"})
    await _succeeded(limits, subject, address)
    token, ttl = codec.issue(user.id, SubjectKind.USER, now)
    return IssuedToken(token, ttl)


async def _begin_attempt(limits: Limits, subject: tuple[str, str], address: str) -> None:
    """Count the attempt as a failure before the secret is checked (atomically, so guesses
    sent together cannot slip past), or raise `RateLimited`.

    The counts are the address's (any subject) and the (subject, address) pair's, whose
    backoff makes its next attempt wait; a success takes them back (`_succeeded`). Nothing
    is counted for a subject alone, so nobody elsewhere can make its owner wait.
    """
    await limits.limiter.reserve(limits.login_addresses, "login-address", address)
    try:
        await limits.limiter.reserve_with_backoff(limits.login_backoff, *subject, address)
    except RateLimited:
        await limits.limiter.release(limits.login_addresses, "login-address", address)
        raise


async def _succeeded(limits: Limits, subject: tuple[str, str], address: str) -> None:
    """A success never counts: it clears its pair's failures and uncounts the address."""
    await limits.limiter.reset_backoff(limits.login_backoff, *subject, address)
    await limits.limiter.release(limits.login_addresses, "login-address", address)


async def client_credentials_grant(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    address: str,
    limits: Limits,
    codec: TokenCodec,
    now: datetime,
) -> IssuedToken:
    """A token for a service client (the plan management system); throttled as sign-ins
    are, per (client id, address) and per address."""
    subject = ("login-client", client_id)
    await _begin_attempt(limits, subject, address)
    client = await auth_repository.client_by_client_id(session, client_id)
    matches = await passwords.check_or_pretend(
        client.secret_hash if client else None, client_secret
    )
    if client is None or not client.is_active or not matches:
        raise Unauthenticated(
            Message("客户端凭据错误。", "Wrong client credentials."),
            extensions={"error": "invalid_client"},
        )
    await _succeeded(limits, subject, address)
    token, ttl = codec.issue(client.id, SubjectKind.SERVICE, now)
    return IssuedToken(token, ttl)


async def principal_for(session: AsyncSession, claims: Claims) -> Principal:
    """The caller behind verified token claims, as the database knows it now."""
    if claims.kind is SubjectKind.SERVICE:
        client = await auth_repository.client_by_id(session, claims.subject)
        if client is None or not client.is_active:
            raise Unauthenticated()
        return Principal(
            Actor(ActorType.SERVICE, str(client.id)), roles=frozenset(Role(r) for r in client.roles)
        )
    access = await auth_repository.user_access(session, claims.subject)
    if access is None or not access.is_active:
        raise Unauthenticated()
    memberships = {org: MembershipRole(role) for org, role in access.memberships.items()}
    roles = {Role(r) for r in access.roles} | ({Role.ORG_MEMBER} if memberships else set())
    return Principal(
        Actor(ActorType.USER, str(claims.subject)), roles=frozenset(roles), memberships=memberships
    )


async def me(session: AsyncSession, *, principal: Principal) -> tuple[Any, list[Any]]:
    """The caller's account (a service client, or a user's `auth_repository.profile`) and
    memberships (`auth_repository.memberships_of`)."""
    policy.require(principal, Permission.READ_ME)
    if principal.user_id is None:
        client = await auth_repository.client_by_id(session, uuid.UUID(str(principal.actor.id)))
        if client is None:
            raise NotFound()
        return client, []
    user = await auth_repository.profile(session, principal.user_id)
    if user is None:
        raise NotFound()
    return user, await auth_repository.memberships_of(session, user.id)


async def create_service_client(
    session: AsyncSession,
    *,
    principal: Principal,
    name: str,
    now: datetime,
    known: tuple[str, str] | None = None,
) -> tuple[ServiceClient, str]:
    """A client for the plan management system; its secret is returned once, stored hashed.
    `known`: a fixed (client id, secret) instead of random ones (the demo data's only)."""
    policy.require(principal, Permission.CREATE_SERVICE_CLIENT)
    client_id, secret = known or (f"svc_{secrets.token_hex(8)}", secrets.token_urlsafe(32))
    client = ServiceClient(
        id=uuid.uuid4(),
        client_id=client_id,
        secret_hash=await passwords.hash_secret(secret),
        name=name,
        roles=[Role.INTEGRATION.value],
        is_active=True,
    )
    session.add(client)
    await session.flush()
    await audit.record(
        session,
        actor=principal.actor,
        action="service_client.create",
        resource_type="service_client",
        resource_id=client.id,
        now=now,
        data={"client_id": client.client_id, "name": name},
    )
    return client, secret
