"""The eligibility engine: for every rule a passing and a failing case, citing rule and
article (as the measures state them: 第四条（一）/（二）, 第六条（三）, 第九条（四）…); and a
property over random ownership trees for R-ELIG-NOT-SUBSIDIARY."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiebang_api.applications.eligibility import (
    Application,
    Declarations,
    Member,
    Party,
    Period,
    Plan,
    evaluate,
    evaluate_parties,
)
from jiebang_api.applications.workflow import (
    ConsortiumAnswer,
    ConsortiumConsent,
    answered,
    invite,
    members_of,
    unaccepted,
)
from jiebang_api.kit.errors import InvalidTransition
from jiebang_api.listings.enums import ListingKind

TB, AT, EM = ListingKind.TECH_BREAKTHROUGH, ListingKind.ACHIEVEMENT_TRANSFER, ListingKind.EMERGENCY
ON = date(2026, 6, 1)


def party(name: str, type_: str = "enterprise", **overrides: object) -> Party:
    values: dict[str, object] = {"in_region": True, "identity_verified": True, **overrides}
    return Party(org_id=uuid.uuid4(), name=name, type=type_, **values)  # type: ignore[arg-type]


PROPOSER = party("发榜企业")
AT_PROPOSER = party("成果大学", "university")
GOOD_PLAN = Plan(
    approach="晶界扩散 + 中试验证", milestones=3, team=5, budget_total=Decimal("1500000.00")
)
GOOD_DECLARATIONS = Declarations(True, True, True, "区内整车企业渠道")


def tb(**overrides: object) -> Application:
    values: dict[str, object] = {
        "kind": TB,
        "proposer": PROPOSER,
        "lead": party("揭榜大学", "university"),
        "lead_budget_share": Decimal("60"),
        "plan": GOOD_PLAN,
        "on": ON,
    }
    return Application(**{**values, **overrides})  # type: ignore[arg-type]


def at(**overrides: object) -> Application:
    values: dict[str, object] = {
        "kind": AT,
        "proposer": AT_PROPOSER,
        "lead": party("区内企业"),
        "lead_budget_share": Decimal("70"),
        "declarations": GOOD_DECLARATIONS,
        "plan": GOOD_PLAN,
        "on": ON,
    }
    return Application(**{**values, **overrides})  # type: ignore[arg-type]


def em(**overrides: object) -> Application:
    values: dict[str, object] = {
        "kind": EM,
        "proposer": None,
        "lead": party("任何单位", "other"),
        "lead_budget_share": Decimal("100"),
        "plan": GOOD_PLAN,
        "on": ON,
    }
    return Application(**{**values, **overrides})  # type: ignore[arg-type]


def member(p: Party, share: str = "20") -> Member:
    return Member(p, Decimal(share))


def cited(findings: tuple[object, ...]) -> set[tuple[str, str]]:
    return {(f.rule, f.article) for f in findings}  # type: ignore[attr-defined]


subsidiary = party("发榜企业子公司", ancestors=(uuid.uuid4(), PROPOSER.org_id))
GRANDCHILD = party("孙公司", ancestors=(subsidiary.org_id, PROPOSER.org_id))

# rule, article, an application that passes it, one that fails it
CASES: list[tuple[str, str, Callable[[], Application], Callable[[], Application]]] = [
    ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）", tb, lambda: tb(lead=party("服务机构", "agency"))),
    (
        "R-ELIG-TB-SOLVER-TYPE",
        "第四条（一）",
        lambda: tb(members=(member(party("联合体", "consortium")),)),
        lambda: tb(members=(member(party("其他", "other")),)),
    ),
    # 第四条（一）: "由科技兴蒙“4+8+N”合作主体或…进行揭榜攻关" — a partner of any type.
    (
        "R-ELIG-TB-SOLVER-TYPE",
        "第四条（一）",
        lambda: tb(members=(member(party("伙伴", "other", partner_4_8_n=True)),)),
        lambda: tb(members=(member(party("非伙伴", "other")),)),
    ),
    ("R-ELIG-NOT-SUBSIDIARY", "第四条（一）", tb, lambda: tb(lead=PROPOSER)),
    ("R-ELIG-NOT-SUBSIDIARY", "第四条（一）", tb, lambda: tb(members=(member(GRANDCHILD),))),
    # 第四条（二）: achievement transfers, "（不包括发榜企业下属单位）" in their own paragraph.
    (
        "R-ELIG-NOT-SUBSIDIARY",
        "第四条（二）",
        at,
        lambda: at(lead=party("子公司", ancestors=(AT_PROPOSER.org_id,))),
    ),  # type: ignore[union-attr]
    (
        "R-ELIG-AT-SOLVER-ENTERPRISE",
        "第四条（二）",
        at,
        lambda: at(lead=party("大学", "university")),
    ),
    (
        "R-ELIG-AT-SOLVER-ENTERPRISE",
        "第四条（二）",
        at,
        lambda: at(lead=party("区外企业", in_region=False)),
    ),
    ("R-ELIG-TB-PLAN", "第六条（一）", tb, lambda: tb(plan=replace(GOOD_PLAN, approach="  "))),
    ("R-ELIG-TB-PLAN", "第六条（一）", tb, lambda: tb(plan=replace(GOOD_PLAN, milestones=0))),
    ("R-ELIG-TB-TEAM", "第六条（二）", tb, lambda: tb(plan=replace(GOOD_PLAN, team=0))),
    # 第九条（四）: every unit that applies "填报实施方案", whatever the kind.
    ("R-APP-PLAN", "第九条（四）", tb, lambda: tb(plan=replace(GOOD_PLAN, budget_total=None))),
    # A reading of 第九条（四）"实施方案": a budget of 0 is no budget.
    (
        "R-APP-PLAN",
        "第九条（四）",
        lambda: tb(plan=replace(GOOD_PLAN, budget_total=Decimal("0.01"))),
        lambda: tb(plan=replace(GOOD_PLAN, budget_total=Decimal("0"))),
    ),
    ("R-APP-PLAN", "第九条（四）", at, lambda: at(plan=Plan())),
    ("R-APP-PLAN", "第九条（四）", at, lambda: at(plan=replace(GOOD_PLAN, milestones=0))),
    ("R-APP-PLAN", "第九条（四）", em, lambda: em(plan=replace(GOOD_PLAN, approach=" "))),
    ("R-APP-PLAN", "第九条（四）", em, lambda: em(plan=replace(GOOD_PLAN, team=0))),
    (
        "R-ELIG-AT-DEMAND-TEAM",
        "第八条（一）",
        at,
        lambda: at(declarations=replace(GOOD_DECLARATIONS, has_transfer_team=False)),
    ),
    (
        "R-ELIG-AT-DEMAND-RESOURCES",
        "第八条（二）",
        at,
        lambda: at(declarations=replace(GOOD_DECLARATIONS, can_provide_funds=False)),
    ),
    (
        "R-ELIG-AT-DEMAND-RESOURCES",
        "第八条（二）",
        at,
        lambda: at(declarations=replace(GOOD_DECLARATIONS, can_provide_site=False)),
    ),
    (
        "R-ELIG-AT-DEMAND-RESOURCES",
        "第八条（二）",
        at,
        lambda: at(declarations=replace(GOOD_DECLARATIONS, market_channels="")),
    ),
    (
        "R-ELIG-NO-DISHONESTY",
        "第十五条",
        lambda: tb(
            lead=party(
                "已修复信用",
                "university",
                dishonesty=(Period(date(2025, 1, 1), date(2026, 5, 31)),),
            )
        ),
        lambda: tb(
            lead=party("失信大学", "university", dishonesty=(Period(date(2025, 1, 1), None),))
        ),
    ),
    (
        "R-ELIG-NO-DISHONESTY",
        "第十五条",
        lambda: tb(
            members=(member(party("未来记录", dishonesty=(Period(date(2026, 6, 2), None),))),)
        ),
        lambda: tb(
            members=(
                member(party("当日有效", dishonesty=(Period(date(2026, 6, 1), date(2026, 6, 1)),))),
            )
        ),
    ),
    (
        "R-ELIG-NO-DISHONESTY",
        "第十五条",
        tb,
        lambda: tb(proposer=replace(PROPOSER, dishonesty=(Period(date(2026, 1, 1), None),))),
    ),
]


@pytest.mark.parametrize(
    ("rule", "article", "passing", "failing"),
    CASES,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)],
)
def test_each_blocking_rule(
    rule: str, article: str, passing: Callable[[], Application], failing: Callable[[], Application]
) -> None:
    good, bad = evaluate(passing()), evaluate(failing())
    assert good.eligible, good.violations
    assert not bad.eligible
    assert (rule, article) in cited(bad.violations)
    assert (rule, article) not in cited(good.violations)
    assert all(f.message_zh and f.message_en and f.org_id for f in bad.violations)


def test_emergency_applications_check_the_plan_and_integrity_only() -> None:
    app = em()
    assert evaluate(app).eligible
    dishonest = replace(
        app, lead=party("失信", "other", dishonesty=(Period(date(2026, 1, 1), None),))
    )
    assert cited(evaluate(dishonest).violations) == {("R-ELIG-NO-DISHONESTY", "第十五条")}
    assert {f.rule for f in evaluate(em(plan=Plan())).violations} == {"R-APP-PLAN"}


def test_an_achievement_transfer_without_a_plan_is_refused() -> None:
    """第九条（四）: the plan is not only the technology breakthrough's (第六条（一）)."""
    report = evaluate(at(plan=Plan()))
    assert not report.eligible
    assert cited(report.violations) == {("R-APP-PLAN", "第九条（四）")}
    assert {f.field for f in report.violations} == {
        "plan.approach",
        "plan.milestones",
        "plan.budget_total",
        "plan.team",
    }


LED = ("R-ELIG-AT-ENTERPRISE-LED", "第四条（二）")


@pytest.mark.parametrize(
    ("lead", "others", "warns"),
    [
        # 第四条（二）"应以企业为主": the enterprises together against the universities and
        # institutes together.
        ("30", [("university", "20"), ("research_institute", "15"), ("enterprise", "35")], False),
        ("40", [("university", "35"), ("research_institute", "25")], True),
        ("30", [("university", "30"), ("enterprise", "40")], False),
        ("50", [("university", "50")], False),
        ("49", [("university", "51")], True),
        ("100", [], False),
    ],
)
def test_enterprise_led_compares_enterprises_with_research_together(
    lead: str, others: list[tuple[str, str]], warns: bool
) -> None:
    members = tuple(member(party(f"成员{n}", t), share) for n, (t, share) in enumerate(others))
    report = evaluate(at(lead_budget_share=Decimal(lead), members=members))
    assert report.eligible, "a warning never blocks"
    assert (LED in cited(report.warnings)) is warns


PRIORITY = ("R-ELIG-PRIORITY", "第六条（三）")


@pytest.mark.parametrize(
    ("make", "flags", "verified", "priority", "warning"),
    [
        (tb, {}, frozenset(), False, False),
        # 第六条（三）"鼓励与自治区人民政府签署了战略合作协议的合作主体揭榜攻关": the
        # agreement, not being a 4+8+N partner, and only on technology breakthroughs.
        (tb, {"partner_4_8_n": True}, frozenset({"partner_4_8_n"}), False, False),
        (tb, {"strategic_agreement": True}, frozenset({"strategic_agreement"}), True, False),
        (tb, {"strategic_agreement": True}, frozenset(), True, True),
        (at, {"strategic_agreement": True}, frozenset({"strategic_agreement"}), False, False),
        (em, {"strategic_agreement": True}, frozenset({"strategic_agreement"}), False, False),
    ],
    ids=["none", "partner-tb", "agreement-tb", "unverified-tb", "agreement-at", "agreement-em"],
)
def test_priority_only_for_strategic_agreements_on_tech_breakthroughs(
    make: Callable[..., Application],
    flags: dict[str, bool],
    verified: frozenset[str],
    priority: bool,
    warning: bool,
) -> None:
    kind_of_lead = "enterprise" if make is at else "university"
    lead = party("申请单位", kind_of_lead, verified_flags=verified, **flags)
    report = evaluate(make(lead=lead))
    assert report.eligible
    assert (PRIORITY in cited(report.priorities)) is priority
    assert (PRIORITY in cited(report.warnings)) is warning
    assert all(f.rule == "R-ELIG-PRIORITY" for f in report.priorities)


SOLVER = ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）")


@pytest.mark.parametrize(
    ("lead", "warns"),
    [
        # 第四条（一）"科技型企业": a verified technology-based enterprise, or a verified
        # high-tech one (高新技术企业 is a narrower kind of 科技型企业).
        (party("科技型企业", tech_based=True, verified_flags=frozenset({"tech_based"})), False),
        (party("高新企业", high_tech=True, verified_flags=frozenset({"high_tech"})), False),
        # Declared but not verified, or verified as not being one: for the reviewers.
        (party("自称科技型", tech_based=True), True),
        (party("自称高新", high_tech=True), True),
        (party("核验为否", verified_flags=frozenset({"tech_based", "high_tech"})), True),
        # An enterprise not known to be one is for the reviewers.
        (party("普通企业"), True),
        (party("伙伴企业", partner_4_8_n=True, verified_flags=frozenset({"partner_4_8_n"})), False),
        (party("伙伴机构", "other", partner_4_8_n=True), True),  # a self-declared partner
        (
            party(
                "伙伴机构", "other", partner_4_8_n=True, verified_flags=frozenset({"partner_4_8_n"})
            ),
            False,
        ),
    ],
)
def test_tech_breakthrough_solver_type_warnings(lead: Party, warns: bool) -> None:
    report = evaluate(tb(lead=lead))
    assert report.eligible
    assert (SOLVER in cited(report.warnings)) is warns
    member_report = evaluate(tb(members=(member(lead),)))
    assert (SOLVER in cited(member_report.warnings)) is warns, "each member too"


@pytest.mark.parametrize(
    ("budget", "passes"),
    [(Decimal("1500000.00"), True), (Decimal("0.01"), True), (Decimal("0"), False), (None, False)],
)
def test_a_plan_needs_a_budget_above_0(budget: Decimal | None, passes: bool) -> None:
    """R-APP-PLAN (第九条（四）), read: a budget of 0 is no budget."""
    for make in (tb, at, em):
        report = evaluate(make(plan=replace(GOOD_PLAN, budget_total=budget)))
        assert report.eligible is passes
        if not passes:
            assert {(f.rule, f.article, f.field) for f in report.violations} == {
                ("R-APP-PLAN", "第九条（四）", "plan.budget_total")
            }


def test_the_dry_run_leaves_out_plan_and_declarations() -> None:
    report = evaluate_parties(at(plan=Plan(), declarations=Declarations()))
    assert report.eligible
    assert cited(evaluate_parties(at(lead=AT_PROPOSER)).violations) == {
        ("R-ELIG-NOT-SUBSIDIARY", "第四条（二）"),
        ("R-ELIG-AT-SOLVER-ENTERPRISE", "第四条（二）"),
    }


def test_an_unverified_registration_warns_but_does_not_block() -> None:
    report = evaluate(tb(lead=party("未核验大学", "university", identity_verified=False)))
    assert report.eligible
    assert ("R-ELIG-TB-SOLVER-TYPE", "第四条（一）") in cited(report.warnings)


def test_all_violations_come_together() -> None:
    app = tb(lead=PROPOSER, plan=Plan(), members=(member(party("机构", "agency")),))
    rules = {f.rule for f in evaluate(app).violations}
    assert rules == {
        "R-ELIG-NOT-SUBSIDIARY",
        "R-ELIG-TB-SOLVER-TYPE",
        "R-APP-PLAN",
        "R-ELIG-TB-PLAN",
        "R-ELIG-TB-TEAM",
    }


# --- property: R-ELIG-NOT-SUBSIDIARY over random ownership forests ------------------------


@st.composite
def forests(draw: st.DrawFn) -> tuple[list[uuid.UUID], dict[uuid.UUID, uuid.UUID | None]]:
    """Up to 12 organisations; each one's parent (if any) is an earlier one (no cycles)."""
    count = draw(st.integers(min_value=2, max_value=12))
    ids = [uuid.UUID(int=n + 1) for n in range(count)]
    parents: dict[uuid.UUID, uuid.UUID | None] = {ids[0]: None}
    for n in range(1, count):
        parents[ids[n]] = draw(st.one_of(st.none(), st.sampled_from(ids[:n])))
    return ids, parents


def ancestors_of(
    org: uuid.UUID, parents: dict[uuid.UUID, uuid.UUID | None]
) -> tuple[uuid.UUID, ...]:
    chain, current = [], parents[org]
    while current is not None:
        chain.append(current)
        current = parents[current]
    return tuple(chain)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), forest=forests(), kind=st.sampled_from([TB, AT]))
def test_not_subsidiary_whatever_the_tree(
    data: st.DataObject,
    forest: tuple[list[uuid.UUID], dict[uuid.UUID, uuid.UUID | None]],
    kind: ListingKind,
) -> None:
    ids, parents = forest
    proposer_id = data.draw(st.sampled_from(ids))
    applicants = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))

    def as_party(org: uuid.UUID) -> Party:
        return Party(
            org,
            f"org{org.int}",
            "enterprise",
            in_region=True,
            identity_verified=True,
            ancestors=ancestors_of(org, parents),
        )

    app = Application(
        kind=kind,
        proposer=as_party(proposer_id),
        lead=as_party(applicants[0]),
        lead_budget_share=Decimal("100"),
        members=tuple(Member(as_party(o), Decimal("0")) for o in applicants[1:]),
        plan=GOOD_PLAN,
        declarations=GOOD_DECLARATIONS,
        on=ON,
    )
    related = any(o == proposer_id or proposer_id in ancestors_of(o, parents) for o in applicants)
    report = evaluate(app)
    flagged = {f.org_id for f in report.violations if f.rule == "R-ELIG-NOT-SUBSIDIARY"}
    if related:
        assert not report.eligible
        assert flagged == {
            o for o in applicants if o == proposer_id or proposer_id in ancestors_of(o, parents)
        }
    else:
        assert flagged == set()
        assert report.eligible


# --- consortium consent (applications.workflow): pure, beside the engine ------------------
#
# The engine evaluates the members whatever they answered; submission also waits for every
# member's acceptance (R-APP-MEMBER-CONSENT), kept on each member entry.


def _entry(org_id: str, share: str, consent: str | None = None) -> dict[str, object]:
    entry: dict[str, object] = {"org_id": org_id, "role": "合作方", "budget_share": share}
    if consent is not None:
        entry |= {"consent": consent, "decided_by": "u", "decided_at": "2027-01-07T03:00:00Z"}
    return entry


def test_an_edit_keeps_an_answer_on_the_same_share_and_invites_afresh_otherwise() -> None:
    kept, moved, new = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    before = [_entry(kept, "20.00", "accepted"), _entry(moved, "30.00", "declined")]
    proposed = [_entry(kept, "20"), _entry(moved, "35"), _entry(new, "5")]
    members, invited = invite(before, proposed)
    assert [(m["org_id"], m["consent"], m["decided_by"]) for m in members] == [
        (kept, "accepted", "u"),  # "20" is "20.00": the same share
        (moved, "invited", None),
        (new, "invited", None),
    ]
    assert invited == [moved, new]
    assert invite([], [])[1] == []


def test_a_member_written_before_invitations_is_unanswered() -> None:
    old, done = str(uuid.uuid4()), str(uuid.uuid4())
    members = [_entry(old, "30.00"), _entry(done, "10.00", "accepted")]
    assert members_of(members)[0]["consent"] == ConsortiumConsent.INVITED
    assert [n for n, _ in unaccepted(members)] == [0]
    assert unaccepted([_entry(done, "10.00", "accepted")]) == []


@pytest.mark.parametrize(
    ("before", "answer", "after"),
    [
        ("invited", "accept", "accepted"),
        ("invited", "decline", "declined"),
        ("accepted", "decline", "declined"),  # taken back while a draft
        ("accepted", "accept", None),
        ("declined", "accept", None),  # a decline stands until the lead removes the member
        ("declined", "decline", None),
    ],
)
def test_the_answers_open_to_each_state(before: str, answer: str, after: str | None) -> None:
    org = str(uuid.uuid4())
    members = [_entry(org, "30.00", before)]
    reply = ConsortiumAnswer(answer)
    if after is None:
        with pytest.raises(InvalidTransition):
            answered(members, org, reply, by="m", at="2027-01-08T00:00:00Z")
        return
    result, left = answered(members, org, reply, by="m", at="2027-01-08T00:00:00Z")
    assert (left, result[0]["consent"], result[0]["decided_by"]) == (before, after, "m")
