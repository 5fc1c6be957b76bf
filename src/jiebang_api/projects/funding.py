"""The money of a project (第十条 to 第十二条) — pure, `Decimal` only, exact to the cent.

The ceiling on the subsidy S (`max_subsidy`, `check_subsidy`: the agreement's terms are
checked by the same functions); the first tranche, S × P1 / A rounded down to the cent where
P1 is the demand side's first payment and A the agreement amount (R-DISB-FIRST-RATIO); the
final tranche, what is left of S. Every result says which rules it applied, with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from jiebang_api.agreements.subsidy import (
    Applied,
    Caps,
    Ceiling,
    check_subsidy,
    max_subsidy,
)
from jiebang_api.kit.errors import Message, Violation
from jiebang_api.kit.money import CENT, to_text
from jiebang_api.listings.enums import ListingKind

__all__ = [
    "Applied",
    "Calculation",
    "Caps",
    "Ceiling",
    "calculate",
    "check_subsidy",
    "final_tranche",
    "first_tranche",
    "max_subsidy",
]
FIRST_RATIO = ("R-DISB-FIRST-RATIO", "第十二条")


def first_tranche(s: Decimal, p1: Decimal, a: Decimal) -> tuple[Decimal, Applied]:
    """S × P1 / A, rounded down to the cent (R-DISB-FIRST-RATIO); 0 < A, 0 ≤ P1 ≤ A."""
    if a <= 0 or not Decimal(0) <= p1 <= a:
        raise ValueError("the first payment must lie between 0 and the agreement amount")
    amount = (s * p1 / a).quantize(CENT, rounding=ROUND_DOWN)
    return amount, Applied(
        FIRST_RATIO[0],
        FIRST_RATIO[1],
        {"subsidy": s, "first_payment": p1, "agreement_amount": a, "first_tranche": amount},
        Message(
            f"首笔补助 = {to_text(s)} × {to_text(p1)} / {to_text(a)}，向下取整到分："
            f"{to_text(amount)} 元。",
            f"First tranche = {to_text(s)} × {to_text(p1)} / {to_text(a)}, rounded down to "
            f"the cent: {to_text(amount)}.",
        ),
    )


def final_tranche(s: Decimal, disbursed: Decimal) -> Decimal:
    """What is left of S once `disbursed` is paid (never below zero)."""
    return max(s - disbursed, Decimal(0))


@dataclass(frozen=True)
class Calculation:
    """What the calculator answers: the ceiling and, for a subsidy, its two tranches."""

    ceiling: Ceiling
    subsidy: Decimal
    first_tranche: Decimal | None
    final_tranche: Decimal | None
    applied: list[Applied]
    violations: list[Violation]


def calculate(
    kind: ListingKind,
    *,
    total_rd_investment: Decimal,
    agreement_amount: Decimal,
    caps: Caps,
    requested_subsidy: Decimal | None = None,
    first_payment: Decimal | None = None,
    case_by_case: bool = False,
) -> Calculation:
    """The ceiling, the subsidy (the one asked, else the ceiling) with what it breaks, and
    its tranches when the first payment is known. An emergency project's first tranche is
    the funding decision's to set (R-FUND-EM-FISCAL, a reading): none is computed."""
    ceiling = max_subsidy(kind, total_rd_investment, caps, case_by_case)
    s = ceiling.amount if requested_subsidy is None else requested_subsidy
    violations = check_subsidy(
        s, kind, total_rd_investment, caps, case_by_case, "body.requested_subsidy"
    )
    applied = list(ceiling.applied)
    first = final = None
    if kind is not ListingKind.EMERGENCY and first_payment is not None:
        first, ratio = first_tranche(s, first_payment, agreement_amount)
        final = final_tranche(s, first)
        applied.append(ratio)
    return Calculation(ceiling, s, first, final, applied, violations)
