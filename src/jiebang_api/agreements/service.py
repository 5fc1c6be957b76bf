"""Use cases of the agreement itself (第九条（六）（七）): drafting its terms, editing them,
the department's waivers and case-by-case decision, each side's confirmation and the
submission.

An agreement keeps whatever terms the sides write; the rules of the measures are evaluated
on every read (`findings`), and the blocking ones stop its confirmation, submission and
approval (422, each cited) until the terms change, a waiver lifts an "in principle" rule,
or — for the caps — a case-by-case decision is recorded (R-FUND-CASE-BY-CASE).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import access, core, publicity, review, terms
from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import (
    EDITABLE,
    MACHINE,
    AgreementAction,
    AgreementStatus,
    Side,
)
from jiebang_api.audit import repository as audit_repository
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    PermissionDenied,
    Violation,
    require_version,
)
from jiebang_api.kit.money import to_text
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import Agreement, AgreementWaiver, AuditEntry
from jiebang_api.policies import service as policies_service

AGREEMENT_EXISTS = Message(
    "该申请已有有效的协议。", "The application already has a live agreement."
)
NOT_EDITABLE = Message(
    "协议仅在草稿或退回修改时可以修改。", "The agreement is edited only as a draft or returned."
)
CONFIRMED_ALREADY = Message("该方已确认协议。", "This side has confirmed the agreement already.")
NOT_A_SIDE = Message(
    "只有协议一方的成员可以确认其条款。",
    "Only a member of one of the sides confirms the terms.",
)
NOT_WAIVABLE = Message("该规定不能以豁免方式免除。", "This rule cannot be waived on an agreement.")
WAIVED_ALREADY = Message(
    "该规定已被豁免（或已作一事一议决定）。",
    "The rule is waived already (or the case-by-case decision is recorded already).",
)


# --- the agreement ------------------------------------------------------------------------------


TERMS = (
    "agreement_amount",
    "total_rd_investment",
    "requested_subsidy",
    "start_on",
    "duration_months",
    "payment_schedule",
    "ip_ownership",
    "benefit_sharing",
    "milestones",
    "budget_lines",
)


MONEY_TERMS = frozenset({"agreement_amount", "total_rd_investment", "requested_subsidy"})


def _stored(data: Mapping[str, Any]) -> dict[str, Any]:
    """The terms as the row keeps them: amounts as `Decimal` columns, and in the JSON lists
    as decimal strings, dates in ISO form."""
    stored = {name: data[name] for name in TERMS if name in data}
    for name in MONEY_TERMS & stored.keys():
        stored[name] = Decimal(str(stored[name]))
    if "payment_schedule" in stored:
        stored["payment_schedule"] = [
            {**p, "amount": _money(p["amount"]), "due_on": str(p["due_on"])}
            for p in stored["payment_schedule"]
        ]
    if "milestones" in stored:
        stored["milestones"] = [{**m, "due_on": str(m["due_on"])} for m in stored["milestones"]]
    if "budget_lines" in stored:
        stored["budget_lines"] = [
            {"category": str(b["category"]), "amount": _money(b["amount"])}
            for b in stored["budget_lines"]
        ]
    return stored


def _money(value: Any) -> str:
    return to_text(Decimal(str(value)))


def _require_sums(agreement: Agreement, kind: ListingKind) -> None:
    found = terms.sums(core.terms_of(agreement, kind))
    if found:
        raise InputInvalid(violations=found)


async def create(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> core.AgreementView:
    """A draft agreement for a recommended application in its turn (the department or
    either side), under the policy version in force today."""
    app, listing, parties = await access.application(
        session, principal, data["application_id"], lock=True
    )
    await access.require_turn(session, app)
    if await agreements_repository.live_of_application(session, app.id) is not None:
        raise Conflict(AGREEMENT_EXISTS)
    version = await policies_service.in_force(session, now.astimezone(SHANGHAI).date())
    agreement = Agreement(
        id=uuid.uuid4(),
        application_id=app.id,
        listing_id=listing.id,
        demand_org_id=parties.demand,
        supply_org_id=parties.supply,
        status=AgreementStatus.DRAFT.value,
        policy_version_id=version.id if version else None,
        created_by=principal.user_id,
        **_stored(data),
    )
    _require_sums(agreement, ListingKind(listing.kind))
    session.add(agreement)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request made the application's agreement first
        raise Conflict(AGREEMENT_EXISTS) from None
    await core.record(
        session, principal, agreement, "create", agreements_events.AgreementCreated, now
    )
    return await core.view(session, agreement, listing, now)


async def get(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> core.AgreementView:
    """The agreement, for the department and the two sides (404 for anyone else)."""
    agreement, listing, _ = await access.agreement(session, principal, agreement_id, lock=False)
    return await core.view(session, agreement, listing, now)


async def history(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID
) -> list[AuditEntry]:
    """Every step of the agreement, waivers included, oldest first (as `get` is read)."""
    await access.agreement(session, principal, agreement_id, lock=False)
    return await audit_repository.list_for(session, core.RESOURCE, str(agreement_id))


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    data: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> core.AgreementView:
    """Change the terms (either side or the department) while a draft or returned; any
    change clears both confirmations."""
    agreement, listing, _ = await publicity.for_change(session, principal, agreement_id, now)
    require_version(agreement.version, expected_version)
    if AgreementStatus(agreement.status) not in EDITABLE:
        raise Conflict(NOT_EDITABLE, extensions={"current_state": agreement.status})
    given = _stored(data)
    changed = sorted(name for name, value in given.items() if getattr(agreement, name) != value)
    for name, value in given.items():
        setattr(agreement, name, value)
    _require_sums(agreement, ListingKind(listing.kind))
    if changed:
        review.clear_confirmations(agreement)
        await core.record(
            session,
            principal,
            agreement,
            "update",
            agreements_events.AgreementUpdated,
            now,
            from_state=agreement.status,
            fields=changed,
        )
    return await core.view(session, agreement, listing, now)


async def confirm(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> core.AgreementView:
    """One side confirms the terms (a member of its organisation; the department for an
    emergency listing's demand side); refused while a rule blocks them."""
    agreement, listing, parties = await publicity.for_change(session, principal, agreement_id, now)
    side = access.side_of(principal, parties)
    if side is None:
        raise PermissionDenied(NOT_A_SIDE)
    mine, theirs = (
        (agreement.demand_confirmed_at, agreement.supply_confirmed_at)
        if side is Side.DEMAND
        else (agreement.supply_confirmed_at, agreement.demand_confirmed_at)
    )
    before = AgreementStatus(agreement.status)
    action = AgreementAction.CONFIRM_ONE if theirs is None else AgreementAction.CONFIRM_BOTH
    after = MACHINE.next_state(before, action)
    if mine is not None:
        raise Conflict(CONFIRMED_ALREADY, extensions={"current_state": before.value})
    view = await core.view(session, agreement, listing, now)
    review.require_rules(view)
    if side is Side.DEMAND:
        agreement.demand_confirmed_by, agreement.demand_confirmed_at = principal.user_id, now
    else:
        agreement.supply_confirmed_by, agreement.supply_confirmed_at = principal.user_id, now
    agreement.status = after.value
    await core.record(
        session,
        principal,
        agreement,
        "confirm",
        agreements_events.AgreementConfirmed,
        now,
        from_state=before.value,
        data={"side": side.value},
        side=side.value,
    )
    return view


async def submit(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> core.AgreementView:
    """Either side submits the confirmed agreement to the department's review."""
    agreement, listing, parties = await publicity.for_change(session, principal, agreement_id, now)
    if access.side_of(principal, parties) is None:
        raise PermissionDenied(NOT_A_SIDE)
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.SUBMIT).value
    view = await core.view(session, agreement, listing, now)
    review.require_rules(view)
    agreement.submitted_at = now
    await core.record(
        session,
        principal,
        agreement,
        "submit",
        agreements_events.AgreementSubmitted,
        now,
        from_state=before.value,
    )
    return view


async def waive(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    rule: str,
    reason: str,
    document_ref: str,
    now: datetime,
) -> core.AgreementView:
    """The department lifts an "in principle" rule (R-FUND-AGREEMENT-MIN, R-TIME-TB-36M,
    R-TIME-AT-24M) on this agreement, with its reason and document; audited."""
    if rule not in terms.WAIVABLE:
        raise InputInvalid(violations=[Violation(NOT_WAIVABLE, field="body.rule")])
    return await _lift(
        session,
        principal,
        agreement_id,
        rule,
        agreements_events.AgreementRuleWaived,
        reason=reason,
        document_ref=document_ref,
        now=now,
    )


async def decide_case_by_case(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    reason: str,
    document_ref: str,
    now: datetime,
) -> core.AgreementView:
    """The department's case-by-case decision (一事一议, R-FUND-CASE-BY-CASE) lifts the
    subsidy caps (R-FUND-RATIO-CAP, R-FUND-ABS-CAP) on this agreement; audited."""
    return await _lift(
        session,
        principal,
        agreement_id,
        core.CASE_BY_CASE,
        agreements_events.AgreementCaseByCaseDecided,
        reason=reason,
        document_ref=document_ref,
        now=now,
    )


async def _lift(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    rule: str,
    event_class: type[agreements_events.AgreementEvent],
    *,
    reason: str,
    document_ref: str,
    now: datetime,
) -> core.AgreementView:
    agreement, listing, _ = await publicity.for_change(session, principal, agreement_id, now)
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    if AgreementStatus(agreement.status) in (AgreementStatus.SIGNED, AgreementStatus.ANNULLED):
        raise Conflict(NOT_EDITABLE, extensions={"current_state": agreement.status})
    if any(w.rule == rule for w in await agreements_repository.waivers(session, agreement.id)):
        raise Conflict(WAIVED_ALREADY)
    session.add(
        AgreementWaiver(
            id=uuid.uuid4(),
            agreement_id=agreement.id,
            rule=rule,
            reason=reason,
            document_ref=document_ref,
            decided_by=principal.user_id,
        )
    )
    await session.flush()  # the agreement's lock keeps two decisions on one rule apart
    is_waiver = event_class is agreements_events.AgreementRuleWaived
    await core.record(
        session,
        principal,
        agreement,
        "waive" if is_waiver else "decide_case_by_case",
        event_class,
        now,
        from_state=agreement.status,
        reason=reason,
        data={"rule": rule, "document_ref": document_ref},
        **({"rule": rule} if is_waiver else {}),
    )
    return await core.view(session, agreement, listing, now)
