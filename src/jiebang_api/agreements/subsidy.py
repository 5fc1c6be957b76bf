"""How much subsidy a project may have (第十条, 第十一条) — pure.

S ≤ ratio × T (30 % by the measures; not for emergency projects, R-FUND-EM-FISCAL, a
reading) and S ≤ the cap (10,000,000), both "in principle": only a case-by-case decision
lifts them (R-FUND-CASE-BY-CASE). S ≤ T always, whatever is decided (a service invariant,
read into R-FUND-RATIO-CAP). The agreement's terms and the project's funding decision are
checked by these same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from jiebang_api.kit.errors import Message, Violation
from jiebang_api.kit.money import CENT, to_text
from jiebang_api.listings.enums import ListingKind

RATIO_CAP = ("R-FUND-RATIO-CAP", "第十一条")
ABS_CAP = ("R-FUND-ABS-CAP", "第十一条")
CASE_BY_CASE = ("R-FUND-CASE-BY-CASE", "第十一条")
EM_FISCAL = ("R-FUND-EM-FISCAL", "第十条")


@dataclass(frozen=True)
class Caps:
    """The policy version's figures on the subsidy."""

    max_ratio: Decimal
    cap: Decimal


@dataclass(frozen=True)
class Applied:
    """A rule applied to the figures: which, where it stands, and the numbers it used."""

    rule: str
    article: str
    figures: dict[str, Decimal]
    message: Message


@dataclass(frozen=True)
class Ceiling:
    """The most the subsidy may be, the rule that sets it, and every rule applied."""

    amount: Decimal
    binding_rule: str
    applied: list[Applied]


def _down(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def max_subsidy(kind: ListingKind, t: Decimal, caps: Caps, case_by_case: bool) -> Ceiling:
    """The ceiling on S for a project of `kind` with total R&D investment `t`."""
    whole = Applied(
        RATIO_CAP[0],
        RATIO_CAP[1],
        {"total_rd_investment": t},
        Message(
            f"补助不超过研发总投入 {to_text(t)} 元（本系统不变式）。",
            f"The subsidy never exceeds the total R&D investment {to_text(t)} (an invariant).",
        ),
    )
    if case_by_case:
        lifted = Applied(
            CASE_BY_CASE[0],
            CASE_BY_CASE[1],
            {},
            Message(
                "一事一议决定已突破比例和金额上限。",
                "A case-by-case decision lifts the ratio and amount caps.",
            ),
        )
        return Ceiling(t, CASE_BY_CASE[0], [lifted, whole])
    candidates: list[tuple[Decimal, Applied]] = [(t, whole)]
    if kind is ListingKind.EMERGENCY:
        exempt = Applied(
            EM_FISCAL[0],
            EM_FISCAL[1],
            {},
            Message(
                "应急类项目以财政资金为主，不受30%比例约束（解读）。",
                "Emergency projects are funded mainly by fiscal funds: no 30% ratio (a reading).",
            ),
        )
        applied = [exempt]
    else:
        most = _down(caps.max_ratio * t)
        ratio = Applied(
            RATIO_CAP[0],
            RATIO_CAP[1],
            {"max_ratio": caps.max_ratio, "total_rd_investment": t, "limit": most},
            Message(
                f"补助原则上不超过研发总投入的比例上限：{to_text(most)} 元。",
                f"In principle at most the share of the total R&D investment: {to_text(most)}.",
            ),
        )
        candidates.append((most, ratio))
        applied = [ratio]
    absolute = Applied(
        ABS_CAP[0],
        ABS_CAP[1],
        {"limit": caps.cap},
        Message(
            f"单个项目补助原则上不超过 {to_text(caps.cap)} 元。",
            f"In principle at most {to_text(caps.cap)} per project.",
        ),
    )
    candidates.append((caps.cap, absolute))
    applied += [absolute, whole]
    amount, binding = min(candidates, key=lambda c: c[0])
    return Ceiling(amount, binding.rule, applied)


def _violation(rule: tuple[str, str], field: str, zh: str, en: str) -> Violation:
    return Violation(Message(zh, en), rule=rule[0], article=rule[1], field=field)


def check_subsidy(
    s: Decimal, kind: ListingKind, t: Decimal, caps: Caps, case_by_case: bool, field: str
) -> list[Violation]:
    """Every cap `s` breaks, each cited at `field`."""
    found = []
    if s > t:
        found.append(
            _violation(
                RATIO_CAP,
                field,
                f"补助 {to_text(s)} 元不得超过研发总投入 {to_text(t)} 元（任何决定均不能突破）。",
                f"The subsidy {to_text(s)} can never exceed the total R&D investment "
                f"{to_text(t)}, whatever is decided.",
            )
        )
    if case_by_case:
        return found
    most = caps.max_ratio * t
    if kind is not ListingKind.EMERGENCY and most < s <= t:
        limit = to_text(_down(most))
        found.append(
            _violation(
                RATIO_CAP,
                field,
                f"补助 {to_text(s)} 元原则上不超过研发总投入的比例上限（{limit} 元），"
                "一事一议决定方可突破。",
                f"The subsidy {to_text(s)} should in principle not exceed the share of the "
                f"total R&D investment ({limit}); only a case-by-case decision lifts it.",
            )
        )
    if s > caps.cap:
        found.append(
            _violation(
                ABS_CAP,
                field,
                f"补助 {to_text(s)} 元原则上不超过 {to_text(caps.cap)} 元，一事一议决定方可突破。",
                f"The subsidy {to_text(s)} should in principle not exceed {to_text(caps.cap)}; "
                "only a case-by-case decision lifts it.",
            )
        )
    return found
