"""The rules an agreement's terms must meet (Art. 10, 11, 13, 15, 16) — pure.

`check` takes the terms, the figures of the policy version and the decisions recorded on the
agreement (waivers of "in principle" rules, a case-by-case decision) and returns every
finding: those that block, and those a waiver lifted (shown wherever the rule is evaluated).
The caps on the subsidy are lifted only by a case-by-case decision (R-FUND-CASE-BY-CASE),
never by a waiver; no decision lifts S ≤ T (a service invariant).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from jiebang_api.agreements import subsidy
from jiebang_api.agreements.enums import FundingUse
from jiebang_api.kit.errors import Message, Violation
from jiebang_api.kit.money import to_text
from jiebang_api.listings.enums import ListingKind

AGREEMENT_MIN = ("R-FUND-AGREEMENT-MIN", "第十条")
FUND_USE = ("R-FUND-USE", "第十三条")
IP_TERMS = ("R-AGR-IP-TERMS", "第十五条")
TB_36M = ("R-TIME-TB-36M", "第十六条")
AT_24M = ("R-TIME-AT-24M", "第十六条")
# The "in principle" rules a department waiver may lift on an agreement. The caps are
# "in principle" too, but what lifts them is a case-by-case decision.
WAIVABLE = frozenset({AGREEMENT_MIN[0], TB_36M[0], AT_24M[0]})


@dataclass(frozen=True)
class Limits:
    """The policy version's figures that bind an agreement."""

    agreement_min_ratio: Decimal
    subsidy_max_ratio: Decimal
    subsidy_cap: Decimal
    tech_breakthrough_max_months: int
    achievement_transfer_max_months: int

    @property
    def caps(self) -> subsidy.Caps:
        """The figures on the subsidy alone."""
        return subsidy.Caps(self.subsidy_max_ratio, self.subsidy_cap)


# The measures' own figures (第十条, 第十一条, 第十六条), for an agreement made while no policy
# version was in force.
THE_MEASURES = Limits(
    agreement_min_ratio=Decimal("0.30"),
    subsidy_max_ratio=Decimal("0.30"),
    subsidy_cap=Decimal("10000000.00"),
    tech_breakthrough_max_months=36,
    achievement_transfer_max_months=24,
)


@dataclass(frozen=True)
class Terms:
    kind: ListingKind
    agreement_amount: Decimal
    total_rd_investment: Decimal
    requested_subsidy: Decimal
    duration_months: int
    payments: Sequence[Decimal]
    budget_lines: Sequence[tuple[str, Decimal]]
    ip_ownership: str
    benefit_sharing: str


@dataclass
class Findings:
    """What blocks the agreement, and what a waiver lifted."""

    blocking: list[Violation] = field(default_factory=list)
    waived: list[Violation] = field(default_factory=list)


def _violation(rule: tuple[str, str], field_: str, zh: str, en: str) -> Violation:
    return Violation(Message(zh, en), rule=rule[0], article=rule[1], field=field_)


def _duration(terms: Terms, limits: Limits) -> Violation | None:
    if terms.kind is ListingKind.EMERGENCY:
        return None
    if terms.kind is ListingKind.TECH_BREAKTHROUGH:
        rule, most, name = TB_36M, limits.tech_breakthrough_max_months, ("技术攻关类", "technology")
    else:
        rule, most, name = (
            AT_24M,
            limits.achievement_transfer_max_months,
            ("成果转化类", "transfer"),
        )
    if terms.duration_months <= most:
        return None
    return _violation(
        rule,
        "body.duration_months",
        f"{name[0]}项目实施周期原则上不超过 {most} 个月（协议为 {terms.duration_months} 个月）。",
        f"A {name[1]} project should in principle last at most {most} months; the agreement "
        f"says {terms.duration_months}.",
    )


def _agreement_min(terms: Terms, limits: Limits) -> Violation | None:
    """A ≥ ratio × T, except for emergency projects (R-FUND-EM-FISCAL, a reading)."""
    if terms.kind is ListingKind.EMERGENCY:
        return None
    least = limits.agreement_min_ratio * terms.total_rd_investment
    if terms.agreement_amount >= least:
        return None
    percent = f"{limits.agreement_min_ratio * 100:.2f}".rstrip("0").rstrip(".")
    return _violation(
        AGREEMENT_MIN,
        "body.agreement_amount",
        f"协议金额 {to_text(terms.agreement_amount)} 元原则上不少于研发总投入的 {percent}%"
        f"（{to_text(least)} 元）。",
        f"The agreement amount {to_text(terms.agreement_amount)} should in principle be at "
        f"least {percent}% of the total R&D investment ({to_text(least)}).",
    )


def _caps(terms: Terms, limits: Limits, case_by_case: bool) -> list[Violation]:
    """S ≤ T always; the ratio and the cap unless a case-by-case decision is recorded."""
    return subsidy.check_subsidy(
        terms.requested_subsidy,
        terms.kind,
        terms.total_rd_investment,
        limits.caps,
        case_by_case,
        "body.requested_subsidy",
    )


def _budget(terms: Terms) -> list[Violation]:
    uses = {u.value for u in FundingUse}
    return [
        _violation(
            FUND_USE,
            f"body.budget_lines.{n}.category",
            f"补助只能用于第十三条所列五类用途，不含 “{category}”。",
            f"The subsidy may be budgeted only for the five uses of Art. 13, not “{category}”.",
        )
        for n, (category, _) in enumerate(terms.budget_lines)
        if category not in uses
    ]


def _ip_terms(terms: Terms) -> list[Violation]:
    return [
        _violation(
            IP_TERMS,
            f"body.{name}",
            f"协议须约定{zh}。",
            f"The agreement must settle {en}.",
        )
        for name, zh, en, text in (
            ("ip_ownership", "知识产权归属", "the ownership of IP", terms.ip_ownership),
            ("benefit_sharing", "利益分配", "how benefits are shared", terms.benefit_sharing),
        )
        if not text.strip()
    ]


def check(
    terms: Terms, limits: Limits, *, waivers: Collection[str] = (), case_by_case: bool = False
) -> Findings:
    """Every rule the terms break; those `waivers` name (of `WAIVABLE`) do not block."""
    findings = Findings()
    for found in (_agreement_min(terms, limits), _duration(terms, limits)):
        if found is not None:
            lifted = found.rule in waivers and found.rule in WAIVABLE
            (findings.waived if lifted else findings.blocking).append(found)
    findings.blocking += _caps(terms, limits, case_by_case)
    findings.blocking += _budget(terms)
    findings.blocking += _ip_terms(terms)
    return findings


def sums(terms: Terms) -> list[Violation]:
    """The figures that must add up (no rule of the measures: the agreement's own sums):
    the payment schedule to the agreement amount, the budget lines to the subsidy."""
    found = []
    paid = sum(terms.payments, Decimal(0))
    if paid != terms.agreement_amount:
        found.append(
            Violation(
                Message(
                    f"付款计划合计 {to_text(paid)} 元，须等于协议金额 "
                    f"{to_text(terms.agreement_amount)} 元。",
                    f"The payment schedule adds up to {to_text(paid)}; it must equal the "
                    f"agreement amount {to_text(terms.agreement_amount)}.",
                ),
                field="body.payment_schedule",
            )
        )
    budget = sum((amount for _, amount in terms.budget_lines), Decimal(0))
    if budget != terms.requested_subsidy:
        found.append(
            Violation(
                Message(
                    f"预算明细合计 {to_text(budget)} 元，须等于申请补助 "
                    f"{to_text(terms.requested_subsidy)} 元。",
                    f"The budget lines add up to {to_text(budget)}; they must equal the "
                    f"requested subsidy {to_text(terms.requested_subsidy)}.",
                ),
                field="body.budget_lines",
            )
        )
    return found
