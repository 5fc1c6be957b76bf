"""The eligibility engine (Art. 4–8, 15): pure, explainable, exhaustive.

`evaluate(application)` runs every rule that applies to the listing's kind and returns all
findings at once, each citing its rule id and article: violations block the application,
warnings are shown to reviewers, priorities flag encouraged applicants (Art. 6 (3)). Facts
that a rule relies on but that the department has not verified give a warning, never a
silent pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from jiebang_api.listings.enums import ListingKind

SOLVER_TYPES = frozenset({"university", "research_institute", "enterprise", "consortium"})
RESEARCH_TYPES = frozenset({"university", "research_institute"})


@dataclass(frozen=True)
class Period:
    """A serious-dishonesty record: binding from `starts_on` through `ends_on` (inclusive)."""

    starts_on: date
    ends_on: date | None

    def binds(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


@dataclass(frozen=True)
class Party:
    """What the rules know of one organisation."""

    org_id: uuid.UUID
    name: str
    type: str
    in_region: bool
    identity_verified: bool = False
    partner_4_8_n: bool = False
    strategic_agreement: bool = False
    verified_flags: frozenset[str] = frozenset()
    ancestors: tuple[uuid.UUID, ...] = ()
    dishonesty: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Member:
    party: Party
    budget_share: Decimal


@dataclass(frozen=True)
class Declarations:
    """Art. 8: what an achievement-transfer applicant declares it can bring."""

    has_transfer_team: bool = False
    can_provide_funds: bool = False
    can_provide_site: bool = False
    market_channels: str | None = None


@dataclass(frozen=True)
class Plan:
    approach: str | None = None
    milestones: int = 0
    team: int = 0


@dataclass(frozen=True)
class Application:
    """Everything the engine looks at; `on` is the day the rules are applied."""

    kind: ListingKind
    proposer: Party | None
    lead: Party
    lead_budget_share: Decimal
    members: tuple[Member, ...] = ()
    plan: Plan = field(default_factory=Plan)
    declarations: Declarations = field(default_factory=Declarations)
    on: date = date(2026, 1, 1)

    def parties(self) -> Iterator[tuple[str, Party]]:
        """The applicants: the lead, then each member, with where they are in the request."""
        yield "lead_org_id", self.lead
        for n, member in enumerate(self.members):
            yield f"members.{n}.org_id", member.party


@dataclass(frozen=True)
class Finding:
    rule: str
    article: str
    message_zh: str
    message_en: str
    org_id: uuid.UUID | None = None
    field: str | None = None


@dataclass(frozen=True)
class EligibilityReport:
    violations: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    priorities: tuple[Finding, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.violations


# --- the rules: each returns its findings ------------------------------------------------


def solver_type(app: Application) -> Iterable[Finding]:
    """R-ELIG-TB-SOLVER-TYPE: universities, institutes, enterprises, innovation consortia."""
    if app.kind is not ListingKind.TECH_BREAKTHROUGH:
        return
    for where, party in app.parties():
        if party.type not in SOLVER_TYPES:
            yield Finding(
                "R-ELIG-TB-SOLVER-TYPE",
                "第四条（一）",
                f"{party.name}不是高校、科研院所、企业或创新联合体，不能揭榜技术攻关类榜单。",
                f"{party.name} is not a university, research institute, enterprise or "
                "innovation consortium.",
                party.org_id,
                where,
            )


def not_subsidiary(app: Application) -> Iterable[Finding]:
    """R-ELIG-NOT-SUBSIDIARY: no applicant is the proposer or below it in its ownership tree."""
    if app.proposer is None:
        return
    proposer = app.proposer.org_id
    for where, party in app.parties():
        if party.org_id == proposer or proposer in party.ancestors:
            yield Finding(
                "R-ELIG-NOT-SUBSIDIARY",
                "第四条（一）",
                f"{party.name}是发榜方或其下属单位，不能揭榜本榜单。",
                f"{party.name} is the proposer or one of its subsidiaries.",
                party.org_id,
                where,
            )


def enterprise_solver(app: Application) -> Iterable[Finding]:
    """R-ELIG-AT-SOLVER-ENTERPRISE: the lead of an achievement transfer is an in-region
    enterprise."""
    if app.kind is not ListingKind.ACHIEVEMENT_TRANSFER:
        return
    lead = app.lead
    if lead.type != "enterprise" or not lead.in_region:
        yield Finding(
            "R-ELIG-AT-SOLVER-ENTERPRISE",
            "第四条（二）",
            "成果转化类榜单须由区内企业牵头揭榜。",
            "An achievement transfer is taken up by an enterprise located in the region.",
            lead.org_id,
            "lead_org_id",
        )


def enterprise_led(app: Application) -> Iterable[Finding]:
    """R-ELIG-AT-ENTERPRISE-LED: a university or institute member with a larger budget share
    than the leading enterprise is a warning for reviewers."""
    if app.kind is not ListingKind.ACHIEVEMENT_TRANSFER:
        return
    for n, member in enumerate(app.members):
        if member.party.type in RESEARCH_TYPES and member.budget_share > app.lead_budget_share:
            yield Finding(
                "R-ELIG-AT-ENTERPRISE-LED",
                "第四条（二）",
                f"{member.party.name}的预算份额高于牵头企业。",
                f"{member.party.name} has a larger budget share than the leading enterprise.",
                member.party.org_id,
                f"members.{n}.budget_share",
            )


def feasible_plan(app: Application) -> Iterable[Finding]:
    """R-ELIG-TB-PLAN and R-ELIG-TB-TEAM: a plan with milestones, and a named team."""
    if app.kind is not ListingKind.TECH_BREAKTHROUGH:
        return
    if not (app.plan.approach and app.plan.approach.strip()) or app.plan.milestones < 1:
        yield Finding(
            "R-ELIG-TB-PLAN",
            "第六条（一）",
            "须提交攻克关键技术的可行性方案（技术路线与里程碑）。",
            "A feasible plan (approach and milestones) is required.",
            app.lead.org_id,
            "plan",
        )
    if app.plan.team < 1:
        yield Finding(
            "R-ELIG-TB-TEAM",
            "第六条（二）",
            "须列明协助需求方落地实施的经验与团队。",
            "The team that will help put the result to use must be named.",
            app.lead.org_id,
            "plan.team",
        )


def demand_side(app: Application) -> Iterable[Finding]:
    """R-ELIG-AT-DEMAND-TEAM and R-ELIG-AT-DEMAND-RESOURCES: the taker of an achievement
    declares a transfer team, funds, a site and market channels."""
    if app.kind is not ListingKind.ACHIEVEMENT_TRANSFER:
        return
    d = app.declarations
    if not d.has_transfer_team:
        yield Finding(
            "R-ELIG-AT-DEMAND-TEAM",
            "第八条（一）",
            "须具备成果转化人才团队。",
            "A capable transfer team is required.",
            app.lead.org_id,
            "declarations.has_transfer_team",
        )
    missing = [
        name
        for name, given in (
            ("can_provide_funds", d.can_provide_funds),
            ("can_provide_site", d.can_provide_site),
            ("market_channels", bool(d.market_channels and d.market_channels.strip())),
        )
        if not given
    ]
    for name in missing:
        yield Finding(
            "R-ELIG-AT-DEMAND-RESOURCES",
            "第八条（二）",
            "须能够提供成果转化所需的资金、场地和市场对接条件。",
            "Funds, a site and market channels for the transfer are required.",
            app.lead.org_id,
            f"declarations.{name}",
        )


def no_dishonesty(app: Application) -> Iterable[Finding]:
    """R-ELIG-NO-DISHONESTY: no party, proposer included, is bound by a serious-dishonesty
    record on the day."""
    everyone = list(app.parties())
    if app.proposer is not None:
        everyone.append(("proposer", app.proposer))
    for where, party in everyone:
        if any(period.binds(app.on) for period in party.dishonesty):
            yield Finding(
                "R-ELIG-NO-DISHONESTY",
                "第十五条",
                f"{party.name}存在严重失信行为记录。",
                f"{party.name} has an active serious-dishonesty record.",
                party.org_id,
                where,
            )


def priority(app: Application) -> Iterable[Finding]:
    """R-ELIG-PRIORITY: 4+8+N partners and holders of a strategic agreement are encouraged."""
    for where, party in app.parties():
        for flag, zh in (
            ("partner_4_8_n", "科技兴蒙“4+8+N”合作主体"),
            ("strategic_agreement", "与自治区政府签署战略合作协议的单位"),
        ):
            if getattr(party, flag):
                yield Finding(
                    "R-ELIG-PRIORITY",
                    "第六条（三）",
                    f"{party.name}为{zh}，优先支持。",
                    f"{party.name} is an encouraged applicant ({flag}).",
                    party.org_id,
                    where,
                )


# The rule that rests on an applicant's registered type, per kind of listing.
TYPE_RULES = {
    ListingKind.TECH_BREAKTHROUGH: ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）"),
    ListingKind.ACHIEVEMENT_TRANSFER: ("R-ELIG-AT-SOLVER-ENTERPRISE", "第四条（二）"),
}
PRIORITY_FLAGS = {
    "partner_4_8_n": "科技兴蒙“4+8+N”合作主体",
    "strategic_agreement": "与自治区政府签署战略合作协议的单位",
}


def unverified(app: Application) -> Iterable[Finding]:
    """A verdict that rests on facts the department has not verified warns about them."""
    type_rule = TYPE_RULES.get(app.kind)
    for where, party in app.parties():
        if type_rule and not party.identity_verified:
            yield Finding(
                *type_rule,
                f"{party.name}的单位类型与登记信息尚未经核验。",
                f"{party.name}'s type and registration are not verified by the department.",
                party.org_id,
                where,
            )
        for flag in PRIORITY_FLAGS:
            if getattr(party, flag) and flag not in party.verified_flags:
                yield Finding(
                    "R-ELIG-PRIORITY",
                    "第六条（三）",
                    f"{party.name}自行申报的“{PRIORITY_FLAGS[flag]}”尚未核验。",
                    f"{party.name}'s self-declared {flag} is not verified.",
                    party.org_id,
                    where,
                )


BLOCKING = (
    solver_type,
    not_subsidiary,
    enterprise_solver,
    feasible_plan,
    demand_side,
    no_dishonesty,
)


PARTY_RULES = (solver_type, not_subsidiary, enterprise_solver, no_dishonesty)


def evaluate(app: Application, *, parties_only: bool = False) -> EligibilityReport:
    """Every finding for `app`; none short-circuits another. `parties_only` leaves out the
    rules about the plan and declarations (the dry run, before an application exists)."""
    rules = PARTY_RULES if parties_only else BLOCKING
    violations = tuple(f for rule in rules for f in rule(app))
    warnings = tuple(enterprise_led(app)) + tuple(unverified(app))
    return EligibilityReport(violations, warnings, tuple(priority(app)))
