"""The department's review of a submitted agreement (第九条（七）): return it to the sides,
approve it onto public notice, or abandon it; and annulling, which an upheld objection
does too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import core, notice, publicity
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements.workflow import MACHINE, AgreementAction, AgreementStatus
from jiebang_api.applications import service as applications_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import Message, RuleViolation, Violation
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Agreement, Listing
from jiebang_api.policies import calendar as calendars

NOTICE_ONLY_FOR_EMERGENCY = Message(
    "只有应急类项目可以省略公示。", "Only an emergency listing's agreement may skip the notice."
)
BREAKS_RULES = Message(
    "协议条款不符合办法的规定。", "The agreement's terms do not meet the measures."
)
WHY_ANNULLED = "协议已作废 / the agreement was annulled"


def require_rules(view: core.AgreementView) -> None:
    """422 citing every rule that blocks the terms."""
    if view.findings.blocking:
        raise RuleViolation(BREAKS_RULES, violations=view.findings.blocking)


async def _department_step(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> tuple[Agreement, Listing]:
    agreement, listing, _ = await publicity.for_change(session, principal, agreement_id, now)
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    return agreement, listing


async def return_(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> core.AgreementView:
    """The department sends a submitted agreement back to the sides; they confirm again."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.RETURN).value
    clear_confirmations(agreement)
    await core.record(
        session,
        principal,
        agreement,
        "return",
        agreements_events.AgreementReturned,
        now,
        from_state=before.value,
        reason=reason,
    )
    return await core.view(session, agreement, listing, now)


def clear_confirmations(agreement: Agreement) -> None:
    agreement.demand_confirmed_by = agreement.demand_confirmed_at = None
    agreement.supply_confirmed_by = agreement.supply_confirmed_at = None


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    skip_notice: bool,
    now: datetime,
) -> core.AgreementView:
    """The department approves a submitted agreement and puts it on public notice (第九条
    （七）, R-WF-PUBLICITY) for the policy version's working days, from the next working day;
    an emergency listing's may skip the notice (R-WF-EM-SIMPLIFIED, the skip audited)."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    if skip_notice and ListingKind(listing.kind) is not ListingKind.EMERGENCY:
        raise RuleViolation(
            NOTICE_ONLY_FOR_EMERGENCY,
            violations=[
                Violation(
                    NOTICE_ONLY_FOR_EMERGENCY,
                    rule="R-WF-PUBLICITY",
                    article="第九条（七）",
                    field="body.skip_notice",
                )
            ],
        )
    before = AgreementStatus(agreement.status)
    action = AgreementAction.APPROVE_WITHOUT_NOTICE if skip_notice else AgreementAction.APPROVE
    agreement.status = MACHINE.next_state(before, action).value
    view = await core.view(session, agreement, listing, now)
    require_rules(view)
    data: dict[str, Any] = {"skipped_steps": ["public_notice"], "rule": "R-WF-EM-SIMPLIFIED"}
    if not skip_notice:
        data = await _open_notice(session, agreement, now)
    await core.record(
        session,
        principal,
        agreement,
        "approve",
        agreements_events.AgreementApproved,
        now,
        from_state=before.value,
        data=data,
    )
    return view


async def _open_notice(
    session: AsyncSession, agreement: Agreement, now: datetime
) -> dict[str, Any]:
    """Set the notice's period from the first working day after today; what the audit keeps."""
    version = await core.policy_version(session, agreement)
    days = version.publicity_working_days if version else notice.DEFAULT_WORKING_DAYS
    period = notice.notice_after(
        await calendars.calendar(session), now.astimezone(SHANGHAI).date(), days
    )
    agreement.publicity_starts_on, agreement.publicity_ends_on = period.starts_on, period.ends_on
    agreement.objections_close_at = period.objections_close_at
    agreement.publicity_calendar = {y: s.value for y, s in period.sources.items()}
    publicity.reschedule(agreement)
    return {
        "publicity_starts_on": period.starts_on.isoformat(),
        "publicity_ends_on": period.ends_on.isoformat(),
        "calendar": agreement.publicity_calendar,
    }


async def abandon(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> core.AgreementView:
    """The department annuls an agreement not yet signed: its application leaves the
    running, the next recommended one may negotiate, and with none left the listing fails."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    await annul(session, principal, agreement, listing, "abandon", reason, now)
    return await core.view(session, agreement, listing, now)


async def annul(
    session: AsyncSession,
    principal: Principal,
    agreement: Agreement,
    listing: Listing,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    """Annul the (locked) agreement: its application becomes unsuccessful; with no
    recommended application left, the listing fails (流榜)."""
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.ABANDON).value
    agreement.next_check_at = None
    await core.record(
        session,
        principal,
        agreement,
        action,
        agreements_events.AgreementAnnulled,
        now,
        from_state=before.value,
        reason=reason,
    )
    left = await applications_service.not_selected(
        session,
        principal=principal,
        application_id=agreement.application_id,
        reason=WHY_ANNULLED,
        now=now,
    )
    if not left:
        why = {"agreement_id": str(agreement.id), "reason": "no recommended application left"}
        await listings_service.fail(session, principal, listing.id, data=why, now=now)
