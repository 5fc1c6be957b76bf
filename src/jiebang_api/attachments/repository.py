"""Queries on attachments."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import Attachment


async def get(session: AsyncSession, attachment_id: uuid.UUID) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def many(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[Attachment]:
    if not ids:
        return []
    statement = select(Attachment).where(Attachment.id.in_(list(ids)))
    return list((await session.scalars(statement)).all())


async def stored_keys(session: AsyncSession, keys: Collection[str]) -> set[str]:
    """Those of `keys` that an attachment row names."""
    if not keys:
        return set()
    statement = select(Attachment.storage_key).where(Attachment.storage_key.in_(list(keys)))
    return set((await session.scalars(statement)).all())
