"""Use cases of identity: registration, accounts, tokens, service clients, the caller."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import password_policy, passwords, policy
from jiebang_api.auth import repository as auth_repository
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import MembershipRole, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.auth.tokens import Claims, SubjectKind, TokenCodec
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.errors import Conflict, InputInvalid, Message, NotFound, Unauthenticated
from jiebang_api.kit.ratelimit import RateLimiter
from jiebang_api.models import Membership, Organization, ServiceClient, User

ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.EXPERT, Role.AGENCY})
BAD_CREDENTIALS = Message("用户名或密码错误。", "Wrong username or password.")


@dataclass(frozen=True)
class Limits:
    """The rate limiter and the limits it applies to logins and registrations."""

    limiter: RateLimiter
    login_failures: str
    registrations: str


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
    if await auth_repository.user_by_username(session, username) is not None:
        raise Conflict(Message("用户名已被使用。", "The username is taken."))
    user = User(
        id=uuid.uuid4(),
        username=username,
        password_hash=passwords.hash_secret(password),
        display_name=display_name,
        email=email,
        roles=sorted(r.value for r in roles),
        affiliation_org_id=affiliation_org_id,
        is_active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def register(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str,
    email: str | None,
    address: str,
    limits: Limits,
    now: datetime,
) -> User:
    """Self-registration of an organisation user (no roles; joins organisations later)."""
    await limits.limiter.hit(limits.registrations, "register", address)
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
    """A token for a user; failures count per username and per client address."""
    keys = (("login-user", username.lower()), ("login-address", address))
    for key in keys:
        await limits.limiter.check(limits.login_failures, *key)
    user = await auth_repository.user_by_username(session, username)
    if user is None:
        passwords.spend_verification_time()
    if (
        user is None
        or not user.is_active
        or not passwords.verify_secret(user.password_hash, password)
    ):
        for key in keys:
            await limits.limiter.record(limits.login_failures, *key)
        raise Unauthenticated(BAD_CREDENTIALS, extensions={"error": "invalid_grant"})
    token, ttl = codec.issue(user.id, SubjectKind.USER, now)
    return IssuedToken(token, ttl)


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
    """A token for a service client (the plan management system)."""
    keys = (("login-client", client_id), ("login-address", address))
    for key in keys:
        await limits.limiter.check(limits.login_failures, *key)
    client = await auth_repository.client_by_client_id(session, client_id)
    if client is None:
        passwords.spend_verification_time()
    if (
        client is None
        or not client.is_active
        or not passwords.verify_secret(client.secret_hash, client_secret)
    ):
        for key in keys:
            await limits.limiter.record(limits.login_failures, *key)
        raise Unauthenticated(
            Message("客户端凭据错误。", "Wrong client credentials."),
            extensions={"error": "invalid_client"},
        )
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
    user = await auth_repository.user_by_id(session, claims.subject)
    if user is None or not user.is_active:
        raise Unauthenticated()
    memberships = {
        m.organization_id: MembershipRole(m.role)
        for m, _ in await auth_repository.memberships_of(session, user.id)
    }
    roles = {Role(r) for r in user.roles} | ({Role.ORG_MEMBER} if memberships else set())
    return Principal(
        Actor(ActorType.USER, str(user.id)), roles=frozenset(roles), memberships=memberships
    )


async def me(
    session: AsyncSession, *, principal: Principal
) -> tuple[User | ServiceClient, list[tuple[Membership, Organization]]]:
    """The caller's account and memberships."""
    policy.require(principal, Permission.READ_ME)
    if principal.user_id is None:
        client = await auth_repository.client_by_id(session, uuid.UUID(str(principal.actor.id)))
        if client is None:
            raise NotFound()
        return client, []
    user = await auth_repository.user_by_id(session, principal.user_id)
    if user is None:
        raise NotFound()
    return user, await auth_repository.memberships_of(session, user.id)


async def create_service_client(
    session: AsyncSession, *, principal: Principal, name: str, now: datetime
) -> tuple[ServiceClient, str]:
    """A client for the plan management system; its secret is returned once, stored hashed."""
    policy.require(principal, Permission.CREATE_SERVICE_CLIENT)
    secret = secrets.token_urlsafe(32)
    client = ServiceClient(
        id=uuid.uuid4(),
        client_id=f"svc_{secrets.token_hex(8)}",
        secret_hash=passwords.hash_secret(secret),
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
