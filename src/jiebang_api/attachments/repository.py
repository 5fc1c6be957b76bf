"""Queries on attachments and on the listings that link them."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.models import Attachment, Listing


async def get(session: AsyncSession, attachment_id: uuid.UUID) -> Attachment | None:
    return await session.get(Attachment, attachment_id)


async def many(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[Attachment]:
    if not ids:
        return []
    statement = select(Attachment).where(Attachment.id.in_(list(ids)))
    return list((await session.scalars(statement)).all())


async def listings_linking(session: AsyncSession, attachment_id: uuid.UUID) -> list[Listing]:
    """Listings whose `attachment_ids` name the attachment.

    The JSON list is matched as text (works on SQLite and PostgreSQL alike), then checked
    exactly, so a textual near-miss never counts.
    """
    key = str(attachment_id)
    statement = select(Listing).where(
        cast(Listing.attachment_ids, String).contains(key, autoescape=True)
    )
    rows = (await session.scalars(statement)).all()
    return [listing for listing in rows if key in (listing.attachment_ids or [])]
