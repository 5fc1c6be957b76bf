"""Who is acting: recorded on every audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "user": ("用户", "User"),
        "service": ("对接系统", "Service client"),
        "system": ("系统", "System"),
        "anonymous": ("匿名访问者", "Anonymous"),
    }
)
class ActorType(StrEnum):
    USER = "user"
    SERVICE = "service"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorType.SYSTEM, "jiebang-api")

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ActorType.ANONYMOUS)
