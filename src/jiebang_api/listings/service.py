"""Use cases of listings: create, edit, the workflow transitions, reads and history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.attachments import service as attachments_service
from jiebang_api.audit import repository as audit_repository
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import SYSTEM, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit import deadlines
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import (
    Conflict,
    ErrorCode,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Violation,
    require_version,
)
from jiebang_api.kit.origin import Origin
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.listings import access as listings_access
from jiebang_api.listings import deadlines as listings_deadlines
from jiebang_api.listings import events as listings_events
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings import rules, search, workflow
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingAction, ListingStatus
from jiebang_api.models import AuditEntry, Listing, ListingAssessment
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.organizations import service as organizations_service
from jiebang_api.policies import service as policies_service
from jiebang_api.rules import SERVICE_RULE

RESOURCE = "listing"
CODE_LETTERS = {
    ListingKind.TECH_BREAKTHROUGH: "TB",
    ListingKind.ACHIEVEMENT_TRANSFER: "AT",
    ListingKind.EMERGENCY: "EM",
}
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "industry",
        "background",
        "key_technologies",
        "transfer_content",
        "transfer_form",
        "application_direction",
        "industrial_effect",
        "transfer_service",
        "time_requirement_months",
        "total_rd_investment",
        "demand_requirements",
        "supply_requirements",
        "ip_ownership",
        "benefit_sharing",
        "ip_records",
        "attachment_ids",
    }
)


WINDOW_ENDED = "申请期限届满 / application window ended"
_L = TypeVar("_L", bound=listings_access.ListingFacts)  # an entity, or a row of its columns


def _kind(listing: Listing) -> ListingKind:
    return ListingKind(listing.kind)


def _readable(principal: Principal, listing: _L | None) -> _L:
    """The listing, if it exists and the caller may see it; NotFound otherwise (no existence
    leaks)."""
    if listing is None or not listings_access.may_read(principal, listing):
        raise NotFound()
    return listing


async def _load(session: AsyncSession, principal: Principal, listing_id: uuid.UUID) -> Listing:
    """The listing, locked to change, when the caller may see it."""
    policy.require(principal, Permission.USE_API)
    return _readable(principal, await listings_repository.get_for_update(session, listing_id))


async def _visible(session: AsyncSession, principal: Principal, listing_id: uuid.UUID) -> Any:
    """The listing's columns (`listings_repository.one`) when the caller may see it."""
    policy.require(principal, Permission.USE_API)
    return _readable(principal, await listings_repository.one(session, listing_id))


def _index(listing: Listing) -> None:
    listing.search_text = search.search_text(
        listing.title, listing.background, listing.key_technologies or []
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    listing: Listing,
    action: str,
    event: listings_events.ListingEvent,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a use case, then its event (whose reactions run in this transaction)."""
    await events.record(
        session,
        event,
        actor=principal.actor,
        action=f"listing.{action}",
        to_state=listing.status,
        from_state=event.from_status,
        reason=reason,
        data=data,
        resource=(RESOURCE, listing.id),
    )


def _event(
    event_class: type[listings_events.ListingEvent],
    listing: Listing,
    now: datetime,
    from_state: str | None,
    **fields: Any,
) -> listings_events.ListingEvent:
    return event_class(
        occurred_at=now,
        listing_id=listing.id,
        code=listing.code,
        kind=ListingKind(listing.kind),
        status=ListingStatus(listing.status),
        from_status=ListingStatus(from_state) if from_state else None,
        **fields,
    )


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    data: Mapping[str, Any],
    now: datetime,
    origin: Origin | None = None,
) -> Listing:
    """A draft listing; emergency listings are the department's, without proposer. `origin`:
    an import's reference and digest, kept on the listing."""
    kind = ListingKind(data["kind"])
    proposer = data.get("proposer_org_id")
    if kind is ListingKind.EMERGENCY:
        policy.require(principal, Permission.CREATE_EMERGENCY_LISTING)
        if proposer is not None:
            raise InputInvalid(
                Message(
                    "应急类榜单由科技厅组织，无发榜单位。", "Emergency listings have no proposer."
                )
            )
    else:
        policy.require(principal, Permission.USE_API)
        if proposer is None:
            raise InputInvalid(Message("请指定发榜单位。", "proposer_org_id is required."))
        if not await organizations_repository.exists(session, proposer):
            raise InputInvalid(Message("发榜单位不存在。", "The proposer does not exist."))
        policy.require(principal, Permission.ACT_FOR_PROPOSER, proposer)
    await attachments_service.require_linkable(
        session, principal=principal, ids=[uuid.UUID(a) for a in data.get("attachment_ids", [])]
    )
    year = now.astimezone(SHANGHAI).year
    number = await listings_repository.next_number(session, f"JB-{CODE_LETTERS[kind]}", year)
    listing = Listing(
        id=uuid.uuid4(),
        code=f"JB-{year}-{CODE_LETTERS[kind]}-{number:04d}",
        status=ListingStatus.DRAFT.value,
        **{k: v for k, v in data.items() if k in EDITABLE_FIELDS | {"kind", "proposer_org_id"}},
        **(origin.columns() if origin else {}),
    )
    _index(listing)
    session.add(listing)
    await session.flush()
    await _record(
        session,
        principal,
        listing,
        "create",
        _event(listings_events.ListingCreated, listing, now, None),
        data={"code": listing.code},
    )
    return listing


async def get(session: AsyncSession, *, principal: Principal, listing_id: uuid.UUID) -> Any:
    """The listing's columns, for a caller who may see it."""
    return await _visible(session, principal, listing_id)


async def list_(
    session: AsyncSession,
    *,
    principal: Principal,
    kind: str | None,
    status: str | None,
    industry: str | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Listing]:
    """Admin: every listing; organisation members: their organisations' listings."""
    policy.require(principal, Permission.USE_API)
    proposers = None if principal.has(Role.ADMIN) else list(principal.memberships)
    rows = await listings_repository.list_page(
        session,
        proposer_ids=proposers,
        kind=kind,
        statuses=[status] if status else None,
        industry=industry,
        q=q,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    return page_of(rows, limit, by_creation)


def _can_edit(principal: Principal, listing: Listing, status: ListingStatus) -> bool:
    if principal.has(Role.ADMIN):
        return status in workflow.EDITABLE_BY_DEPARTMENT
    return (
        listing.proposer_org_id is not None
        and policy.can(principal, Permission.ACT_FOR_PROPOSER, listing.proposer_org_id)
        and status in workflow.EDITABLE_BY_PROPOSER
    )


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """Edit the text: the proposer while draft or returned, the department until publication.
    Editing confirmed text clears the confirmation (R-WF-PUBLISH-JOINT)."""
    listing = await _load(session, principal, listing_id)
    require_version(listing.version, expected_version)
    status = listings_access.status_of(listing, now)
    if not _can_edit(principal, listing, status):
        if principal.has(Role.ADMIN) or status not in workflow.EDITABLE_BY_PROPOSER:
            raise Conflict(
                Message(
                    f"榜单当前状态（{status.value}）不允许修改。",
                    f"The listing cannot be edited while {status.value}.",
                ),
                extensions={"current_state": status.value},
            )
        raise PermissionDenied()
    if "attachment_ids" in changes:
        await attachments_service.require_linkable(
            session,
            principal=principal,
            ids=[uuid.UUID(a) for a in changes["attachment_ids"]],
            already_linked=listing.attachment_ids,
        )
    changed = {k: v for k, v in changes.items() if getattr(listing, k) != v}
    for name, value in changed.items():
        setattr(listing, name, value)
    _index(listing)
    new_status = workflow.after_edit(status)
    if new_status is not status:
        listing.status = new_status.value
        listing.confirmed_at = listing.confirmed_by = None
    await session.flush()
    await _record(
        session,
        principal,
        listing,
        "update",
        _event(listings_events.ListingUpdated, listing, now, status.value, fields=sorted(changed)),
        data={"fields": sorted(changed), "confirmation_cleared": new_status is not status},
    )
    return listing


async def _proposer(
    session: AsyncSession, listing: Listing, now: datetime
) -> rules.ProposerFacts | None:
    """What the rules know of the listing's proposer today (None: an emergency listing)."""
    if listing.proposer_org_id is None:
        return None
    org = await organizations_repository.get(session, listing.proposer_org_id)
    dishonest = await organizations_service.has_active_dishonesty(
        session, listing.proposer_org_id, now.astimezone(SHANGHAI).date()
    )
    return _facts(org, dishonest)


def _facts(org: Any, active_dishonesty: bool) -> rules.ProposerFacts:
    return rules.ProposerFacts(
        name=org.name,
        type=org.type,
        in_region=org.in_region,
        independent_legal_person=org.independent_legal_person,
        central_enterprise_branch=org.central_enterprise_branch,
        pays_tax_in_region=org.pays_tax_in_region,
        high_tech=org.high_tech,
        verified_flags=frozenset(org.verified_flags),
        active_dishonesty=active_dishonesty,
        large_influential=org.large_influential,
        partner_4_8_n=org.partner_4_8_n,
        tech_based=org.tech_based,
    )


async def _duration_limits(session: AsyncSession, now: datetime) -> rules.DurationLimits:
    """Art. 16's limits from the policy version in force (the measures' own without one)."""
    version = await policies_service.in_force(session, now.astimezone(SHANGHAI).date())
    if version is None:
        return rules.DurationLimits()
    return rules.DurationLimits(
        tech_breakthrough=version.tech_breakthrough_max_months,
        achievement_transfer=version.achievement_transfer_max_months,
    )


def _text(listing: Listing) -> dict[str, Any]:
    """The listing's editable text, as the pure rules read it."""
    return {name: getattr(listing, name) for name in EDITABLE_FIELDS}


def _finding(v: Violation) -> dict[str, Any]:
    return {
        **asdict(v),
        "org_id": str(v.org_id) if v.org_id else None,
        "message": {"zh": v.message.zh, "en": v.message.en},
    }


async def _transition(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    action: ListingAction,
    permission: Permission,
    *,
    expected_version: int | None,
    now: datetime,
    guard: Callable[[Listing, ListingStatus], None] | None = None,
) -> tuple[Listing, ListingStatus]:
    """Load, authorise and move the listing; returns it with the state it left. `guard`, if
    given, may refuse the step (citing its rule) before the state machine is asked."""
    listing = await _load(session, principal, listing_id)
    org = listing.proposer_org_id
    if permission is Permission.ACT_FOR_PROPOSER and org is None:
        policy.require(principal, Permission.REVIEW_LISTING)  # emergency: the department acts
    else:
        policy.require(principal, permission, org)
    require_version(listing.version, expected_version)
    await run_deadlines(session, listing, now)  # a window that has ended closes first
    before = ListingStatus(listing.status)
    if guard is not None:
        guard(listing, before)
    listing.status = workflow.machine(_kind(listing)).next_state(before, action).value
    return listing, before


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """The proposer submits: required fields and proposer eligibility, all findings at once."""
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        ListingAction.SUBMIT,
        Permission.ACT_FOR_PROPOSER,
        expected_version=expected_version,
        now=now,
    )
    kind = _kind(listing)
    facts = _text(listing)
    proposer = await _proposer(session, listing, now)
    if proposer is not None:
        limits = await _duration_limits(session, now)
        report = rules.evaluate_submission(kind, facts, proposer, limits)
    else:
        report = rules.Report(rules.required_fields(kind, facts))
    if not report.passed:
        raise RuleViolation(
            Message("榜单未通过提交审查。", "The listing does not meet the requirements."),
            violations=report.violations,
            code=ErrorCode.ELIGIBILITY_FAILED,
        )
    listing.eligibility_warnings = [_finding(w) for w in report.warnings]
    await session.flush()
    await _step_recorded(session, principal, listing, ListingAction.SUBMIT, before, now)
    return listing


async def screen(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    passed: bool,
    comment: str | None,
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """Initial screening by the department (Art. 9 (2)): on to assessment, or rejected."""
    action = ListingAction.SCREEN_PASS if passed else ListingAction.SCREEN_FAIL
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        action,
        Permission.REVIEW_LISTING,
        expected_version=expected_version,
        now=now,
    )
    await _step_recorded(session, principal, listing, action, before, now, reason=comment)
    return listing


async def add_assessment(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    assessor: str,
    conclusion: str,
    comment: str | None,
    now: datetime,
    layout_fit: bool | None = None,
) -> ListingAssessment:
    """Record one assessment opinion (论证) while the listing is under assessment; only an
    achievement transfer's opinion judges its fit with the region's layout (第七条（一）)."""
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        ListingAction.ASSESS,
        Permission.REVIEW_LISTING,
        expected_version=None,
        now=now,
    )
    if layout_fit is not None and _kind(listing) is not ListingKind.ACHIEVEMENT_TRANSFER:
        raise InputInvalid(violations=[LAYOUT_FIT_NOT_JUDGED_HERE])
    opinion = ListingAssessment(
        id=uuid.uuid4(),
        listing_id=listing.id,
        assessor=assessor,
        conclusion=conclusion,
        comment=comment,
        layout_fit=layout_fit,
        recorded_by=principal.user_id,
    )
    session.add(opinion)
    await session.flush()
    await _record(
        session,
        principal,
        listing,
        "assess",
        _event(listings_events.ListingAssessed, listing, now, before.value, conclusion=conclusion),
        data={"assessor": assessor, "conclusion": conclusion, "layout_fit": layout_fit},
    )
    return opinion


LAYOUT_FIT_NOT_JUDGED_HERE = Violation(
    Message(
        "仅成果转化类榜单的论证意见判断是否符合自治区发展总体布局（第七条（一））。",
        "layout_fit is judged only on achievement-transfer listings (Art. 7 (1)).",
    ),
    field="body.layout_fit",
)


async def approve(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """Approve after assessment; an emergency draft may be approved directly (skips recorded)."""
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        ListingAction.APPROVE,
        Permission.REVIEW_LISTING,
        expected_version=expected_version,
        now=now,
    )
    skipped = workflow.SKIPPED_BY_SHORTCUT.get((before, ListingAction.APPROVE))
    if skipped is None:
        await _require_assessment(session, listing)
    await _step_recorded(
        session, principal, listing, ListingAction.APPROVE, before, now, data=_skips(skipped)
    )
    return listing


async def _require_assessment(session: AsyncSession, listing: Listing) -> None:
    """R-WF-ASSESS: at least one assessment opinion (论证, 第九条（二）); for an achievement
    transfer, R-ELIG-AT-LAYOUT: the latest opinion that judges the layout judged it a fit."""
    opinions = await listings_repository.assessments(session, listing.id)
    if not opinions:
        raise Conflict(
            Message(
                "榜单须经论证（至少一条论证意见）后方可通过。",
                "A listing is approved only after assessment (at least one opinion).",
            ),
            violations=[
                Violation(
                    Message("尚无论证意见。", "No assessment opinion yet."),
                    rule="R-WF-ASSESS",
                    article="第九条（二）",
                )
            ],
        )
    layout = rules.layout_judged(_kind(listing), [o.layout_fit for o in opinions])
    if layout:
        raise Conflict(
            Message(
                "论证未认定拟转化成果符合自治区发展总体布局，不能通过。",
                "The assessment has not found that the achievement fits the region's layout.",
            ),
            violations=layout,
        )


# Steps that only move the state (with an optional reason), and who may take them.
STEP_PERMISSIONS: dict[ListingAction, Permission] = {
    ListingAction.REJECT: Permission.REVIEW_LISTING,
    ListingAction.RETURN: Permission.REVIEW_LISTING,
    ListingAction.CLOSE: Permission.REVIEW_LISTING,
    ListingAction.CANCEL: Permission.REVIEW_LISTING,
    ListingAction.CONFIRM: Permission.ACT_FOR_PROPOSER,
    ListingAction.WITHDRAW: Permission.ACT_FOR_PROPOSER,
}


async def act(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    action: ListingAction,
    reason: str | None,
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """Reject, return, close or cancel (the department), confirm or withdraw (the proposer)."""
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        action,
        STEP_PERMISSIONS[action],
        expected_version=expected_version,
        now=now,
    )
    if action is ListingAction.CONFIRM:  # R-WF-PUBLISH-JOINT: who confirmed which text, when
        listing.confirmed_at, listing.confirmed_by = now, principal.user_id
    elif action is ListingAction.RETURN:
        listing.confirmed_at = listing.confirmed_by = None
    await _step_recorded(session, principal, listing, action, before, now, reason=reason)
    return listing


async def fail(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    *,
    data: dict[str, Any],
    now: datetime,
) -> Listing:
    """流榜: the jointly confirmed recommendation named no solver, or no recommended
    application is left to sign, so the closed listing fails. Taken by another use case
    (`principal` took it), not by an operation of its own."""
    return await _internal_step(session, principal, listing_id, ListingAction.FAIL, data, now)


async def award(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    *,
    data: dict[str, Any],
    now: datetime,
) -> Listing:
    """揭榜成功: the last signature on a solver's agreement is in; the closed listing is
    awarded. Taken by the signing, not by an operation of its own."""
    return await _internal_step(session, principal, listing_id, ListingAction.AWARD, data, now)


async def _internal_step(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    action: ListingAction,
    data: dict[str, Any],
    now: datetime,
) -> Listing:
    listing = await listings_repository.get_for_update(session, listing_id)
    if listing is None:
        raise NotFound()
    before = ListingStatus(listing.status)
    listing.status = workflow.machine(_kind(listing)).next_state(before, action).value
    await _step_recorded(session, principal, listing, action, before, now, data=data)
    return listing


async def _step_recorded(
    session: AsyncSession,
    principal: Principal,
    listing: Listing,
    action: ListingAction,
    before: ListingStatus,
    now: datetime,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """After a plain workflow step: reschedule the deadline, audit, publish its event."""
    listing.next_check_at = deadlines.due_at(listings_deadlines.next_deadline(listing))
    await session.flush()
    event = _event(listings_events.BY_ACTION[action], listing, now, before.value)
    await _record(session, principal, listing, action.value, event, reason=reason, data=data)


def _skips(skipped: list[str] | None) -> dict[str, Any] | None:
    return {"skipped_steps": skipped, "rule": "R-WF-EM-SIMPLIFIED"} if skipped else None


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    opens_at: datetime,
    closes_at: datetime,
    expected_version: int | None,
    now: datetime,
) -> Listing:
    """Publish with an application window (R-LIST-WINDOW); ordinary listings need the
    proposer's confirmation first (R-WF-PUBLISH-JOINT), emergency ones do not. The text may
    have been edited since submission, so its content, an achievement's holder and IP, and
    the duration warnings are evaluated again."""
    listing, before = await _transition(
        session,
        principal,
        listing_id,
        ListingAction.PUBLISH,
        Permission.REVIEW_LISTING,
        expected_version=expected_version,
        now=now,
        guard=_require_confirmation,
    )
    if closes_at <= opens_at or closes_at <= now:
        raise RuleViolation(
            Message("揭榜期限无效。", "The application window is not valid."),
            violations=[
                Violation(
                    Message(
                        "截止时间须晚于开始时间，且晚于当前时间。",
                        "The window must close after it opens, and in the future.",
                    ),
                    rule="R-LIST-WINDOW",
                    article=SERVICE_RULE,
                    field="body.application_closes_at",
                )
            ],
        )
    content = rules.evaluate_publication(
        _kind(listing),
        _text(listing),
        await _proposer(session, listing, now),
        await _duration_limits(session, now),
    )
    if not content.passed:  # R-LIST-FIELDS: skipped steps never skip content
        raise RuleViolation(
            Message(
                "榜单未通过发布前审查。", "The listing does not meet the requirements to publish."
            ),
            violations=content.violations,
        )
    kept = [
        w
        for w in listing.eligibility_warnings
        if w.get("rule") not in rules.RECHECKED_AT_PUBLICATION
    ]
    listing.eligibility_warnings = kept + [_finding(w) for w in content.warnings]
    listing.application_opens_at, listing.application_closes_at = opens_at, closes_at
    listing.published_at = now
    listing.next_check_at = deadlines.due_at(listings_deadlines.next_deadline(listing))
    await session.flush()
    skipped = workflow.SKIPPED_BY_SHORTCUT.get((before, ListingAction.PUBLISH))
    await _record(
        session,
        principal,
        listing,
        "publish",
        _event(
            listings_events.ListingPublished,
            listing,
            now,
            before.value,
            opens_at=opens_at,
            closes_at=closes_at,
        ),
        data={
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            **(_skips(skipped) or {}),
        },
    )
    return listing


def _require_confirmation(listing: Listing, status: ListingStatus) -> None:
    """R-WF-PUBLISH-JOINT (第九条（三）): an ordinary listing is published only once the
    proposer has confirmed its final text; refused as the invalid transition it is, citing
    the rule."""
    kind = _kind(listing)
    if not workflow.awaits_confirmation(kind, status):
        return
    raise Conflict(
        Message(
            f"榜单当前状态为 {status.value}，须经发榜方确认终稿后方可发布。",
            f"The listing is {status.value}; it is published only after the proposer has "
            "confirmed its final text.",
        ),
        code=ErrorCode.INVALID_TRANSITION,
        violations=[
            Violation(
                Message(
                    "发榜方尚未确认榜单终稿。",
                    "The proposer has not confirmed the final text.",
                ),
                rule="R-WF-PUBLISH-JOINT",
                article="第九条（三）",
            )
        ],
        extensions={
            "current_state": status.value,
            "allowed_actions": workflow.machine(kind).allowed_operations(status),
        },
    )


async def assessments(
    session: AsyncSession, *, principal: Principal, listing_id: uuid.UUID
) -> list[ListingAssessment]:
    await _visible(session, principal, listing_id)
    return await listings_repository.assessments(session, listing_id)


async def history(
    session: AsyncSession, *, principal: Principal, listing_id: uuid.UUID
) -> list[AuditEntry]:
    await _visible(session, principal, listing_id)
    return await audit_repository.list_for(session, RESOURCE, str(listing_id))


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whoever may read a listing that links the attachment may read the attachment."""
    linking = await listings_repository.linking_attachment(session, attachment_id)
    return any(listings_access.may_read(principal, listing) for listing in linking)


# A public listing as read: the columns of `listings_repository.PUBLIC_COLUMNS`, its
# proposer's name included (`proposer_name`, None for emergency listings).
PublicListing: TypeAlias = Row[Any]


async def public_catalogue(
    session: AsyncSession,
    *,
    now: datetime,
    kind: str | None,
    status: str | None,
    industry: str | None,
    q: str | None,
    opens_before: datetime | None,
    closes_after: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page[PublicListing]:
    """Published, closed, awarded and failed listings, for anyone (newest first)."""
    rows = await listings_repository.public_page(
        session,
        now=now,
        kind=kind,
        status=status,
        industry=industry,
        q=q,
        opens_before=opens_before,
        closes_after=closes_after,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    return page_of(rows, limit, lambda x: (x.published_at, x.id))


async def public_listing(session: AsyncSession, *, listing_id: uuid.UUID) -> PublicListing:
    """One public listing; anything not public is NotFound."""
    row = await listings_repository.public_one(session, listing_id)
    if row is None:
        raise NotFound()
    return row


async def run_deadlines(session: AsyncSession, listing: Listing, now: datetime) -> None:
    """Take every time-driven step that is due (the worker's sweep calls this on a locked
    row): a published listing whose window has ended closes, by the system, through the
    same step an administrator's close takes (audit entry, `listing.closed`, reactions)."""
    while (due := listings_deadlines.next_deadline(listing)) and due.due_at <= now:
        before = ListingStatus(listing.status)
        listing.status = workflow.machine(_kind(listing)).next_state(before, due.action).value
        await _step_recorded(session, SYSTEM, listing, due.action, before, now, reason=WINDOW_ENDED)
    listing.next_check_at = deadlines.due_at(listings_deadlines.next_deadline(listing))
