"""Use cases of reviews: opening a listing's review round, and reading it.

第九条（五） (R-WF-RECOMMEND-JOINT): once a listing's window has closed, the department opens
one review round on it, names the experts and the proposer's reviewers, and every expert is
assigned every application under review, except where a conflict of interest keeps them
apart (`reviews.conflicts`); each exclusion is recorded with its reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiebang_api.applications import repository as applications_repository
from jiebang_api.applications import service as applications_service
from jiebang_api.applications.workflow import ApplicationStatus
from jiebang_api.auth import policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import Principal
from jiebang_api.auth.roles import Role
from jiebang_api.events import bus as events
from jiebang_api.kit.clock import SHANGHAI
from jiebang_api.kit.errors import (
    Conflict,
    InputInvalid,
    Message,
    NotFound,
    PermissionDenied,
    Violation,
)
from jiebang_api.kit.pagination import Cursor, Page, by_creation, page_of
from jiebang_api.listings import repository as listings_repository
from jiebang_api.listings import service as listings_service
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus
from jiebang_api.models import Application, Listing, ReviewAssignment, ReviewExclusion, ReviewRound
from jiebang_api.organizations import repository as organizations_repository
from jiebang_api.policies import service as policies_service
from jiebang_api.reviews import conflicts, scoring, workflow
from jiebang_api.reviews import events as reviews_events
from jiebang_api.reviews import repository as reviews_repository
from jiebang_api.reviews.conflicts import PartyRole
from jiebang_api.reviews.workflow import (
    AssignmentAction,
    AssignmentStatus,
    RoundAction,
    RoundStatus,
)

JOINT_REVIEW, JOINT_REVIEW_ARTICLE = "R-WF-RECOMMEND-JOINT", "第九条（五）"
# The weight of `qualification` when no policy version is in force (the seeded one holds it).
DEFAULT_QUALIFICATION_MAX = Decimal(40)
NOT_CLOSED = Message(
    "榜单截止后方可开启评审。", "A review round opens only once the listing has closed."
)
ROUND_EXISTS = Message("该榜单已有评审轮次。", "The listing already has a review round.")


def _invalid(zh: str, en: str, field: str) -> Violation:
    return Violation(Message(zh, en), field=field)


async def _sheet(
    session: AsyncSession,
    kind: ListingKind,
    criteria: Sequence[scoring.Criterion] | None,
    now: datetime,
) -> tuple[tuple[scoring.Criterion, ...], uuid.UUID | None]:
    """The round's criteria (the admin's, or 第九条（五）'s two with the policy's weights) and
    the policy version they came from."""
    version = await policies_service.in_force(session, now.astimezone(SHANGHAI).date())
    if criteria is not None:
        sheet = tuple(criteria)
    else:
        weight = version.review_qualification_max if version else DEFAULT_QUALIFICATION_MAX
        default = scoring.default_criteria(kind, weight)
        if default is None:
            raise InputInvalid(
                violations=[
                    _invalid(
                        "应急类榜单的评审须给出评分指标。",
                        "An emergency listing's round needs its criteria.",
                        "body.criteria",
                    )
                ]
            )
        sheet = default
    found = scoring.check_criteria(sheet)
    if found:
        raise InputInvalid(violations=found)
    return sheet, version.id if version else None


async def _panel(
    session: AsyncSession,
    listing: Listing,
    expert_ids: Sequence[uuid.UUID],
    reviewer_ids: Sequence[uuid.UUID],
) -> list[reviews_repository.Person]:
    """The experts (active users with the expert role), after checking the proposer's
    reviewers (members of the proposer; none for an emergency listing, whose proposer is the
    department)."""
    people = await reviews_repository.people(session, [*expert_ids, *reviewer_ids])
    found: list[Violation] = [
        _invalid("重复列出。", "Listed twice.", f"body.{name}.{n}")
        for name, ids in (
            ("expert_user_ids", expert_ids),
            ("proposer_reviewer_user_ids", reviewer_ids),
        )
        for n, user_id in enumerate(ids)
        if user_id in ids[:n]
    ]
    for n, user_id in enumerate(expert_ids):
        person = people.get(user_id)
        if person is None or not person.is_active or Role.EXPERT.value not in person.roles:
            found.append(
                _invalid(
                    "不是在册的评审专家。",
                    "Not an active user with the expert role.",
                    f"body.expert_user_ids.{n}",
                )
            )
    proposer = listing.proposer_org_id
    for n, user_id in enumerate(reviewer_ids):
        person = people.get(user_id)
        if proposer is None or person is None or proposer not in person.organizations:
            found.append(
                _invalid(
                    "不是发榜单位的成员。",
                    "Not a member of the proposer.",
                    f"body.proposer_reviewer_user_ids.{n}",
                )
            )
    if proposer is not None and not reviewer_ids:
        found.append(
            Violation(
                Message(
                    "须指定发榜单位的评审代表：评审由科技厅与发榜方共同进行。",
                    "Name the proposer's reviewers: the department and the proposer review "
                    "together.",
                ),
                rule=JOINT_REVIEW,
                article=JOINT_REVIEW_ARTICLE,
                field="body.proposer_reviewer_user_ids",
            )
        )
    if found:
        raise InputInvalid(violations=found)
    return [people[user_id] for user_id in expert_ids]


class _Trees:
    """Organisations with the top of their ownership tree, each looked up once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.known: dict[uuid.UUID, conflicts.Organization] = {}

    async def of(self, org_id: uuid.UUID) -> conflicts.Organization:
        if org_id not in self.known:
            chain = await organizations_repository.ancestors(self.session, org_id)
            self.known[org_id] = conflicts.Organization(org_id, chain[-1] if chain else org_id)
        return self.known[org_id]


async def _parties(trees: _Trees, app: Application, listing: Listing) -> list[conflicts.Party]:
    parties = [conflicts.Party(await trees.of(app.lead_org_id), PartyRole.APPLICANT)]
    for member in app.members:
        org_id = uuid.UUID(str(member["org_id"]))
        parties.append(conflicts.Party(await trees.of(org_id), PartyRole.MEMBER))
    if listing.proposer_org_id is not None:
        proposer = await trees.of(listing.proposer_org_id)
        parties.append(conflicts.Party(proposer, PartyRole.PROPOSER))
    return parties


async def _assign(
    session: AsyncSession,
    round_: ReviewRound,
    listing: Listing,
    experts: Sequence[reviews_repository.Person],
    apps: Sequence[Application],
) -> tuple[int, int]:
    """An assignment per expert and application, or the exclusions that replace it."""
    trees = _Trees(session)
    assigned = excluded = 0
    for app in apps:
        parties = await _parties(trees, app, listing)
        for expert in experts:
            mine = [await trees.of(org_id) for org_id in sorted(expert.organizations)]
            found = conflicts.conflicts(mine, parties)
            for conflict in found:
                session.add(
                    ReviewExclusion(
                        id=uuid.uuid4(),
                        round_id=round_.id,
                        expert_user_id=expert.id,
                        application_id=app.id,
                        expert_org_id=conflict.expert_org_id,
                        party_org_id=conflict.party_org_id,
                        role=conflict.role.value,
                        reason=conflict.reason.value,
                    )
                )
            excluded += bool(found)
            if not found:
                session.add(
                    ReviewAssignment(
                        id=uuid.uuid4(),
                        round_id=round_.id,
                        expert_user_id=expert.id,
                        application_id=app.id,
                    )
                )
                assigned += 1
    return assigned, excluded


def _criteria_json(sheet: Sequence[scoring.Criterion]) -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "max_score": str(c.max_score.quantize(scoring.SCORE.quantum)),
        }
        for c in sheet
    ]


async def open_round(
    session: AsyncSession,
    *,
    principal: Principal,
    listing_id: uuid.UUID,
    criteria: Sequence[scoring.Criterion] | None,
    expert_user_ids: Sequence[uuid.UUID],
    proposer_reviewer_user_ids: Sequence[uuid.UUID],
    now: datetime,
) -> ReviewRound:
    """Open the listing's review round (the department) and assign the experts."""
    policy.require(principal, Permission.USE_API)
    if await listings_repository.one(session, listing_id) is None:
        raise NotFound()  # to everyone: an unknown listing is no business of anyone's
    policy.require(principal, Permission.MANAGE_REVIEWS)
    listing = await listings_repository.get_for_update(session, listing_id)
    if listing is None:
        raise NotFound()
    await listings_service.run_deadlines(session, listing, now)  # an ended window closes first
    if listing.status != ListingStatus.CLOSED:
        raise Conflict(NOT_CLOSED, extensions={"current_state": listing.status})
    if await reviews_repository.of_listing(session, listing.id) is not None:
        raise Conflict(ROUND_EXISTS)
    sheet, version_id = await _sheet(session, ListingKind(listing.kind), criteria, now)
    experts = await _panel(session, listing, expert_user_ids, proposer_reviewer_user_ids)
    apps = [
        app
        for app in await applications_repository.of_listing_for_update(session, listing.id)
        if app.status == ApplicationStatus.UNDER_REVIEW
    ]
    round_ = ReviewRound(
        id=uuid.uuid4(),
        listing_id=listing.id,
        status=RoundStatus.OPEN.value,
        criteria=_criteria_json(sheet),
        expert_user_ids=[str(u) for u in expert_user_ids],
        proposer_reviewer_user_ids=[str(u) for u in proposer_reviewer_user_ids],
        policy_version_id=version_id,
        opened_by=principal.user_id,
    )
    session.add(round_)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request opened the listing's round first
        raise Conflict(ROUND_EXISTS) from None
    assigned, excluded = await _assign(session, round_, listing, experts, apps)
    counts = {"applications": len(apps), "assignments": assigned, "exclusions": excluded}
    event = reviews_events.ReviewRoundOpened(
        occurred_at=now, review_round_id=round_.id, listing_id=listing.id, **counts
    )
    await _record(
        session, principal, "review_round.open", round_.id, event, round_.status, data=counts
    )
    return round_


async def _record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    resource_id: uuid.UUID,
    event: reviews_events.ReviewRoundEvent
    | reviews_events.ReviewEvent
    | reviews_events.RecommendationEvent,
    to_state: str,
    *,
    from_state: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a use case (`action`, on a round or an assignment), then its event,
    in the caller's transaction."""
    await events.record(
        session,
        event,
        actor=principal.actor,
        action=action,
        to_state=to_state,
        from_state=from_state,
        data=data,
        resource=(action.split(".")[0], resource_id),
    )


@dataclass(frozen=True)
class RoundView:
    """A round as its reader may see it: the experts and the exclusions only for the
    department (the proposer's reviewers never learn who the experts are)."""

    round: ReviewRound
    listing: Listing
    assignment_counts: Mapping[str, int]
    exclusions: list[ReviewExclusion] | None
    experts_visible: bool


async def get_round(
    session: AsyncSession, *, principal: Principal, round_id: uuid.UUID
) -> RoundView:
    """The round, for the department and the proposer's reviewers named on it (404 else)."""
    policy.require(principal, Permission.USE_API)
    return await _view(session, principal, await reviews_repository.get(session, round_id))


async def _view(
    session: AsyncSession, principal: Principal, round_: ReviewRound | None
) -> RoundView:
    listing = await listings_repository.get(session, round_.listing_id) if round_ else None
    if round_ is None or listing is None:
        raise NotFound()
    admin = principal.has(Role.ADMIN)
    named = principal.user_id is not None and str(principal.user_id) in (
        round_.proposer_reviewer_user_ids or []
    )
    if not admin and not (
        named and listing.proposer_org_id and principal.member_of(listing.proposer_org_id)
    ):
        raise NotFound()
    counts = await reviews_repository.counts(session, round_.id)
    excluded = await reviews_repository.exclusions(session, round_.id) if admin else None
    return RoundView(round_, listing, counts, excluded, admin)


# --- an expert's assignments ---------------------------------------------------------------

SCORED_ALREADY = Message(
    "该评审任务已评分或已声明回避。", "This assignment has been scored or declined already."
)
ROUND_NOT_OPEN = Message("评审轮次已不接受评分。", "The review round no longer takes scores.")


@dataclass(frozen=True)
class AssignmentView:
    """An assignment with its round, and (read one at a time) what the expert reviews."""

    assignment: ReviewAssignment
    round: ReviewRound
    application: Application | None = None
    listing: Listing | None = None

    def reviewed(self) -> tuple[Application, Listing]:
        """The application under review and its listing (read by `get_assignment`)."""
        if self.application is None or self.listing is None:
            raise NotFound()
        return self.application, self.listing


async def _own(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, *, for_update: bool
) -> tuple[ReviewAssignment, ReviewRound]:
    """The caller's own assignment (404 for anyone else's: it is not theirs to know of).

    To answer it, the round is locked first, then the assignment (read again): closing the
    round takes the same round lock, so no score lands after the results were computed."""
    policy.require(principal, Permission.USE_API)
    assignment = await reviews_repository.assignment(session, assignment_id)
    if assignment is None or assignment.expert_user_id != principal.user_id:
        raise NotFound()
    load_round = reviews_repository.get_for_update if for_update else reviews_repository.get
    round_ = await load_round(session, assignment.round_id)
    if round_ is None:
        raise NotFound()
    if for_update:
        locked = await reviews_repository.assignment_for_update(session, assignment_id)
        if locked is None:
            raise NotFound()
        assignment = locked
    return assignment, round_


async def my_assignments(
    session: AsyncSession, *, principal: Principal, cursor: str | None, limit: int
) -> Page[AssignmentView]:
    """The caller's assignments, oldest first (empty for anyone who is not an expert)."""
    policy.require(principal, Permission.USE_API)
    if principal.user_id is None:
        return Page([], None)
    rows = await reviews_repository.assignments_of(
        session, principal.user_id, after=Cursor.decode(cursor) if cursor else None, limit=limit
    )
    page = page_of(rows, limit, by_creation)
    rounds = await reviews_repository.many(session, {a.round_id for a in page.items})
    return Page([AssignmentView(a, rounds[a.round_id]) for a in page.items], page.next_cursor)


async def get_assignment(
    session: AsyncSession, *, principal: Principal, assignment_id: uuid.UUID
) -> AssignmentView:
    """The caller's assignment with the application it is about (plan, parties, eligibility
    report and its priority flags) and nothing of other experts."""
    assignment, round_ = await _own(session, principal, assignment_id, for_update=False)
    application = await applications_repository.get(session, assignment.application_id)
    listing = await listings_repository.get(session, round_.listing_id)
    if application is None or listing is None:
        raise NotFound()
    return AssignmentView(assignment, round_, application, listing)


async def may_read_attachment(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, now: datetime
) -> bool:
    """An expert reads the files of an application assigned to them (unless they declined
    it): the plan they score may be in them."""
    if principal.user_id is None:
        return False
    linking = await applications_repository.linking_attachment(session, attachment_id)
    return await reviews_repository.reviews_any(
        session, principal.user_id, [app.id for app in linking]
    )


def _sheet_of(round_: ReviewRound) -> list[scoring.Criterion]:
    return [
        scoring.Criterion(c["key"], c["name_zh"], c["name_en"], Decimal(c["max_score"]))
        for c in round_.criteria
    ]


async def _answerable(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID
) -> tuple[ReviewAssignment, ReviewRound]:
    """The caller's assignment, locked, while it awaits its one answer in an open round."""
    assignment, round_ = await _own(session, principal, assignment_id, for_update=True)
    if round_.status != RoundStatus.OPEN:
        raise Conflict(ROUND_NOT_OPEN, extensions={"current_state": round_.status})
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise Conflict(SCORED_ALREADY, extensions={"current_state": assignment.status})
    return assignment, round_


async def _answered(
    session: AsyncSession,
    principal: Principal,
    assignment: ReviewAssignment,
    round_: ReviewRound,
    verb: str,
    now: datetime,
) -> AssignmentView:
    event_class = (
        reviews_events.ReviewSubmitted if verb == "score" else reviews_events.ReviewDeclined
    )
    event = event_class(
        occurred_at=now,
        review_id=assignment.id,
        review_round_id=round_.id,
        listing_id=round_.listing_id,
        application_id=assignment.application_id,
    )
    action = f"review_assignment.{verb}"
    await _record(
        session,
        principal,
        action,
        assignment.id,
        event,
        assignment.status,
        from_state=AssignmentStatus.ASSIGNED.value,
    )
    return AssignmentView(assignment, round_)


async def score(
    session: AsyncSession,
    *,
    principal: Principal,
    assignment_id: uuid.UUID,
    scores: Mapping[str, Decimal],
    comment: str | None,
    now: datetime,
) -> AssignmentView:
    """The expert's scores, once, while the round is open: every criterion of the sheet,
    each from 0 to its maximum (422 otherwise); the total is their sum."""
    assignment, round_ = await _answerable(session, principal, assignment_id)
    found = scoring.check_scores(_sheet_of(round_), scores)
    if found:
        raise InputInvalid(violations=found)
    assignment.scores = {
        key: str(value.quantize(scoring.SCORE.quantum)) for key, value in scores.items()
    }
    assignment.total = scoring.total(scores)
    assignment.comment = comment
    assignment.status = workflow.ASSIGNMENT.next_state(
        AssignmentStatus(assignment.status), AssignmentAction.SCORE
    ).value
    assignment.answered_at = now
    return await _answered(session, principal, assignment, round_, "score", now)


async def decline(
    session: AsyncSession,
    *,
    principal: Principal,
    assignment_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> AssignmentView:
    """The expert declares a conflict of interest the service did not see, and does not score."""
    assignment, round_ = await _answerable(session, principal, assignment_id)
    assignment.decline_reason = reason
    assignment.status = workflow.ASSIGNMENT.next_state(
        AssignmentStatus(assignment.status), AssignmentAction.DECLINE
    ).value
    assignment.answered_at = now
    return await _answered(session, principal, assignment, round_, "decline", now)


# --- closing a round: aggregates and ranking -------------------------------------------------

NOT_OPEN = Message("评审轮次不在评分阶段。", "The review round is not open.")
NOT_CLOSED_YET = Message("评审轮次尚未结束。", "The review round has not closed yet.")


async def _round_for_update(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID
) -> ReviewRound:
    policy.require(principal, Permission.MANAGE_REVIEWS)
    round_ = await reviews_repository.get_for_update(session, round_id)
    if round_ is None:
        raise NotFound()
    return round_


def _priority(app: Application) -> bool:
    """Whether the eligibility report kept at submission flags a priority (R-ELIG-PRIORITY)."""
    return bool((app.eligibility_report or {}).get("priorities"))


async def close_round(
    session: AsyncSession, *, principal: Principal, round_id: uuid.UUID, now: datetime
) -> ReviewRound:
    """End the scoring (the department): each application's aggregate of the totals scored,
    flagged when fewer than three experts scored, and the ranking, kept on the round."""
    round_ = await _round_for_update(session, principal, round_id)
    if round_.status != RoundStatus.OPEN:
        raise Conflict(NOT_OPEN, extensions={"current_state": round_.status})
    assignments = await reviews_repository.assignments(session, round_.id)
    excluded = await reviews_repository.exclusions(session, round_.id)
    app_ids = {a.application_id for a in assignments} | {e.application_id for e in excluded}
    apps = await applications_repository.many(session, app_ids)
    totals: dict[uuid.UUID, list[Decimal]] = {app_id: [] for app_id in app_ids}
    for a in assignments:
        if a.status == AssignmentStatus.SCORED and a.total is not None:
            totals[a.application_id].append(a.total)
    aggregates = {app_id: scoring.aggregate(values) for app_id, values in totals.items()}
    ranked = scoring.rank(
        [
            scoring.Candidate(
                app_id,
                aggregates[app_id].value,
                _priority(apps[app_id]),
                apps[app_id].submitted_at or apps[app_id].created_at,
            )
            for app_id in app_ids
        ]
    )
    round_.results = [
        _result(n, candidate, aggregates[candidate.application_id])
        for n, candidate in enumerate(ranked, start=1)
    ]
    round_.status = workflow.ROUND.next_state(RoundStatus.OPEN, RoundAction.CLOSE).value
    round_.closed_at = now
    event = reviews_events.ReviewRoundClosed(
        occurred_at=now,
        review_round_id=round_.id,
        listing_id=round_.listing_id,
        applications=len(ranked),
        insufficient=sum(r["insufficient_reviews"] for r in round_.results),
    )
    await _record(
        session,
        principal,
        "review_round.close",
        round_.id,
        event,
        round_.status,
        from_state=RoundStatus.OPEN.value,
    )
    return round_


def _result(rank: int, candidate: scoring.Candidate, result: scoring.Aggregate) -> dict[str, Any]:
    return {
        "application_id": str(candidate.application_id),
        "rank": rank,
        "aggregate": None if result.value is None else str(result.value),
        "scores": result.count,
        "trimmed": result.trimmed,
        "insufficient_reviews": result.insufficient,
        "priority": candidate.priority,
    }


@dataclass(frozen=True)
class Results:
    """A closed round's ranking, with each expert's answer: named for the department,
    numbered for the proposer's reviewers (who never learn who the experts are)."""

    round: ReviewRound
    answers: Mapping[uuid.UUID, list[ReviewAssignment]]
    expert_numbers: Mapping[uuid.UUID, int]
    experts_visible: bool


async def results(session: AsyncSession, *, principal: Principal, round_id: uuid.UUID) -> Results:
    """The results of a closed round, for the department and the proposer's reviewers."""
    view = await get_round(session, principal=principal, round_id=round_id)
    round_ = view.round
    if round_.results is None:
        raise Conflict(NOT_CLOSED_YET, extensions={"current_state": round_.status})
    answers: dict[uuid.UUID, list[ReviewAssignment]] = {}
    for a in await reviews_repository.assignments(session, round_.id):
        if a.status == AssignmentStatus.SCORED:
            answers.setdefault(a.application_id, []).append(a)
    numbers = {uuid.UUID(u): n for n, u in enumerate(round_.expert_user_ids, start=1)}
    return Results(round_, answers, numbers, view.experts_visible)


# --- the joint recommendation ----------------------------------------------------------------

NOT_RANKED_YET = Message(
    "评审轮次结束后方可提出推荐名单。",
    "A recommendation is proposed once the round has closed.",
)
NOTHING_TO_CONFIRM = Message(
    "没有待确认的推荐名单。", "There is no proposed recommendation to confirm."
)
JOINT_CONFIRMATION = Message(
    "推荐名单须由本轮指定的发榜单位评审代表确认：评审由科技厅与发榜方共同进行。",
    "A reviewer of the proposer named on the round confirms the recommendation: the "
    "department and the proposer decide it together.",
)
WHY_RECOMMENDED = "推荐名单经联合确认 / the joint recommendation was confirmed"


def _check_list(round_: ReviewRound, application_ids: Sequence[uuid.UUID]) -> None:
    """Each application once, and each from the round's results (422 otherwise)."""
    ranked = {r["application_id"] for r in round_.results or []}
    found: list[Violation] = []
    for n, app_id in enumerate(application_ids):
        if app_id in application_ids[:n]:
            found.append(_invalid("重复列出。", "Listed twice.", f"body.application_ids.{n}"))
        elif str(app_id) not in ranked:
            found.append(
                _invalid(
                    "不在本轮评审结果中。",
                    "Not among the round's results.",
                    f"body.application_ids.{n}",
                )
            )
    if found:
        raise InputInvalid(violations=found)


async def propose(
    session: AsyncSession,
    *,
    principal: Principal,
    round_id: uuid.UUID,
    application_ids: Sequence[uuid.UUID],
    now: datetime,
) -> ReviewRound:
    """The department proposes the recommended applications, best first, from the results
    (an empty list recommends no one). Nothing changes for the applications until the
    proposer confirms; until then a new proposal replaces this one."""
    round_ = await _round_for_update(session, principal, round_id)
    before = RoundStatus(round_.status)
    if not workflow.ROUND.can(before, RoundAction.PROPOSE):
        raise Conflict(NOT_RANKED_YET, extensions={"current_state": before.value})
    _check_list(round_, application_ids)
    round_.recommendation = [str(a) for a in application_ids]
    round_.status = workflow.ROUND.next_state(before, RoundAction.PROPOSE).value
    round_.proposed_by, round_.proposed_at = principal.user_id, now
    replaced = before is RoundStatus.RECOMMENDATION_PROPOSED
    await _recommendation_step(
        session,
        principal,
        round_,
        before,
        RoundAction.PROPOSE,
        now,
        data={"replaced": replaced},
        replaced=replaced,
    )
    return round_


_RECOMMENDATION_EVENTS: dict[RoundAction, type[reviews_events.RecommendationEvent]] = {
    RoundAction.PROPOSE: reviews_events.RecommendationProposed,
    RoundAction.CONFIRM: reviews_events.RecommendationConfirmed,
}


async def _recommendation_step(
    session: AsyncSession,
    principal: Principal,
    round_: ReviewRound,
    before: RoundStatus,
    action: RoundAction,
    now: datetime,
    *,
    data: dict[str, Any],
    **fields: Any,
) -> None:
    """The audit entry (on the round) and the event of a step of its recommendation."""
    ranked = [uuid.UUID(a) for a in round_.recommendation or []]
    event = _RECOMMENDATION_EVENTS[action](
        occurred_at=now,
        recommendation_id=round_.id,
        review_round_id=round_.id,
        listing_id=round_.listing_id,
        application_ids=ranked,
        **fields,
    )
    await _record(
        session,
        principal,
        f"review_round.{action.value}",
        round_.id,
        event,
        round_.status,
        from_state=before.value,
        data={"application_ids": round_.recommendation, **data},
    )


def _may_confirm(principal: Principal, round_: ReviewRound, listing: Listing) -> bool:
    """R-WF-RECOMMEND-JOINT: a proposer's reviewer named on the round, still a member of the
    proposer; for an emergency listing (the department is the proposer) the department."""
    if listing.proposer_org_id is None:
        return policy.can(principal, Permission.MANAGE_REVIEWS)
    return (
        principal.user_id is not None
        and str(principal.user_id) in (round_.proposer_reviewer_user_ids or [])
        and principal.member_of(listing.proposer_org_id)
    )


async def confirm(
    session: AsyncSession, *, principal: Principal, round_id: uuid.UUID, now: datetime
) -> ReviewRound:
    """The proposer's confirmation makes the recommendation take effect: the listed
    applications become `recommended` at their rank, the others `not_recommended`, and an
    empty list fails the listing (流榜)."""
    view = await get_round(session, principal=principal, round_id=round_id)  # 404 for others
    if not _may_confirm(principal, view.round, view.listing):
        raise PermissionDenied(
            violations=[
                Violation(JOINT_CONFIRMATION, rule=JOINT_REVIEW, article=JOINT_REVIEW_ARTICLE)
            ]
        )
    round_ = await reviews_repository.get_for_update(session, round_id)
    if round_ is None:
        raise NotFound()
    before = RoundStatus(round_.status)
    if not workflow.ROUND.can(before, RoundAction.CONFIRM):
        raise Conflict(NOTHING_TO_CONFIRM, extensions={"current_state": before.value})
    ranked = [uuid.UUID(a) for a in round_.recommendation or []]
    recommended, not_recommended = await applications_service.follow_recommendation(
        session,
        principal=principal,
        listing_id=round_.listing_id,
        ranked=ranked,
        reason=WHY_RECOMMENDED,
        now=now,
    )
    if not ranked:
        why = {"review_round_id": str(round_.id), "rule": JOINT_REVIEW}
        await listings_service.fail(session, principal, round_.listing_id, data=why, now=now)
    round_.status = workflow.ROUND.next_state(before, RoundAction.CONFIRM).value
    round_.confirmed_by, round_.confirmed_at = principal.user_id, now
    await _recommendation_step(
        session,
        principal,
        round_,
        before,
        RoundAction.CONFIRM,
        now,
        data={"recommended": recommended, "not_recommended": not_recommended},
        not_recommended=not_recommended,
        listing_failed=not ranked,
    )
    return round_
