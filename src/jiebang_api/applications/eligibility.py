"""The eligibility engine (Art. 4–9, 15): pure, explainable, exhaustive.

`evaluate(application)` runs every rule that applies to the listing's kind and returns all
findings at once, each citing its rule id and the article that applies: violations block the
application, warnings are shown to reviewers, priorities flag encouraged applicants
(Art. 6 (3), technology breakthroughs only). `evaluate_parties` is the dry run: the rules
about who applies, before a plan exists. Facts that a rule relies on but that the department
has not verified give a warning, never a silent pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from jiebang_api.listings.enums import ListingKind
from jiebang_api.organizations import flags

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
    high_tech: bool = False
    tech_based: bool = False
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
    """The implementation plan (Art. 9 (4)): approach, milestones, budget, team."""

    approach: str | None = None
    milestones: int = 0
    team: int = 0
    budget_total: Decimal | None = None


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

TB, AT = ListingKind.TECH_BREAKTHROUGH, ListingKind.ACHIEVEMENT_TRANSFER
# R-ELIG-NOT-SUBSIDIARY stands in both paragraphs of Art. 4 ("不包括发榜企业下属单位").
NOT_SUBSIDIARY_ARTICLES = {TB: "第四条（一）", AT: "第四条（二）"}


def solver_type(app: Application) -> Iterable[Finding]:
    """R-ELIG-TB-SOLVER-TYPE: 4+8+N partners of any type; otherwise universities, institutes,
    technology-based enterprises, innovation consortia."""
    if app.kind is not TB:
        return
    for where, party in app.parties():
        if not party.partner_4_8_n and party.type not in SOLVER_TYPES:
            yield Finding(
                "R-ELIG-TB-SOLVER-TYPE",
                "第四条（一）",
                f"{party.name}既非“4+8+N”合作主体，也不是高校、科研院所、科技型企业或创新联合体，"
                "不能揭榜技术攻关类榜单。",
                f"{party.name} is neither a 4+8+N partner nor a university, research institute, "
                "technology-based enterprise or innovation consortium.",
                party.org_id,
                where,
            )


def not_subsidiary(app: Application) -> Iterable[Finding]:
    """R-ELIG-NOT-SUBSIDIARY: no applicant is the proposer or below it in its ownership tree;
    the article is the paragraph of Art. 4 for the listing's kind."""
    article = NOT_SUBSIDIARY_ARTICLES.get(app.kind)
    if app.proposer is None or article is None:
        return
    proposer = app.proposer.org_id
    for where, party in app.parties():
        if party.org_id == proposer or proposer in party.ancestors:
            yield Finding(
                "R-ELIG-NOT-SUBSIDIARY",
                article,
                f"{party.name}是发榜方或其下属单位，不能揭榜本榜单。",
                f"{party.name} is the proposer or one of its subsidiaries.",
                party.org_id,
                where,
            )


def enterprise_solver(app: Application) -> Iterable[Finding]:
    """R-ELIG-AT-SOLVER-ENTERPRISE: the lead of an achievement transfer is an in-region
    enterprise."""
    if app.kind is not AT:
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
    """R-ELIG-AT-ENTERPRISE-LED: the enterprises' budget shares together smaller than the
    universities' and institutes' together is a warning for reviewers (企业为主)."""
    if app.kind is not AT:
        return
    shares = [(app.lead.type, app.lead_budget_share)] + [
        (m.party.type, m.budget_share) for m in app.members
    ]
    enterprises = sum((s for t, s in shares if t == "enterprise"), Decimal(0))
    research = sum((s for t, s in shares if t in RESEARCH_TYPES), Decimal(0))
    if research > enterprises:
        yield Finding(
            "R-ELIG-AT-ENTERPRISE-LED",
            "第四条（二）",
            f"高校和科研院所的预算份额合计（{research}）高于企业合计（{enterprises}），"
            "成果转化应以企业为主。",
            f"Universities and institutes together hold a larger budget share ({research}) "
            f"than the enterprises together ({enterprises}); enterprises should lead.",
            app.lead.org_id,
            "members",
        )


def implementation_plan(app: Application) -> Iterable[Finding]:
    """R-APP-PLAN: every application, of every kind, carries an implementation plan
    (approach, milestones, budget, team); reading: a budget of 0 is no budget."""
    plan = app.plan
    missing = [
        (name, zh, en)
        for name, zh, en, given in (
            ("approach", "技术路线", "approach", bool(plan.approach and plan.approach.strip())),
            ("milestones", "里程碑", "milestones", plan.milestones >= 1),
            ("budget_total", "预算（须大于0）", "budget (above 0)", _positive(plan.budget_total)),
            ("team", "团队", "team", plan.team >= 1),
        )
        if not given
    ]
    for name, zh, en in missing:
        yield Finding(
            "R-APP-PLAN",
            "第九条（四）",
            f"揭榜须填报实施方案，缺少{zh}。",
            f"An implementation plan is required; its {en} is missing.",
            app.lead.org_id,
            f"plan.{name}",
        )


def _positive(amount: Decimal | None) -> bool:
    return amount is not None and amount > 0


def feasible_plan(app: Application) -> Iterable[Finding]:
    """R-ELIG-TB-PLAN and R-ELIG-TB-TEAM: a plan with milestones, and a named team."""
    if app.kind is not TB:
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
    if app.kind is not AT:
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
    """R-ELIG-PRIORITY: on a technology breakthrough, holders of a strategic cooperation
    agreement with the regional government are encouraged (being a 4+8+N partner is not
    this priority: it is an eligibility ground under Art. 4)."""
    if app.kind is not TB:
        return
    for where, party in app.parties():
        if party.strategic_agreement:
            yield Finding(
                "R-ELIG-PRIORITY",
                "第六条（三）",
                f"{party.name}与自治区人民政府签署了战略合作协议，鼓励揭榜攻关。",
                f"{party.name} has a strategic cooperation agreement with the regional "
                "government: an encouraged applicant.",
                party.org_id,
                where,
            )


# The rule that rests on an applicant's registered type, per kind of listing.
TYPE_RULES = {
    TB: ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）"),
    AT: ("R-ELIG-AT-SOLVER-ENTERPRISE", "第四条（二）"),
}


def unverified(app: Application) -> Iterable[Finding]:
    """A verdict that rests on facts the department has not verified (or does not know)
    warns about them."""
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
        if app.kind is TB:
            yield from _tech_based(party, where)
            if party.strategic_agreement and "strategic_agreement" not in party.verified_flags:
                yield Finding(
                    "R-ELIG-PRIORITY",
                    "第六条（三）",
                    f"{party.name}自行申报的“与自治区政府签署战略合作协议”尚未核验。",
                    f"{party.name}'s self-declared strategic agreement is not verified.",
                    party.org_id,
                    where,
                )


def _tech_based(party: Party, where: str) -> Iterable[Finding]:
    """R-ELIG-TB-SOLVER-TYPE, for reviewers: a 4+8+N partner's eligibility resting on an
    unverified declaration, or an enterprise not known to be technology-based (科技型企业:
    neither a verified `tech_based` nor a verified `high_tech` flag; a high-tech enterprise
    is a technology-based one)."""
    if party.partner_4_8_n:
        if party.type not in SOLVER_TYPES and "partner_4_8_n" not in party.verified_flags:
            yield Finding(
                "R-ELIG-TB-SOLVER-TYPE",
                "第四条（一）",
                f"{party.name}凭自行申报的“4+8+N”合作主体身份揭榜，尚未核验。",
                f"{party.name} is eligible as a self-declared 4+8+N partner, not verified.",
                party.org_id,
                where,
            )
    elif party.type == "enterprise" and not flags.known_tech_based(
        party.tech_based, party.high_tech, party.verified_flags
    ):
        if party.tech_based or party.high_tech:
            zh = f"{party.name}自行申报为科技型企业（或高新技术企业），尚未核验，请评审核实。"
            en = f"{party.name} declares itself technology-based (or high-tech), not verified"
        else:
            zh = f"{party.name}是否为科技型企业尚不明确，请评审核实。"
            en = f"{party.name} is not known to be a technology-based enterprise"
        yield Finding(
            "R-ELIG-TB-SOLVER-TYPE",
            "第四条（一）",
            zh,
            f"{en}; for the reviewers to check.",
            party.org_id,
            where,
        )


PARTY_RULES = (solver_type, not_subsidiary, enterprise_solver, no_dishonesty)
BLOCKING = (*PARTY_RULES, implementation_plan, feasible_plan, demand_side)


def evaluate(app: Application) -> EligibilityReport:
    """Every finding for a submitted application; none short-circuits another."""
    violations = tuple(f for rule in BLOCKING for f in rule(app))
    warnings = tuple(enterprise_led(app)) + tuple(unverified(app))
    return EligibilityReport(violations, warnings, tuple(priority(app)))


def evaluate_parties(app: Application) -> EligibilityReport:
    """The dry run: the rules about the parties, before an application (with its plan,
    declarations and budget shares) exists."""
    violations = tuple(f for rule in PARTY_RULES for f in rule(app))
    return EligibilityReport(violations, tuple(unverified(app)), tuple(priority(app)))


# What a reader learns of an organisation it does not belong to: that it fails a rule, no more.
WITHHELD = (
    "该单位不符合本条要求（详情仅向该单位成员和科技厅显示）。",
    "This organisation does not meet this rule (details are shown only to its members and "
    "the department).",
)


def as_seen_by(report: EligibilityReport, knows: Callable[[uuid.UUID], bool]) -> EligibilityReport:
    """The report for a reader who may know the facts of only some organisations (`knows`):
    a violation about another keeps its rule, article and organisation, with a message that
    says no more than that it fails; a warning or priority about another (facts such as an
    unverified flag or an agreement) is left out. Findings about no organisation stay."""

    def seen(finding: Finding) -> bool:
        return finding.org_id is None or knows(finding.org_id)

    return EligibilityReport(
        violations=tuple(
            f if seen(f) else replace(f, message_zh=WITHHELD[0], message_en=WITHHELD[1])
            for f in report.violations
        ),
        warnings=tuple(f for f in report.warnings if seen(f)),
        priorities=tuple(f for f in report.priorities if seen(f)),
    )
