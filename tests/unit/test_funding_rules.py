"""The money of a project (第十条 to 第十二条): the ceiling on the subsidy and its two tranches,
with the figures of the measures spelled out (30 % of T, 10,000,000; S ≤ T always)."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiebang_api.kit.errors import Violation
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects import funding

D = Decimal
MEASURES = funding.Caps(max_ratio=D("0.30"), cap=D("10000000.00"))
TB, EMERGENCY = ListingKind.TECH_BREAKTHROUGH, ListingKind.EMERGENCY


@pytest.mark.parametrize(
    ("kind", "t", "case_by_case", "ceiling", "binding"),
    [
        (TB, "50000000.00", False, "10000000.00", "R-FUND-ABS-CAP"),
        (TB, "20000000.00", False, "6000000.00", "R-FUND-RATIO-CAP"),
        (ListingKind.ACHIEVEMENT_TRANSFER, "1000000.01", False, "300000.00", "R-FUND-RATIO-CAP"),
        (TB, "50000000.00", True, "50000000.00", "R-FUND-CASE-BY-CASE"),
        (EMERGENCY, "2000000.00", False, "2000000.00", "R-FUND-RATIO-CAP"),  # S ≤ T
        (EMERGENCY, "30000000.00", False, "10000000.00", "R-FUND-ABS-CAP"),
        (EMERGENCY, "30000000.00", True, "30000000.00", "R-FUND-CASE-BY-CASE"),
    ],
)
def test_the_ceiling_and_the_rule_that_sets_it(
    kind: ListingKind, t: str, case_by_case: bool, ceiling: str, binding: str
) -> None:
    found = funding.max_subsidy(kind, D(t), MEASURES, case_by_case)
    assert (found.amount, found.binding_rule) == (D(ceiling), binding)
    assert all(a.article == "第十一条" or a.rule == "R-FUND-EM-FISCAL" for a in found.applied)


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule or "" for v in violations]


def test_what_the_caps_refuse_and_what_a_case_by_case_decision_allows() -> None:
    t = D("50000000.00")
    over = D("12000000.00")
    assert rules(funding.check_subsidy(over, TB, t, MEASURES, False, "s")) == ["R-FUND-ABS-CAP"]
    assert funding.check_subsidy(over, TB, t, MEASURES, True, "s") == []
    at_ratio = funding.check_subsidy(D("6000000.00"), TB, D("20000000.00"), MEASURES, False, "s")
    assert at_ratio == []
    a_cent_more = funding.check_subsidy(D("6000000.01"), TB, D("20000000.00"), MEASURES, False, "s")
    assert rules(a_cent_more) == ["R-FUND-RATIO-CAP"]
    # Emergency: no ratio, but never more than T, even case by case.
    assert (
        funding.check_subsidy(D("2000000.00"), EMERGENCY, D("2000000.00"), MEASURES, False, "s")
        == []
    )
    beyond_t = funding.check_subsidy(
        D("2000000.01"), EMERGENCY, D("2000000.00"), MEASURES, True, "s"
    )
    assert rules(beyond_t) == ["R-FUND-RATIO-CAP"]
    assert rules(
        funding.check_subsidy(D("10000000.01"), EMERGENCY, D("3e7"), MEASURES, False, "s")
    ) == ["R-FUND-ABS-CAP"]


def test_the_first_tranche_of_the_measures_example() -> None:
    first, applied = funding.first_tranche(D("1000000.00"), D("1000000.00"), D("3000000.00"))
    assert first == D("333333.33")  # rounded down, never up
    assert funding.final_tranche(D("1000000.00"), first) == D("666666.67")
    assert applied.rule == "R-DISB-FIRST-RATIO"
    assert applied.figures["first_tranche"] == first


def test_a_first_payment_outside_the_agreement_is_refused() -> None:
    with pytest.raises(ValueError, match="first payment"):
        funding.first_tranche(D("1.00"), D("3.01"), D("3.00"))
    with pytest.raises(ValueError, match="first payment"):
        funding.first_tranche(D("1.00"), D("1.00"), D("0"))


cents = st.integers(min_value=0, max_value=10**14).map(lambda n: D(n).scaleb(-2))


agreement_and_first = st.integers(min_value=1, max_value=10**14).flatmap(
    lambda a: st.tuples(st.just(a), st.integers(min_value=0, max_value=a))
)


@given(s=cents, a_p1=agreement_and_first)
def test_the_tranches_add_up_to_the_subsidy_to_the_cent(s: Decimal, a_p1: tuple[int, int]) -> None:
    a, p1 = (D(n).scaleb(-2) for n in a_p1)
    first, _ = funding.first_tranche(s, p1, a)
    final = funding.final_tranche(s, first)
    assert D(0) <= first <= s
    assert first + final == s
    assert first.as_tuple().exponent == -2
    assert final == final.quantize(D("0.01"))


def test_the_calculator_takes_the_ceiling_and_its_tranches() -> None:
    found = funding.calculate(
        TB,
        total_rd_investment=D("20000000.00"),
        agreement_amount=D("6000000.00"),
        caps=MEASURES,
        first_payment=D("2000000.00"),
    )
    assert (found.subsidy, found.first_tranche, found.final_tranche) == (
        D("6000000.00"),
        D("2000000.00"),
        D("4000000.00"),
    )
    emergency = funding.calculate(
        EMERGENCY,
        total_rd_investment=D("2000000.00"),
        agreement_amount=D("0"),
        caps=MEASURES,
        requested_subsidy=D("2500000.00"),
        first_payment=D("0"),
    )
    assert emergency.first_tranche is None  # the funding decision sets it
    assert rules(emergency.violations) == ["R-FUND-RATIO-CAP"]  # S > T


FUNDING_CODE = [
    Path(__file__).resolve().parents[2] / "src" / "jiebang_api" / part
    for part in (
        "agreements/subsidy.py",
        "projects/funding.py",
        "projects/calculator.py",
        "projects/decisions.py",
        "projects/payments.py",
        "projects/disbursements.py",
        "api/v1/funding.py",
        "api/v1/schemas/funding.py",
    )
]


@pytest.mark.parametrize("path", FUNDING_CODE, ids=lambda p: p.name)
def test_no_float_in_the_money_code(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    floats = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and node.id == "float")
        or (isinstance(node, ast.Constant) and isinstance(node.value, float))
    ]
    assert floats == []


def test_the_float_scan_sees_a_float() -> None:
    tree = ast.parse("x = float(y) * 0.3")
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "float"]
    assert found
