"""Use cases of policy versions (R-POLICY-VERSION)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.errors import Conflict, Message
from jiebang_api.models import PolicyVersion


async def list_all(session: AsyncSession) -> list[PolicyVersion]:
    """Every version, newest effective date first."""
    statement = select(PolicyVersion).order_by(PolicyVersion.effective_on.desc())
    return list((await session.scalars(statement)).all())


async def get(session: AsyncSession, version_id: uuid.UUID) -> PolicyVersion | None:
    return await session.get(PolicyVersion, version_id)


async def in_force(session: AsyncSession, on: date) -> PolicyVersion | None:
    """The version in force on `on`: the latest effective on or before that day."""
    statement = (
        select(PolicyVersion)
        .where(PolicyVersion.effective_on <= on)
        .order_by(PolicyVersion.effective_on.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def create(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> PolicyVersion:
    """A new version (the department); one per effective date."""
    policy.require(principal, Permission.MANAGE_POLICY)
    version = PolicyVersion(id=uuid.uuid4(), created_by=principal.user_id, **data)
    session.add(version)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            Message("该生效日期已有政策版本。", "A version with this effective date exists.")
        ) from None
    await audit.record(
        session,
        actor=principal.actor,
        action="policy_version.create",
        resource_type="policy_version",
        resource_id=version.id,
        now=now,
        data={k: str(v) for k, v in data.items()},
    )
    return version
