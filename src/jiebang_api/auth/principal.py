"""The authenticated caller: who it is, its roles and its organisation memberships."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from jiebang_api.auth.roles import Role
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.labels import labelled


@labelled({"manager": ("单位管理员", "Manager"), "member": ("单位成员", "Member")})
class MembershipRole(StrEnum):
    MANAGER = "manager"
    MEMBER = "member"


@dataclass(frozen=True)
class Principal:
    actor: Actor
    roles: frozenset[Role] = frozenset()
    memberships: Mapping[uuid.UUID, MembershipRole] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        return self.actor.type in (ActorType.USER, ActorType.SERVICE)

    @property
    def is_user(self) -> bool:
        return self.actor.type is ActorType.USER

    @property
    def user_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.actor.id) if self.is_user and self.actor.id else None

    def has(self, role: Role) -> bool:
        return role in self.roles

    def member_of(self, organization_id: uuid.UUID) -> bool:
        return organization_id in self.memberships

    def manages(self, organization_id: uuid.UUID) -> bool:
        return self.memberships.get(organization_id) is MembershipRole.MANAGER


ANONYMOUS = Principal(Actor.anonymous())
# The service itself: time-driven steps and reactions to events act as this principal.
SYSTEM = Principal(Actor.system())
