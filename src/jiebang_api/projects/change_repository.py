"""Queries of change requests, special audits and recoveries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.kit.pagination import Cursor
from jiebang_api.kit.querying import after_cursor, mentions
from jiebang_api.models import ChangeRequest, Recovery, SpecialAudit
from jiebang_api.projects.change_workflow import OPEN


async def change_request(
    session: AsyncSession, change_request_id: uuid.UUID, *, lock: bool = False
) -> ChangeRequest | None:
    statement = select(ChangeRequest).where(ChangeRequest.id == change_request_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def open_change_request(session: AsyncSession, project_id: uuid.UUID) -> ChangeRequest | None:
    statement = select(ChangeRequest).where(
        ChangeRequest.project_id == project_id,
        ChangeRequest.status.in_([s.value for s in OPEN]),
    )
    return (await session.scalars(statement.limit(1))).first()


async def change_requests(
    session: AsyncSession, project_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[ChangeRequest]:
    """Up to `limit + 1` of the project's change requests, oldest first."""
    statement = select(ChangeRequest).where(ChangeRequest.project_id == project_id)
    if after is not None:
        statement = statement.where(after_cursor(ChangeRequest.created_at, ChangeRequest.id, after))
    statement = statement.order_by(ChangeRequest.created_at, ChangeRequest.id).limit(limit + 1)
    return list((await session.scalars(statement)).all())


async def special_audit(session: AsyncSession, project_id: uuid.UUID) -> SpecialAudit | None:
    """The project's special audit, read afresh (its figures move on the project's lock)."""
    statement = (
        select(SpecialAudit)
        .where(SpecialAudit.project_id == project_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def recoveries(session: AsyncSession, project_id: uuid.UUID) -> list[Recovery]:
    statement = (
        select(Recovery)
        .where(Recovery.project_id == project_id)
        .order_by(Recovery.created_at, Recovery.id)
    )
    return list((await session.scalars(statement)).all())


async def projects_linking_in_changes(
    session: AsyncSession, attachment_id: uuid.UUID
) -> set[uuid.UUID]:
    """The projects of the change requests whose `attachment_ids` name the attachment."""
    key = str(attachment_id)
    statement = select(ChangeRequest).where(mentions(ChangeRequest.attachment_ids, key))
    rows = (await session.scalars(statement)).all()
    return {r.project_id for r in rows if key in (r.attachment_ids or [])}


async def projects_linking_in_recovery(
    session: AsyncSession, attachment_id: uuid.UUID
) -> set[uuid.UUID]:
    """The projects whose special audit report or recovery proof is the attachment."""
    audits = select(SpecialAudit.project_id).where(
        SpecialAudit.report_attachment_id == attachment_id
    )
    proofs = select(Recovery.project_id).where(Recovery.proof_attachment_id == attachment_id)
    found = set((await session.scalars(audits)).all())
    return found | set((await session.scalars(proofs)).all())
