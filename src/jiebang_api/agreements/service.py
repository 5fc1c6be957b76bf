"""Use cases of agreements: negotiation records, the agreement's terms, the department's
waivers, and each side's confirmation (第九条（六）（七）).

Negotiation follows the recommendation's rank: the best recommended application first, the
next only once every application ranked above it has left the running (its agreement
annulled). An agreement keeps whatever terms the sides write; the rules of the measures are
evaluated on every read (`findings`), and the blocking ones stop its confirmation and
submission (422, each cited) until the terms change, a waiver lifts an "in principle" rule,
or — for the caps — a case-by-case decision is recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.agreements import events as agreements_events
from jiebang_api.agreements import notice, terms
from jiebang_api.agreements import repository as agreements_repository
from jiebang_api.agreements.workflow import (
    EDITABLE,
    MACHINE,
    AgreementAction,
    AgreementStatus,
    Side,
    Sides,
    sides,
)
from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications import service as applications_service
from jiebang_api.applications.workflow import ApplicationStatus
from jiebang_api.attachments import service as attachments_service
from jiebang_api.audit import repository as audit_repository
from jiebang_api.audit import service as audit
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import SYSTEM, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit import deadlines
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Violation,
    require_version,
)
from jiebang_api.kit.money import to_text
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.models import (
    Agreement,
    AgreementWaiver,
    Application,
    AuditEntry,
    Listing,
    Negotiation,
)
from jiebang_api.policies import calendar as calendars
from jiebang_api.policies import service as policies_service

RESOURCE = "agreement"
NOT_RECOMMENDED = Message(
    "只有推荐的揭榜申请才能协商和签订协议。",
    "Only a recommended application negotiates an agreement.",
)
NOT_ITS_TURN = Message(
    "协商按推荐名次进行：排名在前的申请尚未退出。",
    "Negotiation follows the rank: an application ranked above this one is still in the running.",
)
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
BREAKS_RULES = Message(
    "协议条款不符合办法的规定。", "The agreement's terms do not meet the measures."
)
NOT_WAIVABLE = Message("该规定不能以豁免方式免除。", "This rule cannot be waived on an agreement.")
WAIVED_ALREADY = Message("该规定已被豁免。", "The rule is waived already.")


# --- who the caller is to an agreement ---------------------------------------------------------


def _sides_of(app: Application, listing: Listing) -> Sides:
    return sides(ListingKind(listing.kind), listing.proposer_org_id, app.lead_org_id)


def side_of(principal: Principal, parties: Sides) -> Side | None:
    """The side the caller acts for: a member of its organisation, or the department for the
    demand side of an emergency listing (a member of both sides acts for the demand side)."""
    if parties.demand is None:
        if principal.has(Role.ADMIN):
            return Side.DEMAND
    elif principal.member_of(parties.demand):
        return Side.DEMAND
    return Side.SUPPLY if principal.member_of(parties.supply) else None


def _party_or_admin(principal: Principal, parties: Sides) -> bool:
    return principal.has(Role.ADMIN) or side_of(principal, parties) is not None


async def _application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, *, lock: bool = False
) -> tuple[Application, Listing, Sides]:
    """The application with its listing and sides, for the department and the two sides
    (404 for anyone else)."""
    policy.require(principal, Permission.USE_API)
    load = applications_repository.get_for_update if lock else applications_repository.get
    app = await load(session, application_id)
    listing = await listings_repository.get(session, app.listing_id) if app else None
    if app is None or listing is None:
        raise NotFound()
    parties = _sides_of(app, listing)
    if not _party_or_admin(principal, parties):
        raise NotFound()
    return app, listing, parties


async def _in_turn(session: AsyncSession, app: Application) -> None:
    """A recommended application, none ranked above it still recommended (409 otherwise)."""
    if app.status != ApplicationStatus.RECOMMENDED or app.recommendation_rank is None:
        raise Conflict(NOT_RECOMMENDED, extensions={"current_state": app.status})
    ahead = await applications_repository.recommended_above(
        session, app.listing_id, app.recommendation_rank
    )
    if ahead:
        raise Conflict(NOT_ITS_TURN, extensions={"current_state": app.status})


# --- negotiation records -------------------------------------------------------------------------


async def record_negotiation(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
) -> Negotiation:
    """A record of one negotiation (the department or either side), in the rank's turn."""
    app, listing, _ = await _application(session, principal, application_id)
    await _in_turn(session, app)
    attachment_ids = list(data.get("attachment_ids") or [])
    await attachments_service.require_linkable(session, principal=principal, ids=attachment_ids)
    record = Negotiation(
        id=uuid.uuid4(),
        application_id=app.id,
        held_on=data["held_on"],
        participants=list(data["participants"]),
        minutes=data["minutes"],
        attachment_ids=[str(a) for a in attachment_ids],
        recorded_by=principal.user_id,
    )
    session.add(record)
    await session.flush()
    await audit.record(
        session,
        actor=principal.actor,
        action="negotiation.record",
        resource_type="negotiation",
        resource_id=record.id,
        now=now,
        data={"application_id": str(app.id)},
    )
    await events.publish(
        session,
        agreements_events.NegotiationRecorded(
            occurred_at=now, negotiation_id=record.id, application_id=app.id, listing_id=listing.id
        ),
    )
    return record


async def negotiations(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[Negotiation]:
    """The application's negotiation records, oldest first (the department and the sides)."""
    await _application(session, principal, application_id)
    rows = await agreements_repository.negotiations(
        session, application_id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    return page_of(rows, limit, by_creation)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whoever may read a negotiation record that links the file (the department and the
    two sides) may read the file."""
    for record in await agreements_repository.negotiations_linking(session, attachment_id):
        app = await applications_repository.get(session, record.application_id)
        listing = await listings_repository.get(session, app.listing_id) if app else None
        if app and listing and _party_or_admin(principal, _sides_of(app, listing)):
            return True
    return False


# --- the agreement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementView:
    """An agreement with its waivers and what the rules find in its terms now."""

    agreement: Agreement
    now: datetime
    waivers: list[AgreementWaiver]
    findings: terms.Findings

    @property
    def status(self) -> AgreementStatus:
        """As of `now`: a notice whose period has ended reads as passed."""
        return notice.effective_status(self.agreement, self.now)


async def _limits(session: AsyncSession, agreement: Agreement) -> terms.Limits:
    version = (
        await policies_service.get(session, agreement.policy_version_id)
        if agreement.policy_version_id
        else None
    )
    if version is None:
        return terms.THE_MEASURES
    return terms.Limits(
        agreement_min_ratio=version.agreement_min_ratio,
        subsidy_max_ratio=version.subsidy_max_ratio,
        subsidy_cap=version.subsidy_cap,
        tech_breakthrough_max_months=version.tech_breakthrough_max_months,
        achievement_transfer_max_months=version.achievement_transfer_max_months,
    )


def _terms(agreement: Agreement, kind: ListingKind) -> terms.Terms:
    return terms.Terms(
        kind=kind,
        agreement_amount=agreement.agreement_amount,
        total_rd_investment=agreement.total_rd_investment,
        requested_subsidy=agreement.requested_subsidy,
        duration_months=agreement.duration_months,
        payments=[Decimal(p["amount"]) for p in agreement.payment_schedule],
        budget_lines=[(b["category"], Decimal(b["amount"])) for b in agreement.budget_lines],
        ip_ownership=agreement.ip_ownership,
        benefit_sharing=agreement.benefit_sharing,
    )


async def _view(
    session: AsyncSession, agreement: Agreement, listing: Listing, now: datetime
) -> AgreementView:
    waivers = await agreements_repository.waivers(session, agreement.id)
    findings = terms.check(
        _terms(agreement, ListingKind(listing.kind)),
        await _limits(session, agreement),
        waivers={w.rule for w in waivers},
    )
    return AgreementView(agreement, now, waivers, findings)


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
    found = terms.sums(_terms(agreement, kind))
    if found:
        raise InputInvalid(violations=found)


async def _record(
    session: AsyncSession,
    principal: Principal,
    agreement: Agreement,
    action: str,
    event_class: type[agreements_events.AgreementEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The audit entry of a use case, then its event."""
    await audit.record(
        session,
        actor=principal.actor,
        action=f"agreement.{action}",
        resource_type=RESOURCE,
        resource_id=agreement.id,
        now=now,
        from_state=from_state,
        to_state=agreement.status,
        reason=reason,
        data=data,
    )
    event = event_class(
        occurred_at=now,
        agreement_id=agreement.id,
        application_id=agreement.application_id,
        listing_id=agreement.listing_id,
        status=AgreementStatus(agreement.status),
        from_status=AgreementStatus(from_state) if from_state else None,
        **fields,
    )
    await events.publish(session, event)


async def create(
    session: AsyncSession, *, principal: Principal, data: Mapping[str, Any], now: datetime
) -> AgreementView:
    """A draft agreement for a recommended application in its turn (the department or
    either side), under the policy version in force today."""
    app, listing, parties = await _application(
        session, principal, data["application_id"], lock=True
    )
    await _in_turn(session, app)
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
    await _record(session, principal, agreement, "create", agreements_events.AgreementCreated, now)
    return await _view(session, agreement, listing, now)


async def _load(
    session: AsyncSession,
    principal: Principal,
    agreement_id: uuid.UUID,
    *,
    lock: bool,
    now: datetime | None = None,
) -> tuple[Agreement, Listing, Sides]:
    """The agreement, for the department and the two sides (404 for anyone else); locked
    for a change, with any time-driven step that is due taken first (at `now`)."""
    policy.require(principal, Permission.USE_API)
    load = agreements_repository.get_for_update if lock else agreements_repository.get
    agreement = await load(session, agreement_id)
    listing = await listings_repository.get(session, agreement.listing_id) if agreement else None
    if agreement is None or listing is None:
        raise NotFound()
    parties = Sides(agreement.demand_org_id, agreement.supply_org_id)
    if not _party_or_admin(principal, parties):
        raise NotFound()
    if lock and now is not None:
        await run_deadlines(session, agreement, now)
    return agreement, listing, parties


async def get(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> AgreementView:
    """The agreement, for the department and the two sides (404 for anyone else)."""
    agreement, listing, _ = await _load(session, principal, agreement_id, lock=False)
    return await _view(session, agreement, listing, now)


async def history(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID
) -> list[AuditEntry]:
    """Every step of the agreement, waivers included, oldest first (as `get` is read)."""
    await _load(session, principal, agreement_id, lock=False)
    return await audit_repository.list_for(session, RESOURCE, str(agreement_id))


def _clear_confirmations(agreement: Agreement) -> None:
    agreement.demand_confirmed_by = agreement.demand_confirmed_at = None
    agreement.supply_confirmed_by = agreement.supply_confirmed_at = None


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    data: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> AgreementView:
    """Change the terms (either side or the department) while a draft or returned; any
    change clears both confirmations."""
    agreement, listing, _ = await _load(session, principal, agreement_id, lock=True, now=now)
    require_version(agreement.version, expected_version)
    if AgreementStatus(agreement.status) not in EDITABLE:
        raise Conflict(NOT_EDITABLE, extensions={"current_state": agreement.status})
    given = _stored(data)
    changed = sorted(name for name, value in given.items() if getattr(agreement, name) != value)
    for name, value in given.items():
        setattr(agreement, name, value)
    _require_sums(agreement, ListingKind(listing.kind))
    if changed:
        _clear_confirmations(agreement)
        await _record(
            session,
            principal,
            agreement,
            "update",
            agreements_events.AgreementUpdated,
            now,
            from_state=agreement.status,
            fields=changed,
        )
    return await _view(session, agreement, listing, now)


def _require_rules(view: AgreementView) -> None:
    if view.findings.blocking:
        raise RuleViolation(BREAKS_RULES, violations=view.findings.blocking)


async def confirm(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> AgreementView:
    """One side confirms the terms (a member of its organisation; the department for an
    emergency listing's demand side); refused while a rule blocks them."""
    agreement, listing, parties = await _load(session, principal, agreement_id, lock=True, now=now)
    side = side_of(principal, parties)
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
    view = await _view(session, agreement, listing, now)
    _require_rules(view)
    if side is Side.DEMAND:
        agreement.demand_confirmed_by, agreement.demand_confirmed_at = principal.user_id, now
    else:
        agreement.supply_confirmed_by, agreement.supply_confirmed_at = principal.user_id, now
    agreement.status = after.value
    await _record(
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
) -> AgreementView:
    """Either side submits the confirmed agreement to the department's review."""
    agreement, listing, parties = await _load(session, principal, agreement_id, lock=True, now=now)
    if side_of(principal, parties) is None:
        raise PermissionDenied(NOT_A_SIDE)
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.SUBMIT).value
    view = await _view(session, agreement, listing, now)
    _require_rules(view)
    agreement.submitted_at = now
    await _record(
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
) -> AgreementView:
    """The department lifts an "in principle" rule (R-FUND-AGREEMENT-MIN, R-TIME-TB-36M,
    R-TIME-AT-24M) on this agreement, with its reason and document; audited."""
    agreement, listing, _ = await _load(session, principal, agreement_id, lock=True, now=now)
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    if rule not in terms.WAIVABLE:
        raise InputInvalid(violations=[Violation(NOT_WAIVABLE, field="body.rule")])
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
    await session.flush()  # the agreement's lock keeps two waivers of one rule apart
    await _record(
        session,
        principal,
        agreement,
        "waive",
        agreements_events.AgreementRuleWaived,
        now,
        from_state=agreement.status,
        reason=reason,
        data={"rule": rule, "document_ref": document_ref},
        rule=rule,
    )
    return await _view(session, agreement, listing, now)


# --- the department's review, the notice, and abandoning --------------------------------------

NOTICE_ONLY_FOR_EMERGENCY = Message(
    "只有应急类项目可以省略公示。", "Only an emergency listing's agreement may skip the notice."
)
WHY_ABANDONED = "协议已作废 / the agreement was annulled"


async def _department_step(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, now: datetime
) -> tuple[Agreement, Listing]:
    agreement, listing, _ = await _load(session, principal, agreement_id, lock=True, now=now)
    policy.require(principal, Permission.MANAGE_AGREEMENTS)
    return agreement, listing


async def return_(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> AgreementView:
    """The department sends a submitted agreement back to the sides; they confirm again."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.RETURN).value
    _clear_confirmations(agreement)
    await _record(
        session,
        principal,
        agreement,
        "return",
        agreements_events.AgreementReturned,
        now,
        from_state=before.value,
        reason=reason,
    )
    return await _view(session, agreement, listing, now)


async def _working_days(session: AsyncSession, agreement: Agreement) -> int:
    version = (
        await policies_service.get(session, agreement.policy_version_id)
        if agreement.policy_version_id
        else None
    )
    return version.publicity_working_days if version else notice.DEFAULT_WORKING_DAYS


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    skip_notice: bool,
    now: datetime,
) -> AgreementView:
    """The department approves a submitted agreement and puts it on public notice (第九条
    （七）, R-WF-PUBLICITY) for the policy version's working days, from the next working day;
    an emergency listing's may skip the notice (R-WF-EM-SIMPLIFIED, the skip audited)."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    emergency = ListingKind(listing.kind) is ListingKind.EMERGENCY
    if skip_notice and not emergency:
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
    view = await _view(session, agreement, listing, now)
    _require_rules(view)
    data: dict[str, Any]
    if skip_notice:
        data = {"skipped_steps": ["public_notice"], "rule": "R-WF-EM-SIMPLIFIED"}
    else:
        period = notice.notice_after(
            await calendars.calendar(session),
            now.astimezone(SHANGHAI).date(),
            await _working_days(session, agreement),
        )
        agreement.publicity_starts_on, agreement.publicity_ends_on = (
            period.starts_on,
            period.ends_on,
        )
        agreement.objections_close_at = period.objections_close_at
        agreement.publicity_calendar = {y: s.value for y, s in period.sources.items()}
        agreement.next_check_at = deadlines.due_at(notice.next_deadline(agreement))
        data = {
            "publicity_starts_on": period.starts_on.isoformat(),
            "publicity_ends_on": period.ends_on.isoformat(),
            "calendar": agreement.publicity_calendar,
        }
    await _record(
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


async def abandon(
    session: AsyncSession,
    *,
    principal: Principal,
    agreement_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> AgreementView:
    """The department annuls an agreement not yet signed: its application leaves the
    running, the next recommended one may negotiate, and with none left the listing fails."""
    agreement, listing = await _department_step(session, principal, agreement_id, now)
    await _annul(session, principal, agreement, listing, "abandon", reason, now)
    return await _view(session, agreement, listing, now)


async def _annul(
    session: AsyncSession,
    principal: Principal,
    agreement: Agreement,
    listing: Listing,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    before = AgreementStatus(agreement.status)
    agreement.status = MACHINE.next_state(before, AgreementAction.ABANDON).value
    agreement.next_check_at = None
    await _record(
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
        reason=WHY_ABANDONED,
        now=now,
    )
    if not left:
        why = {"agreement_id": str(agreement.id), "reason": "no recommended application left"}
        await listings_service.fail(session, principal, listing.id, data=why, now=now)


async def run_deadlines(session: AsyncSession, agreement: Agreement, now: datetime) -> None:
    """Take the time-driven step that is due (the worker's sweep calls this on a locked row):
    a notice whose period has ended passes, by the system."""
    due = notice.next_deadline(agreement)
    if due is not None and due.due_at <= now:
        before = AgreementStatus(agreement.status)
        agreement.status = MACHINE.next_state(before, due.action).value
        await _record(
            session,
            SYSTEM,
            agreement,
            "pass_notice",
            agreements_events.AgreementNoticePassed,
            now,
            from_state=before.value,
            reason=NOTICE_ENDED,
        )
    agreement.next_check_at = deadlines.due_at(notice.next_deadline(agreement))


NOTICE_ENDED = "公示期满无异议 / the notice period ended with no objection standing"
