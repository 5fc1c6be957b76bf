"""The public notice and its objections (公示, 第九条（七）): anyone reads the notices and may
object while one is open; the department upholds an objection (the agreement is annulled,
the next recommended application may negotiate) or dismisses it (it counts as none). The
notice passes only once its period has ended with no objection open."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access, notice, publicity, review
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import AgreementStatus, NoticeState, ObjectionStatus, Sides
from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.events import bus as events
from jiebang_api.kit.errors import Conflict, ErrorCode, Message, NotFound, Violation
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.listings import repository as listings_repository
from jiebang_api.models import Agreement, Listing, Objection

RESOURCE = "objection"
NOTICE_CLOSED = Message(
    "该公示当前不接受异议：异议仅在公示期内提出。",
    "This notice does not take objections now: they are taken only during its period.",
)
RESOLVED_ALREADY = Message("该异议已处理。", "The objection has been decided already.")
UPHELD = "公示异议成立 / an objection to the notice was upheld"


@dataclass(frozen=True)
class PublicNotice:
    """What the public reads of an agreement on notice: the listing, the two sides' names,
    the figures and the period; nothing personal."""

    agreement: Agreement
    listing: Listing
    demand_name: str  # the department's where it stands for the demand side
    supply_name: str
    state: NoticeState


async def _public(
    session: AsyncSession, agreements: list[Agreement], now: datetime
) -> list[PublicNotice]:
    listings = await listings_repository.many(session, {a.listing_id for a in agreements})
    parties = [Sides(a.demand_org_id, a.supply_org_id) for a in agreements]
    named = await access.side_names(session, parties)
    return [
        PublicNotice(a, listings[a.listing_id], *named(sides), notice.state(a, now))
        for a, sides in zip(agreements, parties, strict=True)
    ]


async def notices(
    session: AsyncSession, *, cursor: str | None, limit: int, now: datetime
) -> Page[PublicNotice]:
    """Every agreement that went on public notice, oldest first (anyone)."""
    rows = await agreements_repository.notices(
        session, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    page = page_of(rows, limit, by_creation)
    return Page(items=await _public(session, page.items, now), next_cursor=page.next_cursor)


async def public_notice(
    session: AsyncSession, *, agreement_id: uuid.UUID, now: datetime
) -> PublicNotice:
    """One notice (anyone); 404 for an agreement that never went on notice."""
    agreement = await agreements_repository.get(session, agreement_id)
    if agreement is None or agreement.publicity_starts_on is None:
        raise NotFound()
    return (await _public(session, [agreement], now))[0]


async def file(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Objection:
    """An objection to an agreement on notice (anyone, signed in or not), only while the
    notice takes objections (409 otherwise). The notice then waits for the decision."""
    agreement = await agreements_repository.get_for_update(session, agreement_id)
    if agreement is None or agreement.publicity_starts_on is None:
        raise NotFound()
    await publicity.run_deadlines(session, agreement, now)
    if not notice.accepts_objections(agreement, now):
        closes = agreement.objections_close_at
        raise Conflict(
            NOTICE_CLOSED,
            code=ErrorCode.NOTICE_CLOSED,
            violations=[Violation(NOTICE_CLOSED, rule="R-WF-PUBLICITY", article="第九条（七）")],
            extensions={
                "current_state": notice.state(agreement, now).value,
                "objections_close_at": closes.isoformat() if closes else None,
            },
        )
    attachment_ids = list(data.get("attachment_ids") or [])
    await attachments_service.require_linkable(session, principal=principal, ids=attachment_ids)
    objection = Objection(
        id=uuid.uuid4(),
        agreement_id=agreement.id,
        filer_name=data["filer_name"],
        filer_kind=str(data["filer_kind"]),
        contact=data["contact"],
        grounds=data["grounds"],
        attachment_ids=[str(a) for a in attachment_ids],
        filed_by=principal.user_id,
        status=ObjectionStatus.OPEN.value,
    )
    session.add(objection)
    agreement.open_objections += 1
    publicity.reschedule(agreement)
    await session.flush()
    await _record(session, principal, objection, agreement, "file", now)
    return objection


async def _record(
    session: AsyncSession,
    principal: Principal,
    objection: Objection,
    agreement: Agreement,
    action: str,
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
) -> None:
    event: agreements_events.ObjectionEvent
    if action == "file":
        event = agreements_events.ObjectionFiled(
            occurred_at=now,
            objection_id=objection.id,
            agreement_id=agreement.id,
            listing_id=agreement.listing_id,
        )
    else:
        event = agreements_events.ObjectionResolved(
            occurred_at=now,
            objection_id=objection.id,
            agreement_id=agreement.id,
            listing_id=agreement.listing_id,
            outcome=objection.status,
        )
    await events.record(
        session,
        event,
        actor=principal.actor,
        action=f"objection.{action}",
        to_state=objection.status,
        from_state=from_state,
        reason=reason,
        data={"agreement_id": str(agreement.id)},
    )


async def objections(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID | None,
    status: ObjectionStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[Objection]:
    """Objections with the filers' contacts, oldest first (the department only)."""
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    rows = await agreements_repository.objections(
        session,
        agreement_id=agreement_id,
        status=status.value if status else None,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    return page_of(rows, limit, by_creation)


async def resolve(
    session: AsyncSession,
    *,
    principal: Principal,
    objection_id: uuid.UUID,
    outcome: ObjectionStatus,
    reason: str,
    now: datetime,
) -> Objection:
    """The department decides an open objection: upheld annuls the agreement (unless an
    earlier one did); dismissed counts as none, and a notice whose period has ended with no
    objection left open passes."""
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    found = await agreements_repository.objection(session, objection_id)
    if found is None:
        raise NotFound()
    # The agreement's lock first, as filing takes it: decisions and filings queue on it.
    agreement = await agreements_repository.get_for_update(session, found.agreement_id)
    objection = await agreements_repository.objection_for_update(session, objection_id)
    if agreement is None or objection is None:
        raise NotFound()
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(RESOLVED_ALREADY, extensions={"current_state": objection.status})
    objection.status = outcome.value
    objection.resolution_reason = reason
    objection.resolved_by, objection.resolved_at = principal.user_id, now
    agreement.open_objections -= 1
    await _record(
        session, principal, objection, agreement, "resolve", now, from_state="open", reason=reason
    )
    live = AgreementStatus(agreement.status) is not AgreementStatus.ANNULLED
    if outcome is ObjectionStatus.UPHELD and live:
        listing = await listings_repository.get(session, agreement.listing_id)
        if listing is None:  # an agreement's listing is never deleted (RESTRICT)
            raise NotFound()
        await review.annul(session, principal, agreement, listing, "annul", UPHELD, now)
    elif live:
        await publicity.run_deadlines(session, agreement, now)
    return objection
