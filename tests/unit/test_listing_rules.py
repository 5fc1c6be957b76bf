"""The listing workflow table and the proposer rules, each with passing and failing cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from jiebang_api.kit.errors import InvalidTransition
from jiebang_api.listings import rules, workflow
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingAction as A
from jiebang_api.listings.workflow import ListingStatus as S

TB, AT, EM = ListingKind.TECH_BREAKTHROUGH, ListingKind.ACHIEVEMENT_TRANSFER, ListingKind.EMERGENCY

HAPPY_PATH = [
    (S.DRAFT, A.SUBMIT, S.SUBMITTED),
    (S.SUBMITTED, A.SCREEN_PASS, S.UNDER_ASSESSMENT),
    (S.UNDER_ASSESSMENT, A.APPROVE, S.APPROVED),
    (S.APPROVED, A.CONFIRM, S.CONFIRMED),
    (S.CONFIRMED, A.PUBLISH, S.PUBLISHED),
    (S.PUBLISHED, A.CLOSE, S.CLOSED),
]


@pytest.mark.parametrize(("state", "action", "after"), HAPPY_PATH)
@pytest.mark.parametrize("kind", [TB, AT, EM])
def test_the_ordinary_path(kind: ListingKind, state: S, action: A, after: S) -> None:
    assert workflow.machine(kind).next_state(state, action) is after


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.APPROVED, A.PUBLISH),  # R-WF-PUBLISH-JOINT: not before the proposer confirms
        (S.DRAFT, A.APPROVE),
        (S.DRAFT, A.PUBLISH),
        (S.PUBLISHED, A.WITHDRAW),
        (S.CLOSED, A.CANCEL),
        (S.REJECTED, A.SUBMIT),
        (S.SUBMITTED, A.CONFIRM),
    ],
)
def test_ordinary_listings_refuse(state: S, action: A) -> None:
    with pytest.raises(InvalidTransition) as caught:
        workflow.machine(TB).next_state(state, action)
    assert caught.value.state == state.value
    assert list(caught.value.allowed) == workflow.ORDINARY.allowed_operations(state)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [(S.DRAFT, A.APPROVE, S.APPROVED), (S.APPROVED, A.PUBLISH, S.PUBLISHED)],
)
def test_emergency_shortcuts(state: S, action: A, after: S) -> None:
    """R-WF-EM-SIMPLIFIED: only emergency listings may skip, and the skips are named."""
    assert workflow.machine(EM).next_state(state, action) is after
    assert workflow.SKIPPED_BY_SHORTCUT[(state, action)]
    with pytest.raises(InvalidTransition):
        workflow.machine(TB).next_state(state, action)


@pytest.mark.parametrize(
    ("kind", "state", "awaits"),
    [
        # 第九条（三）"会同申报单位研究确定": the proposer's confirmation comes first.
        (TB, S.APPROVED, True),
        (AT, S.UNDER_ASSESSMENT, True),
        (TB, S.DRAFT, True),
        (TB, S.CONFIRMED, False),
        (TB, S.PUBLISHED, False),
        (TB, S.WITHDRAWN, False),
        # R-WF-EM-SIMPLIFIED: the department's own listing needs no confirmation.
        (EM, S.APPROVED, False),
    ],
)
def test_which_states_still_await_the_proposers_confirmation(
    kind: ListingKind, state: S, awaits: bool
) -> None:
    assert workflow.awaits_confirmation(kind, state) is awaits
    if awaits:
        assert not workflow.machine(kind).can(state, A.PUBLISH)


def test_terminal_states_allow_nothing() -> None:
    for state in (S.FAILED, S.REJECTED, S.WITHDRAWN, S.CANCELLED):
        assert workflow.ORDINARY.allowed_actions(state) == []


def test_a_closed_listing_fails_only_through_the_review_and_offers_no_operation() -> None:
    # 流榜 (R-WF-RECOMMEND-JOINT): the confirmed recommendation is empty; no client operation
    # fails a listing, so a closed listing offers none.
    for kind in ListingKind:
        assert workflow.machine(kind).next_state(S.CLOSED, A.FAIL) is S.FAILED
        assert workflow.machine(kind).allowed_operations(S.CLOSED) == []
    assert not workflow.ORDINARY.can(S.PUBLISHED, A.FAIL)


def test_an_edit_of_confirmed_text_clears_the_confirmation() -> None:
    assert workflow.after_edit(S.CONFIRMED) is S.APPROVED
    assert workflow.after_edit(S.DRAFT) is S.DRAFT


def test_an_ended_window_reads_as_closed() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert workflow.effective_status(S.PUBLISHED, now, now) is S.CLOSED
    assert workflow.effective_status(S.PUBLISHED, now + timedelta(seconds=1), now) is S.PUBLISHED
    assert workflow.effective_status(S.CONFIRMED, now - timedelta(days=1), now) is S.CONFIRMED


PROPOSER = rules.ProposerFacts(
    name="内蒙古甲稀土有限公司",
    type="enterprise",
    in_region=True,
    independent_legal_person=True,
    central_enterprise_branch=False,
    pays_tax_in_region=False,
    high_tech=True,
    verified_flags=frozenset({"independent_legal_person", "high_tech"}),
    active_dishonesty=False,
)
COMPLETE: dict[str, Any] = {
    "title": "稀土永磁",
    "industry": "新材料",
    "background": "背景",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": Decimal("15000000.00"),
    "demand_requirements": "需求方要求",
    "supply_requirements": "揭榜方要求",
    "ip_ownership": "共有",
    "benefit_sharing": "按比例",
    "transfer_content": "转化内容",
    "transfer_form": "许可",
    "application_direction": "新能源汽车驱动电机",
    "industrial_effect": "带动稀土永磁产业升级",
    "transfer_service": "技术转移中心团队",
    "ip_records": [
        {
            "kind": "invention_patent",
            "number": "ZL1",
            "title": "专利",
            "holder": "内蒙古甲稀土有限公司",
        }
    ],
}


def rule_ids(report: rules.Report) -> set[tuple[str | None, str | None]]:
    return {(v.rule, v.article) for v in report.violations}


def test_a_complete_tech_breakthrough_listing_passes() -> None:
    report = rules.evaluate_submission(TB, COMPLETE, PROPOSER)
    assert report.passed
    assert report.warnings == []


@pytest.mark.parametrize("missing", sorted(rules.COMMON_FIELDS))
def test_every_required_field_is_cited(missing: str) -> None:
    report = rules.evaluate_submission(TB, {**COMPLETE, missing: None}, PROPOSER)
    assert ("R-LIST-FIELDS", "第九条（一）") in rule_ids(report)
    assert f"listing.{missing}" in {v.field for v in report.violations}


def test_the_industry_is_required_by_article_3() -> None:
    """第三条: listings "须聚焦自治区重点产业、重点领域", so each names its industry."""
    assert "industry" not in rules.COMMON_FIELDS
    for report in (
        rules.evaluate_submission(TB, {**COMPLETE, "industry": ""}, PROPOSER),
        rules.evaluate_publication(EM, {**COMPLETE, "industry": None}),
    ):
        assert {(v.rule, v.article, v.field) for v in report.violations} == {
            ("R-LIST-FIELDS", "第三条", "listing.industry")
        }
    assert rules.evaluate_submission(TB, COMPLETE, PROPOSER).passed


def test_key_technologies_need_metrics() -> None:
    techs = [{"name": "甲", "target_metrics": ""}]
    assert not rules.evaluate_submission(
        TB, {**COMPLETE, "key_technologies": techs}, PROPOSER
    ).passed


@pytest.mark.parametrize(
    ("changes", "passes"),
    [
        ({}, True),
        (
            {
                "central_enterprise_branch": True,
                "pays_tax_in_region": True,
                "in_region": False,
                "independent_legal_person": False,
            },
            True,
        ),
        ({"in_region": False}, False),
        ({"independent_legal_person": False}, False),
        ({"type": "university"}, False),
        (
            {
                "central_enterprise_branch": True,
                "in_region": False,
                "independent_legal_person": False,
            },
            False,
        ),
    ],
)
def test_tech_breakthrough_proposer(changes: dict[str, Any], passes: bool) -> None:
    report = rules.evaluate_submission(TB, COMPLETE, replace(PROPOSER, **changes))
    assert report.passed is passes
    if not passes:
        assert ("R-ELIG-TB-PROPOSER", "第五条") in rule_ids(report)


def test_unverified_flags_warn_and_scale_is_a_finding_for_assessors() -> None:
    proposer = replace(PROPOSER, verified_flags=frozenset(), high_tech=False)
    report = rules.evaluate_submission(TB, COMPLETE, proposer)
    assert report.passed
    assert {w.rule for w in report.warnings} == {"R-ELIG-TB-PROPOSER", "R-ELIG-TB-PROPOSER-SCALE"}


SCALE = ("R-ELIG-TB-PROPOSER-SCALE", "第五条（一）")
BOTH_VERIFIED = frozenset({"independent_legal_person", "high_tech", "large_influential"})


@pytest.mark.parametrize(
    ("large", "high_tech", "verified", "warns"),
    [
        # 第五条（一）"有较大影响和规模的企业或高新技术企业": either one is enough.
        (True, False, BOTH_VERIFIED, False),
        (False, True, BOTH_VERIFIED, False),
        (True, True, BOTH_VERIFIED, False),
        (False, False, BOTH_VERIFIED, True),
        (True, False, frozenset({"independent_legal_person"}), True),  # only self-declared
    ],
)
def test_proposer_scale_warns_only_when_neither_large_nor_high_tech(
    large: bool, high_tech: bool, verified: frozenset[str], warns: bool
) -> None:
    proposer = replace(
        PROPOSER, large_influential=large, high_tech=high_tech, verified_flags=verified
    )
    report = rules.evaluate_submission(TB, COMPLETE, proposer)
    assert report.passed, "a warning, never a block"
    assert (SCALE in {(w.rule, w.article) for w in report.warnings}) is warns


@pytest.mark.parametrize(
    ("proposer_type", "passes"),
    [
        ("university", True),
        ("research_institute", True),
        ("enterprise", True),
        ("agency", False),
        ("other", False),
    ],
)
def test_achievement_transfer_proposer_type(proposer_type: str, passes: bool) -> None:
    holder = replace(PROPOSER, type=proposer_type)
    report = rules.evaluate_submission(AT, COMPLETE, holder)
    assert report.passed is passes
    if not passes:
        # 第四条（二）: "“4+8+N”合作主体…或国内外其他拥有自主知识产权的高校、科研机构、科技型企业".
        assert ("R-ELIG-AT-PROPOSER-TYPE", "第四条（二）") in rule_ids(report)


AT_TYPE = ("R-ELIG-AT-PROPOSER-TYPE", "第四条（二）")


@pytest.mark.parametrize(
    ("tech_based", "high_tech", "verified", "warns"),
    [
        # 第四条（二）"拥有自主知识产权的…科技型企业": a verified technology-based enterprise, or
        # a verified high-tech one (高新技术企业 is a narrower kind of 科技型企业).
        (True, False, frozenset({"tech_based"}), False),
        (False, True, frozenset({"high_tech"}), False),
        (True, True, frozenset({"high_tech"}), False),
        # Only declared, verified as not being one, or nothing known: for the assessors.
        (True, False, frozenset(), True),
        (False, True, frozenset(), True),
        (False, False, frozenset({"tech_based", "high_tech"}), True),
        (False, False, frozenset(), True),
    ],
)
def test_an_enterprise_offering_an_achievement_is_technology_based(
    tech_based: bool, high_tech: bool, verified: frozenset[str], warns: bool
) -> None:
    holder = replace(PROPOSER, tech_based=tech_based, high_tech=high_tech, verified_flags=verified)
    report = rules.evaluate_submission(AT, COMPLETE, holder)
    assert report.passed, "a warning for assessors, never a block"
    assert (AT_TYPE in {(w.rule, w.article) for w in report.warnings}) is warns
    university = rules.evaluate_submission(AT, COMPLETE, replace(holder, type="university"))
    assert AT_TYPE not in {(w.rule, w.article) for w in university.warnings}


@pytest.mark.parametrize("proposer_type", ["other", "agency", "consortium"])
def test_a_4_8_n_partner_of_any_type_may_offer_an_achievement(proposer_type: str) -> None:
    partner = replace(
        PROPOSER,
        type=proposer_type,
        partner_4_8_n=True,
        verified_flags=PROPOSER.verified_flags | {"partner_4_8_n"},
    )
    report = rules.evaluate_submission(AT, COMPLETE, partner)
    assert report.passed
    assert "R-ELIG-AT-PROPOSER-TYPE" not in {w.rule for w in report.warnings}
    unverified = rules.evaluate_submission(
        AT, COMPLETE, replace(partner, verified_flags=frozenset())
    )
    assert unverified.passed
    assert ("R-ELIG-AT-PROPOSER-TYPE", "第四条（二）") in {
        (w.rule, w.article) for w in unverified.warnings
    }


@pytest.mark.parametrize(
    ("records", "passes"),
    [
        (COMPLETE["ip_records"], True),
        ([{**COMPLETE["ip_records"][0], "holder": " 内蒙古甲稀土 有限公司 "}], True),
        ([], False),
        ([{**COMPLETE["ip_records"][0], "holder": "别人的公司"}], False),
    ],
)
def test_achievement_transfer_needs_own_ip(records: list[dict[str, Any]], passes: bool) -> None:
    report = rules.evaluate_submission(AT, {**COMPLETE, "ip_records": records}, PROPOSER)
    assert report.passed is passes
    if not passes:
        assert ("R-ELIG-AT-OWN-IP", "第七条（二）") in rule_ids(report)


@pytest.mark.parametrize(
    ("missing", "rule", "article"),
    [
        # 第九条（一）"成果转化内容与形式": listing content.
        ("transfer_content", "R-LIST-FIELDS", "第九条（一）"),
        ("transfer_form", "R-LIST-FIELDS", "第九条（一）"),
        # 第七条（一）"具有明确的应用方向，能够对自治区产业转型升级发挥关键推动作用".
        ("application_direction", "R-ELIG-AT-LAYOUT", "第七条（一）"),
        ("industrial_effect", "R-ELIG-AT-LAYOUT", "第七条（一）"),
        # 第七条（三）"拥有成果转化的技术服务团队或能够支撑转化的第三方机构".
        ("transfer_service", "R-ELIG-AT-SERVICE-TEAM", "第七条（三）"),
    ],
)
def test_achievement_transfer_content(missing: str, rule: str, article: str) -> None:
    assert rules.evaluate_submission(AT, COMPLETE, PROPOSER).passed
    report = rules.evaluate_submission(AT, {**COMPLETE, missing: None}, PROPOSER)
    assert (rule, article) in rule_ids(report)
    assert f"listing.{missing}" in {v.field for v in report.violations}
    assert rules.evaluate_submission(TB, {**COMPLETE, missing: None}, PROPOSER).passed
    publication = rules.evaluate_publication(AT, {**COMPLETE, missing: ""})
    assert (rule, article) in rule_ids(publication)


@pytest.mark.parametrize(
    ("investment", "passes"),
    [(Decimal("0.01"), True), (Decimal("0"), False), (Decimal("0.00"), False)],
)
def test_a_total_rd_investment_of_0_is_refused(investment: Decimal, passes: bool) -> None:
    """A reading of 第九条（一）"项目研发总投入": 0 is not an investment."""
    listing = {**COMPLETE, "total_rd_investment": investment}
    for report in (
        rules.evaluate_submission(TB, listing, PROPOSER),
        rules.evaluate_publication(EM, listing),
    ):
        assert report.passed is passes
        if not passes:
            assert ("R-LIST-FIELDS", "第九条（一）") in rule_ids(report)
            assert "listing.total_rd_investment" in {v.field for v in report.violations}


@pytest.mark.parametrize("kind", [TB, AT, EM])
def test_publication_checks_the_content_of_every_kind(kind: ListingKind) -> None:
    assert rules.evaluate_publication(kind, COMPLETE).passed
    title_only = rules.evaluate_publication(kind, {"title": "应急攻关"})
    assert not title_only.passed
    assert ("R-LIST-FIELDS", "第九条（一）") in rule_ids(title_only)
    assert {"listing.background", "listing.total_rd_investment"} <= {
        v.field for v in title_only.violations
    }


def test_publication_checks_the_holder_and_its_ip_again() -> None:
    """The department may edit the IP records until publication: R-ELIG-AT-OWN-IP (第七条（二）)
    and R-ELIG-AT-PROPOSER-TYPE (第四条（二）) are evaluated again before publication."""
    assert rules.evaluate_publication(AT, COMPLETE, PROPOSER).passed
    foreign = [{**COMPLETE["ip_records"][0], "holder": "别人的公司"}]
    report = rules.evaluate_publication(AT, {**COMPLETE, "ip_records": foreign}, PROPOSER)
    assert rule_ids(report) == {("R-ELIG-AT-OWN-IP", "第七条（二）")}
    agency = rules.evaluate_publication(AT, COMPLETE, replace(PROPOSER, type="agency"))
    assert rule_ids(agency) == {AT_TYPE}
    # A technology breakthrough's proposer rules rest on no editable text: not again.
    assert rules.evaluate_publication(TB, COMPLETE, replace(PROPOSER, type="university")).passed
    assert sorted(rules.RECHECKED_AT_PUBLICATION) == [
        "R-ELIG-AT-OWN-IP",
        "R-ELIG-AT-PROPOSER-TYPE",
        "R-TIME-AT-24M",
        "R-TIME-TB-36M",
    ]


@pytest.mark.parametrize(
    ("kind", "months", "warns"), [(TB, 37, True), (TB, 36, False), (AT, 25, True), (EM, 99, False)]
)
def test_publication_warns_of_a_long_time_requirement_again(
    kind: ListingKind, months: int, warns: bool
) -> None:
    listing = {**COMPLETE, "time_requirement_months": months}
    report = rules.evaluate_publication(kind, listing, PROPOSER, rules.DurationLimits())
    assert report.passed, "a warning for assessors, never a block"
    assert bool({w.rule for w in report.warnings} & {"R-TIME-TB-36M", "R-TIME-AT-24M"}) is warns
    assert all(w.article == "第十六条" for w in report.warnings)


LAYOUT = ("R-ELIG-AT-LAYOUT", "第七条（一）")


@pytest.mark.parametrize(
    ("judgements", "passes"),
    [
        # 第七条（一）"所提出的拟转化成果符合自治区经济社会发展总体布局": the department's
        # assessment judges it, and the latest judgement decides.
        ([True], True),
        ([None, True, None], True),
        ([False, True], True),
        ([], False),
        ([None], False),
        ([True, False], False),
        ([True, False, None], False),
    ],
)
def test_approval_of_an_achievement_transfer_needs_a_layout_judgement(
    judgements: list[bool | None], passes: bool
) -> None:
    found = rules.layout_judged(AT, judgements)
    assert (found == []) is passes
    if not passes:
        assert {(v.rule, v.article) for v in found} == {LAYOUT}
    assert rules.layout_judged(TB, judgements) == []
    assert rules.layout_judged(EM, judgements) == []


@pytest.mark.parametrize(
    ("kind", "months", "rule"),
    [
        # 第十六条: "技术攻关类项目实施周期原则上不超过三年，成果转化类项目原则上不超过二年".
        (TB, 36, None),
        (TB, 37, "R-TIME-TB-36M"),
        (AT, 24, None),
        (AT, 25, "R-TIME-AT-24M"),
        (EM, 120, None),
    ],
)
def test_a_long_time_requirement_warns_assessors(
    kind: ListingKind, months: int, rule: str | None
) -> None:
    listing = {**COMPLETE, "time_requirement_months": months}
    found = {(w.rule, w.article) for w in rules.duration(kind, listing, rules.DurationLimits())}
    assert found == ({(rule, "第十六条")} if rule else set())
    if kind is not EM:
        report = rules.evaluate_submission(kind, listing, PROPOSER)
        assert report.passed, "a warning for assessors, never a block"
        assert (rule in {w.rule for w in report.warnings}) is (rule is not None)


def test_the_duration_limits_follow_the_policy_version() -> None:
    limits = rules.DurationLimits(tech_breakthrough=48, achievement_transfer=24)
    assert rules.duration(TB, {"time_requirement_months": 40}, limits) == []


@pytest.mark.parametrize(("dishonest", "passes"), [(False, True), (True, False)])
def test_no_dishonesty(dishonest: bool, passes: bool) -> None:
    report = rules.evaluate_submission(TB, COMPLETE, replace(PROPOSER, active_dishonesty=dishonest))
    assert report.passed is passes
    if not passes:
        assert ("R-ELIG-NO-DISHONESTY", "第十五条") in rule_ids(report)


def test_all_violations_are_reported_together() -> None:
    proposer = replace(PROPOSER, type="university", active_dishonesty=True)
    report = rules.evaluate_submission(TB, {**COMPLETE, "title": ""}, proposer)
    assert {v.rule for v in report.violations} == {
        "R-LIST-FIELDS",
        "R-ELIG-TB-PROPOSER",
        "R-ELIG-NO-DISHONESTY",
    }
