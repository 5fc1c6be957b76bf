"""Use cases of applications: the dry run, drafting, consortium invitations, submission,
withdrawal and reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.applications import eligibility, workflow
from jiebang_api.applications import events as applications_events
from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications.workflow import (
    CONSENT,
    MACHINE,
    ApplicationAction,
    ApplicationStatus,
    ConsortiumAnswer,
)
from jiebang_api.attachments import service as attachments_service
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import SYSTEM, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
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
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus
from jiebang_api.models import Application, Listing, Organization
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.organizations.credit import CreditRecordKind
from jiebang_api.rules import SERVICE_RULE

RESOURCE = "application"
HUNDRED = Decimal("100")
WINDOW_CLOSED = Message("不在揭榜申请期限内。", "The listing is not accepting applications now.")


def _today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


async def _party(session: AsyncSession, org: Organization) -> eligibility.Party:
    ancestors = await organizations_repository.ancestors(session, org.id)
    records = await organizations_repository.credit_records(session, org.id)
    return eligibility.Party(
        org_id=org.id,
        name=org.name,
        type=org.type,
        in_region=org.in_region,
        identity_verified=org.verified,
        partner_4_8_n=org.partner_4_8_n,
        strategic_agreement=org.strategic_agreement,
        high_tech=org.high_tech,
        tech_based=org.tech_based,
        verified_flags=frozenset(org.verified_flags),
        ancestors=tuple(ancestors),
        dishonesty=tuple(
            eligibility.Period(r.starts_on, r.ends_on)
            for r in records
            if r.kind == CreditRecordKind.SERIOUS_DISHONESTY
        ),
    )


async def _org(session: AsyncSession, org_id: uuid.UUID, field: str) -> Organization:
    org = await organizations_repository.get(session, org_id)
    if org is None:
        raise InputInvalid(
            violations=[Violation(Message("单位不存在。", "No such organisation."), field=field)]
        )
    return org


async def _engine_input(
    session: AsyncSession,
    listing: Listing,
    lead_org_id: uuid.UUID,
    lead_share: Decimal,
    members: Sequence[Mapping[str, Any]],
    plan: Mapping[str, Any],
    declarations: Mapping[str, Any],
    now: datetime,
) -> eligibility.Application:
    proposer = None
    if listing.proposer_org_id is not None:
        proposer = await _party(session, await _org(session, listing.proposer_org_id, "listing"))
    lead = await _party(session, await _org(session, lead_org_id, "body.lead_org_id"))
    parties = [
        eligibility.Member(
            await _party(
                session,
                await _org(session, uuid.UUID(str(m["org_id"])), f"body.members.{n}.org_id"),
            ),
            Decimal(str(m["budget_share"])),
        )
        for n, m in enumerate(members)
    ]
    return eligibility.Application(
        kind=ListingKind(listing.kind),
        proposer=proposer,
        lead=lead,
        lead_budget_share=lead_share,
        members=tuple(parties),
        plan=eligibility.Plan(
            approach=plan.get("approach"),
            milestones=len(plan.get("milestones") or []),
            team=len(plan.get("team") or []),
            budget_total=_amount(plan.get("budget_total")),
        ),
        declarations=eligibility.Declarations(
            has_transfer_team=bool(declarations.get("has_transfer_team")),
            can_provide_funds=bool(declarations.get("can_provide_funds")),
            can_provide_site=bool(declarations.get("can_provide_site")),
            market_channels=declarations.get("market_channels"),
        ),
        on=_today(now),
    )


def _amount(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def report_as_dict(report: eligibility.EligibilityReport) -> dict[str, Any]:
    def findings(items: Sequence[eligibility.Finding]) -> list[dict[str, Any]]:
        return [{**asdict(f), "org_id": str(f.org_id) if f.org_id else None} for f in items]

    return {
        "eligible": report.eligible,
        "violations": findings(report.violations),
        "warnings": findings(report.warnings),
        "priorities": findings(report.priorities),
    }


async def _open_listing(
    session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> Listing:
    """A listing the caller may apply to or check against: public, or its own."""
    policy.require(principal, Permission.USE_API)
    listing = await listings_repository.get(session, listing_id)
    if listing is None or not (
        listings_access.is_public(listing) or listings_access.may_read(principal, listing)
    ):
        raise NotFound()
    return listing


async def check(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    lead_org_id: uuid.UUID,
    member_org_ids: Sequence[uuid.UUID],
    now: datetime,
) -> eligibility.EligibilityReport:
    """The dry run: the rules about the parties, before an application exists."""
    listing = await _open_listing(session, principal, listing_id)
    members = [{"org_id": m, "budget_share": "0"} for m in member_org_ids]
    app = await _engine_input(session, listing, lead_org_id, HUNDRED, members, {}, {}, now)
    return eligibility.as_seen_by(eligibility.evaluate_parties(app), _knows(principal))


def _knows(principal: Principal) -> Callable[[uuid.UUID], bool]:
    """Whose facts the caller may read: the department all, anyone else their own units'."""
    if principal.has(Role.ADMIN):
        return lambda _org_id: True
    return principal.member_of


def _validate_parties(
    lead_org_id: uuid.UUID, lead_share: Decimal, members: Sequence[Mapping[str, Any]]
) -> None:
    problems = []
    ids = [str(m["org_id"]) for m in members]
    if str(lead_org_id) in ids:
        problems.append(
            Violation(
                Message("牵头单位不能同时是成员。", "The lead cannot also be a member."),
                field="body.members",
            )
        )
    if len(set(ids)) != len(ids):
        problems.append(
            Violation(Message("成员单位重复。", "Members must be distinct."), field="body.members")
        )
    total = lead_share + sum((Decimal(str(m["budget_share"])) for m in members), Decimal(0))
    if total != HUNDRED:
        problems.append(
            Violation(
                Message(
                    f"预算份额合计应为 100（现为 {total}）。",
                    f"Budget shares must add up to 100 (they add up to {total}).",
                ),
                field="body.lead_budget_share",
            )
        )
    if problems:
        raise InputInvalid(violations=problems)


async def _record(
    session: AsyncSession,
    principal: Principal,
    app: Application,
    action: ApplicationAction | str,
    event_class: type[applications_events.ApplicationEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """The audit entry of a use case (a verb), then its event (past tense), whose reactions
    run in this transaction."""
    await events.record(
        session,
        _event(app, event_class, now, from_state=from_state, **fields),
        actor=principal.actor,
        action=f"application.{action}",
        to_state=app.status,
        from_state=from_state,
        reason=reason,
        data=data,
        resource=(RESOURCE, app.id),
    )


def _event(
    app: Application,
    event_class: type[applications_events.ApplicationEvent],
    now: datetime,
    *,
    from_state: str | None = None,
    **fields: Any,
) -> applications_events.ApplicationEvent:
    return event_class(
        occurred_at=now,
        application_id=app.id,
        listing_id=app.listing_id,
        lead_org_id=app.lead_org_id,
        status=ApplicationStatus(app.status),
        from_status=ApplicationStatus(from_state) if from_state else None,
        **fields,
    )


async def _publish_invitations(
    session: AsyncSession, app: Application, invited: Sequence[str], now: datetime
) -> None:
    """One `application.member_invited` per organisation the change (re)invited."""
    for org_id in invited:
        await events.publish(
            session,
            _event(
                app,
                applications_events.ApplicationMemberInvited,
                now,
                from_state=app.status,
                member_org_id=uuid.UUID(org_id),
            ),
        )


async def _require_members(session: AsyncSession, members: Sequence[Mapping[str, Any]]) -> None:
    """Every member names an organisation that exists (422 at `body.members.<n>.org_id`)."""
    for n, m in enumerate(members):
        await _org(session, uuid.UUID(str(m["org_id"])), f"body.members.{n}.org_id")


async def create(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    data: Mapping[str, Any],
    now: datetime,
    origin: Origin | None = None,
) -> tuple[Application, Listing]:
    """A draft application; the caller acts for the lead organisation. `origin`: an import's
    reference and digest, kept on the application."""
    listing = await _open_listing(session, principal, listing_id)
    lead_org_id: uuid.UUID = data["lead_org_id"]
    await _org(session, lead_org_id, "body.lead_org_id")
    policy.require(principal, Permission.ACT_FOR_APPLICANT, lead_org_id)
    _validate_parties(lead_org_id, data["lead_budget_share"], data["members"])
    await _require_members(session, data["members"])
    members, invited = workflow.invite([], data["members"])
    await attachments_service.require_linkable(
        session, principal=principal, ids=[uuid.UUID(a) for a in data["attachment_ids"]]
    )
    if await applications_repository.live_for(session, listing.id, lead_org_id) is not None:
        raise Conflict(ALREADY_APPLIED)
    app = Application(
        id=uuid.uuid4(),
        listing_id=listing.id,
        status=ApplicationStatus.DRAFT.value,
        created_by=principal.user_id,
        **{**data, "members": members},
        **(origin.columns() if origin else {}),
    )
    session.add(app)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent draft for the same lead and listing won
        raise Conflict(ALREADY_APPLIED) from None
    await _record(
        session,
        principal,
        app,
        "create",
        applications_events.ApplicationCreated,
        now,
        data={"invited": invited} if invited else None,
    )
    await _publish_invitations(session, app, invited, now)
    return app, listing


ALREADY_APPLIED = Message(
    "该牵头单位已有本榜单的申请。",
    "This lead organisation already has an application to the listing.",
)


def effective_status(app: Application, listing: Listing, now: datetime) -> ApplicationStatus:
    """A submitted application reads as under review once the listing's window has ended."""
    status = ApplicationStatus(app.status)
    if (
        status is ApplicationStatus.SUBMITTED
        and listings_access.status_of(listing, now) is not ListingStatus.PUBLISHED
    ):
        return ApplicationStatus.UNDER_REVIEW
    return status


def _may_read(principal: Principal, app: Application, listing: Listing, now: datetime) -> bool:
    """Admin; the applicant's members; the proposer's members once the window has ended."""
    if principal.has(Role.ADMIN) or principal.member_of(app.lead_org_id):
        return True
    proposer = listing.proposer_org_id
    window_ended = listings_access.status_of(listing, now) is not ListingStatus.PUBLISHED
    return proposer is not None and principal.member_of(proposer) and window_ended


async def _load(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    now: datetime,
    *,
    for_update: bool,
) -> tuple[Application, Listing]:
    policy.require(principal, Permission.USE_API)
    load = applications_repository.get_for_update if for_update else applications_repository.get
    app = await load(session, application_id)
    listing = await listings_repository.get(session, app.listing_id) if app else None
    if app is None or listing is None or not _may_read(principal, app, listing, now):
        raise NotFound()
    return app, listing


async def get(
    session: AsyncSession, *, principal: Principal, application_id: uuid.UUID, now: datetime
) -> tuple[Application, Listing]:
    return await _load(session, principal, application_id, now, for_update=False)


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: int | None,
    now: datetime,
) -> tuple[Application, Listing]:
    """Edit a draft (the applicant). Members are checked as on creation; a member added, or
    whose budget share changed, is invited afresh (its earlier answer no longer stands)."""
    app, listing = await _load(session, principal, application_id, now, for_update=True)
    policy.require(principal, Permission.ACT_FOR_APPLICANT, app.lead_org_id)
    require_version(app.version, expected_version)
    if app.status != ApplicationStatus.DRAFT:
        raise Conflict(
            Message("只有草稿可以修改。", "Only a draft can be edited."),
            extensions={"current_state": app.status},
        )
    members = changes.get("members", app.members)
    share = changes.get("lead_budget_share", app.lead_budget_share)
    _validate_parties(app.lead_org_id, share, members)
    invited: list[str] = []
    if "members" in changes:
        await _require_members(session, changes["members"])
        members, invited = workflow.invite(app.members, changes["members"])
        changes = {**changes, "members": members}
    if "attachment_ids" in changes:
        await attachments_service.require_linkable(
            session,
            principal=principal,
            ids=[uuid.UUID(a) for a in changes["attachment_ids"]],
            already_linked=app.attachment_ids,
        )
    for name, value in changes.items():
        setattr(app, name, value)
    await session.flush()
    await _record(
        session,
        principal,
        app,
        "update",
        applications_events.ApplicationUpdated,
        now,
        from_state=app.status,
        data={"fields": sorted(changes), **({"invited": invited} if invited else {})},
        fields=sorted(changes),
    )
    await _publish_invitations(session, app, invited, now)
    return app, listing


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int | None,
    now: datetime,
) -> tuple[Application, Listing]:
    """Submit inside the window (R-LIST-WINDOW); every rule is applied and the report kept.
    Any violation refuses the submission (422 ELIGIBILITY_FAILED, all of them listed). Then
    every consortium member must have accepted (409 MEMBERS_NOT_ACCEPTED, naming the others;
    R-APP-MEMBER-CONSENT)."""
    app, listing = await _load(session, principal, application_id, now, for_update=True)
    policy.require(principal, Permission.ACT_FOR_APPLICANT, app.lead_org_id)
    require_version(app.version, expected_version)
    before = ApplicationStatus(app.status)
    app.status = MACHINE.next_state(before, ApplicationAction.SUBMIT).value
    if not listings_access.window_open(listing, now):
        raise Conflict(
            WINDOW_CLOSED,
            code=ErrorCode.WINDOW_CLOSED,
            violations=[Violation(WINDOW_CLOSED, rule="R-LIST-WINDOW", article=SERVICE_RULE)],
        )
    engine_input = await _engine_input(
        session,
        listing,
        app.lead_org_id,
        app.lead_budget_share,
        app.members,
        app.plan,
        app.declarations,
        now,
    )
    report = eligibility.evaluate(engine_input)
    if not report.eligible:
        report = eligibility.as_seen_by(report, _knows(principal))
        raise RuleViolation(
            Message("揭榜资格审查未通过。", "The application does not meet the requirements."),
            violations=[
                Violation(
                    Message(f.message_zh, f.message_en),
                    rule=f.rule,
                    article=f.article,
                    field=f.field,
                    org_id=f.org_id,
                )
                for f in report.violations
            ],
            code=ErrorCode.ELIGIBILITY_FAILED,
            extensions={"report": report_as_dict(report)},
        )
    await _require_consent(session, app)
    app.eligibility_report = report_as_dict(report)
    app.submitted_at = now
    await session.flush()
    await _record(
        session,
        principal,
        app,
        ApplicationAction.SUBMIT,
        applications_events.ApplicationSubmitted,
        now,
        from_state=before.value,
    )
    return app, listing


async def _require_consent(session: AsyncSession, app: Application) -> None:
    """R-APP-MEMBER-CONSENT: every member has accepted; else 409 MEMBERS_NOT_ACCEPTED with one
    violation per member that has not (still invited, or declined: to be removed)."""
    waiting = workflow.unaccepted(app.members)
    if not waiting:
        return
    names = await organizations_repository.names(
        session, {uuid.UUID(m["org_id"]) for _, m in waiting}
    )
    violations = []
    for n, member in waiting:
        org_id = uuid.UUID(member["org_id"])
        name = names.get(org_id, member["org_id"])
        if member["consent"] == workflow.ConsortiumConsent.DECLINED:
            message = Message(
                f"{name}已拒绝参加联合体，请将其从成员中移除。",
                f"{name} declined to join the consortium; remove it from the members.",
            )
        else:
            message = Message(
                f"{name}尚未确认参加联合体（须由其单位管理员接受邀请）。",
                f"{name} has not accepted its invitation yet (a manager of it accepts).",
            )
        violations.append(
            Violation(
                message,
                rule="R-APP-MEMBER-CONSENT",
                article=SERVICE_RULE,
                field=f"members.{n}.org_id",
                org_id=org_id,
            )
        )
    named = [str(names.get(uuid.UUID(m["org_id"]), m["org_id"])) for _, m in waiting]
    raise Conflict(
        Message(
            f"联合体成员尚未全部确认参加，申请暂不能提交：{'、'.join(named)}。",
            "Not every consortium member has accepted, so the application cannot be "
            f"submitted yet: {', '.join(named)}.",
        ),
        code=ErrorCode.MEMBERS_NOT_ACCEPTED,
        violations=violations,
    )


async def withdraw(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    expected_version: int | None,
    now: datetime,
) -> tuple[Application, Listing]:
    """Withdraw before the listing's window closes."""
    app, listing = await _load(session, principal, application_id, now, for_update=True)
    policy.require(principal, Permission.ACT_FOR_APPLICANT, app.lead_org_id)
    require_version(app.version, expected_version)
    before = effective_status(app, listing, now)
    app.status = MACHINE.next_state(before, ApplicationAction.WITHDRAW).value
    await session.flush()
    await _record(
        session,
        principal,
        app,
        ApplicationAction.WITHDRAW,
        applications_events.ApplicationWithdrawn,
        now,
        from_state=before.value,
    )
    return app, listing


async def list_(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[tuple[Application, Listing]]:
    """Admin: all; others: their organisations' applications, and applications to their
    organisations' listings once the window has ended."""
    policy.require(principal, Permission.USE_API)
    leads = listings = None
    if not principal.has(Role.ADMIN):
        leads = list(principal.memberships)
        listings = await listings_repository.closed_ids_of(session, leads, now)
    rows = await applications_repository.list_page(
        session,
        listing_id=listing_id,
        status=status,
        lead_org_ids=leads,
        listing_ids=listings,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit,
    )
    page = page_of(rows, limit, by_creation)
    listings_by_id = await listings_repository.many(session, {a.listing_id for a in page.items})
    return Page([(a, listings_by_id[a.listing_id]) for a in page.items], page.next_cursor)


# What a change of the listing does to its applications, and the event each move publishes.
_FOLLOW_LISTING = {
    ApplicationAction.START_REVIEW: applications_events.ApplicationReviewStarted,
    ApplicationAction.CANCEL: applications_events.ApplicationCancelled,
}


async def follow_listing(
    session: AsyncSession,
    *,
    listing_id: uuid.UUID,
    action: ApplicationAction,
    reason: str,
    now: datetime,
) -> int:
    """Apply `action` (start_review or cancel) to every application of the listing that the
    state machine lets it move, by the system, with audit entries and events. Returns how
    many moved."""
    moved = 0
    for app in await applications_repository.of_listing_for_update(session, listing_id):
        before = ApplicationStatus(app.status)
        if not MACHINE.can(before, action):
            continue
        app.status = MACHINE.next_state(before, action).value
        await session.flush()
        await _record(
            session,
            SYSTEM,
            app,
            action,
            _FOLLOW_LISTING[action],
            now,
            from_state=before.value,
            reason=reason,
        )
        moved += 1
    return moved


async def follow_recommendation(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    ranked: Sequence[uuid.UUID],
    reason: str,
    now: datetime,
) -> tuple[int, int]:
    """The confirmed recommendation takes effect (第九条（五）): each application under
    review that `ranked` names becomes `recommended` at its place (1, 2, …), every other one
    `not_recommended`; audited as `principal`'s confirmation. Returns the two counts."""
    rank_of = {app_id: n for n, app_id in enumerate(ranked, start=1)}
    counts = {ApplicationAction.RECOMMEND: 0, ApplicationAction.NOT_RECOMMEND: 0}
    for app in await applications_repository.of_listing_for_update(session, listing_id):
        before = ApplicationStatus(app.status)
        if before is not ApplicationStatus.UNDER_REVIEW:
            continue
        rank = rank_of.get(app.id)
        action = ApplicationAction.NOT_RECOMMEND if rank is None else ApplicationAction.RECOMMEND
        app.status = MACHINE.next_state(before, action).value
        app.recommendation_rank = rank
        await session.flush()
        event_class, fields = (
            (applications_events.ApplicationNotRecommended, {})
            if rank is None
            else (applications_events.ApplicationRecommended, {"rank": rank})
        )
        await _record(
            session,
            principal,
            app,
            action,
            event_class,
            now,
            from_state=before.value,
            reason=reason,
            data=None if rank is None else {"rank": rank},
            **fields,
        )
        counts[action] += 1
    return counts[ApplicationAction.RECOMMEND], counts[ApplicationAction.NOT_RECOMMEND]


async def not_selected(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> bool:
    """A recommended application leaves the running (its agreement was annulled); returns
    whether any application of its listing is still recommended."""
    app = await applications_repository.get_for_update(session, application_id)
    if app is None:
        raise NotFound()
    await _step(session, principal, app, ApplicationAction.NOT_SELECT, reason, now)
    return await applications_repository.any_recommended(session, app.listing_id)


async def selected(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> None:
    """The application's agreement was signed: it is selected, and every other application
    of its listing still recommended or not recommended becomes unsuccessful."""
    app = await applications_repository.get_for_update(session, application_id)
    if app is None:
        raise NotFound()
    await _step(session, principal, app, ApplicationAction.SELECT, reason, now)
    for other in await applications_repository.others_in_the_running(session, app):
        await _step(session, principal, other, ApplicationAction.NOT_SELECT, reason, now)


async def _step(
    session: AsyncSession,
    principal: Principal,
    app: Application,
    action: ApplicationAction,
    reason: str,
    now: datetime,
) -> None:
    event_class = {
        ApplicationAction.SELECT: applications_events.ApplicationSelected,
        ApplicationAction.NOT_SELECT: applications_events.ApplicationNotSelected,
    }[action]
    before = ApplicationStatus(app.status)
    app.status = MACHINE.next_state(before, action).value
    await session.flush()
    await _record(
        session, principal, app, action, event_class, now, from_state=before.value, reason=reason
    )


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """Whoever may read an application that links the attachment may read the attachment."""
    linking = await applications_repository.linking_attachment(session, attachment_id)
    listings_by_id = await listings_repository.many(session, {a.listing_id for a in linking})
    return any(_may_read(principal, app, listings_by_id[app.listing_id], now) for app in linking)


# --- consortium invitations ----------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """What the managers of a member organisation see of an application that invites it: the
    listing, the lead, the application's status, and their own entry; nothing of the others."""

    app: Application
    listing: Listing
    status: ApplicationStatus
    lead_name: str
    member: dict[str, Any]  # the organisation's own entry, its answer spelled out


MANAGERS_ONLY = Message(
    "只有成员单位的管理员可以查看和答复联合体邀请。",
    "Only a manager of the member organisation sees and answers its consortium invitations.",
)
NOT_A_DRAFT = Message(
    "申请已不是草稿，邀请不能再答复。",
    "The application is no longer a draft: its invitations can no longer be answered.",
)
SHARE_CHANGED = Message(
    "牵头单位已变更该成员的预算份额，请重新查看邀请后再答复。",
    "The lead has changed this member's budget share since: read the invitation again, then "
    "answer it.",
)


def _entry(app: Application, org_id: uuid.UUID) -> dict[str, Any] | None:
    key = str(org_id)
    return next((m for m in workflow.members_of(app.members) if m["org_id"] == key), None)


def _invitation(
    app: Application, listing: Listing, lead_name: str, org_id: uuid.UUID, now: datetime
) -> Invitation | None:
    member = _entry(app, org_id)
    if member is None:
        return None
    return Invitation(app, listing, effective_status(app, listing, now), lead_name, member)


async def invitations(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[Invitation]:
    """The applications that invite the organisation to their consortium, oldest first: for
    its managers (and the department)."""
    policy.require(principal, Permission.USE_API)
    if not await organizations_repository.exists(session, org_id):
        raise NotFound()
    if not (principal.has(Role.ADMIN) or principal.manages(org_id)):
        raise PermissionDenied(MANAGERS_ONLY)
    rows = await applications_repository.inviting_page(
        session, org_id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    page = page_of(rows, limit, by_creation)
    listings_by_id = await listings_repository.many(session, {a.listing_id for a in page.items})
    names = await organizations_repository.names(session, {a.lead_org_id for a in page.items})
    found = (
        _invitation(app, listings_by_id[app.listing_id], names[app.lead_org_id], org_id, now)
        for app in page.items
    )
    return Page([i for i in found if i is not None], page.next_cursor)


_ANSWERS = {
    ConsortiumAnswer.ACCEPT: applications_events.ApplicationMemberAccepted,
    ConsortiumAnswer.DECLINE: applications_events.ApplicationMemberDeclined,
}


async def answer_invitation(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    org_id: uuid.UUID,
    answer: ConsortiumAnswer,
    budget_share: Decimal | None,
    reason: str | None,
    now: datetime,
) -> Invitation:
    """A manager of the member organisation accepts (the share it was shown, `budget_share`)
    or declines the invitation, while the application is a draft. Anyone who may not read the
    application and does not manage the member gets 404, as for an unknown application."""
    policy.require(principal, Permission.USE_API)
    app = await applications_repository.get_for_update(session, application_id)
    listing = await listings_repository.get(session, app.listing_id) if app else None
    member = _entry(app, org_id) if app else None
    if app is None or listing is None or member is None:
        raise NotFound()
    if not principal.manages(org_id):
        if _may_read(principal, app, listing, now):
            raise PermissionDenied(MANAGERS_ONLY)
        raise NotFound()
    if app.status != ApplicationStatus.DRAFT:
        raise Conflict(
            NOT_A_DRAFT, extensions={"current_state": effective_status(app, listing, now).value}
        )
    before = workflow.consent_of(member)
    CONSENT.next_state(before, answer)  # 409 INVALID_TRANSITION when it is not open
    if budget_share is not None and Decimal(str(member["budget_share"])) != budget_share:
        raise Conflict(SHARE_CHANGED)
    by = str(principal.user_id) if principal.user_id else principal.actor.id
    app.members, _ = workflow.answered(app.members, str(org_id), answer, by=by, at=now.isoformat())
    await session.flush()
    entry = _entry(app, org_id) or member
    after = workflow.consent_of(entry)
    await _record(
        session,
        principal,
        app,
        f"{answer.value}_invitation",
        _ANSWERS[answer],
        now,
        from_state=app.status,
        reason=reason,
        data={
            "org_id": str(org_id),
            "budget_share": str(member["budget_share"]),
            "consent": {"from": before.value, "to": after.value},
        },
        member_org_id=org_id,
    )
    names = await organizations_repository.names(session, {app.lead_org_id})
    status = effective_status(app, listing, now)
    return Invitation(app, listing, status, names[app.lead_org_id], entry)
