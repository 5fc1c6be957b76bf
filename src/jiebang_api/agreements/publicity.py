"""Time-driven steps of an agreement: the public notice passes when its period has ended
with no objection open (第九条（七）, R-WF-PUBLICITY). The worker's sweep takes the step on a
locked row; so does any change to the agreement, before it acts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access, core, notice
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements.workflow import MACHINE, AgreementStatus, Sides
from jiebang_api.auth.principal import SYSTEM, Principal
from jiebang_api.kit import deadlines
from jiebang_api.models import Agreement, Listing

NOTICE_ENDED = "公示期满无异议 / the notice period ended with no objection standing"


def reschedule(agreement: Agreement) -> None:
    """Point the sweep at the agreement's next time-driven step (none while an objection is
    open: the department's decision moves it on)."""
    agreement.next_check_at = deadlines.due_at(notice.next_deadline(agreement))


async def run_deadlines(session: AsyncSession, agreement: Agreement, now: datetime) -> None:
    """Take the time-driven step that is due, by the system (the row is locked)."""
    due = notice.next_deadline(agreement)
    if due is not None and due.due_at <= now:
        before = AgreementStatus(agreement.status)
        agreement.status = MACHINE.next_state(before, due.action).value
        await core.record(
            session,
            SYSTEM,
            agreement,
            "pass_notice",
            agreements_events.AgreementNoticePassed,
            now,
            from_state=before.value,
            reason=NOTICE_ENDED,
        )
    reschedule(agreement)


async def for_change(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> tuple[Agreement, Listing, Sides]:
    """The agreement locked for a change (the department and the two sides; 404 for anyone
    else), with any time-driven step that is due taken first."""
    agreement, listing, parties = await access.agreement(
        session, principal, agreement_id, lock=True
    )
    await run_deadlines(session, agreement, now)
    return agreement, listing, parties
