"""An agreement's terms against the measures (Art. 10, 11, 13, 15, 16), with the figures of
the measures themselves: A ≥ 30% T, S ≤ 30% T, S ≤ 10,000,000, 36 / 24 months."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from jiebang_api.agreements import terms
from jiebang_api.agreements.terms import Limits, Terms
from jiebang_api.kit.errors import Violation
from jiebang_api.listings.enums import ListingKind
from jiebang_api.rules.catalogue import RULES_BY_ID

MEASURES = Limits(
    agreement_min_ratio=Decimal("0.30"),
    subsidy_max_ratio=Decimal("0.30"),
    subsidy_cap=Decimal("10000000.00"),
    tech_breakthrough_max_months=36,
    achievement_transfer_max_months=24,
)
# T = 10,000,000; A = 3,000,000 (30%); S = 2,000,000 (20%).
GOOD = Terms(
    kind=ListingKind.TECH_BREAKTHROUGH,
    agreement_amount=Decimal("3000000.00"),
    total_rd_investment=Decimal("10000000.00"),
    requested_subsidy=Decimal("2000000.00"),
    duration_months=36,
    payments=[Decimal("1000000.00"), Decimal("2000000.00")],
    budget_lines=[("key_tech_rd", Decimal("1500000.00")), ("pilot_test", Decimal("500000.00"))],
    ip_ownership="归需求方所有",
    benefit_sharing="按投入比例分配",
)


def rules(found: list[Violation]) -> list[tuple[str | None, str | None]]:
    return [(v.rule, v.article) for v in found]


def test_terms_within_every_rule_pass() -> None:
    found = terms.check(GOOD, MEASURES)
    assert (found.blocking, found.waived) == ([], [])
    assert terms.sums(GOOD) == []


def test_an_agreement_below_30_percent_of_t_is_refused_unless_waived() -> None:
    low = replace(GOOD, agreement_amount=Decimal("2900000.00"), payments=[Decimal("2900000.00")])
    found = terms.check(low, MEASURES)
    assert rules(found.blocking) == [("R-FUND-AGREEMENT-MIN", "第十条")]
    assert "3000000.00" in found.blocking[0].message.en  # 30% of T, to the cent
    waived = terms.check(low, MEASURES, waivers={"R-FUND-AGREEMENT-MIN"})
    assert waived.blocking == []
    assert rules(waived.waived) == [("R-FUND-AGREEMENT-MIN", "第十条")]


def test_exactly_30_percent_passes_and_a_cent_less_does_not() -> None:
    assert terms.check(GOOD, MEASURES).blocking == []
    short = replace(GOOD, agreement_amount=Decimal("2999999.99"))
    assert rules(terms.check(short, MEASURES).blocking) == [("R-FUND-AGREEMENT-MIN", "第十条")]


def test_emergency_agreements_are_not_bound_by_the_30_percent_ratios() -> None:
    # R-FUND-EM-FISCAL (a reading): mainly fiscal funds, so neither A ≥ 30% T nor S ≤ 30% T.
    emergency = replace(
        GOOD,
        kind=ListingKind.EMERGENCY,
        agreement_amount=Decimal("0.00"),
        requested_subsidy=Decimal("9000000.00"),
        duration_months=60,
    )
    assert terms.check(emergency, MEASURES).blocking == []


@pytest.mark.parametrize(
    ("kind", "months", "rule"),
    [
        (ListingKind.TECH_BREAKTHROUGH, 37, "R-TIME-TB-36M"),
        (ListingKind.ACHIEVEMENT_TRANSFER, 25, "R-TIME-AT-24M"),
    ],
)
def test_a_duration_beyond_the_kinds_limit_is_refused_unless_waived(
    kind: ListingKind, months: int, rule: str
) -> None:
    long = replace(GOOD, kind=kind, duration_months=months)
    assert rules(terms.check(long, MEASURES).blocking) == [(rule, "第十六条")]
    assert terms.check(replace(long, duration_months=months - 1), MEASURES).blocking == []
    assert terms.check(long, MEASURES, waivers={rule}).blocking == []


def test_the_caps_are_lifted_only_by_a_case_by_case_decision() -> None:
    # S = 31% of T breaks the ratio cap; 10,000,000.01 breaks the absolute cap too.
    over = replace(GOOD, requested_subsidy=Decimal("3100000.00"))
    assert rules(terms.check(over, MEASURES).blocking) == [("R-FUND-RATIO-CAP", "第十一条")]
    big = replace(
        GOOD,
        total_rd_investment=Decimal("40000000.00"),
        agreement_amount=Decimal("12000000.00"),
        requested_subsidy=Decimal("10000000.01"),
    )
    assert rules(terms.check(big, MEASURES).blocking) == [("R-FUND-ABS-CAP", "第十一条")]
    # A waiver of a cap is not a thing: only the decision lifts it.
    waivers = {"R-FUND-RATIO-CAP", "R-FUND-ABS-CAP"}
    assert terms.check(over, MEASURES, waivers=waivers).blocking != []
    assert terms.check(over, MEASURES, case_by_case=True).blocking == []
    assert terms.check(big, MEASURES, case_by_case=True).blocking == []


def test_no_decision_lifts_s_above_t() -> None:
    above = replace(GOOD, requested_subsidy=Decimal("10000000.01"))
    for case_by_case in (False, True):
        found = terms.check(above, MEASURES, case_by_case=case_by_case).blocking
        assert ("R-FUND-RATIO-CAP", "第十一条") in rules(found)
        assert any("never exceed" in v.message.en for v in found)


def test_budget_lines_use_only_the_five_uses_of_article_13() -> None:
    lines = [("key_tech_rd", Decimal("1000000.00")), ("equipment", Decimal("1000000.00"))]
    found = terms.check(replace(GOOD, budget_lines=lines), MEASURES).blocking
    assert [(v.rule, v.field) for v in found] == [("R-FUND-USE", "body.budget_lines.1.category")]


def test_ip_ownership_and_benefit_sharing_must_be_settled() -> None:
    found = terms.check(replace(GOOD, ip_ownership="  ", benefit_sharing=""), MEASURES).blocking
    assert [(v.rule, v.field) for v in found] == [
        ("R-AGR-IP-TERMS", "body.ip_ownership"),
        ("R-AGR-IP-TERMS", "body.benefit_sharing"),
    ]


def test_the_schedule_and_the_budget_add_up() -> None:
    off = replace(GOOD, payments=[Decimal("2999999.99")], budget_lines=[("pilot_test", Decimal(1))])
    assert [v.field for v in terms.sums(off)] == ["body.payment_schedule", "body.budget_lines"]


def test_only_the_in_principle_rules_of_an_agreement_are_waivable_here() -> None:
    waivable = terms.WAIVABLE
    assert waivable == {"R-FUND-AGREEMENT-MIN", "R-TIME-TB-36M", "R-TIME-AT-24M"}
    assert all(RULES_BY_ID[rule].waivable for rule in terms.WAIVABLE)
