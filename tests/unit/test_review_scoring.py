"""Review scoring and conflicts of interest (第九条（五）, R-WF-RECOMMEND-JOINT): the sheet, the
scores, the aggregate, the ranking and who may not score whom — pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jiebang_api.kit.errors import Violation
from jiebang_api.listings.enums import ListingKind
from jiebang_api.reviews.conflicts import (
    ConflictReason,
    Organization,
    Party,
    PartyRole,
    conflicts,
)
from jiebang_api.reviews.scoring import (
    Candidate,
    Criterion,
    aggregate,
    check_criteria,
    check_scores,
    default_criteria,
    rank,
    total,
)

D = Decimal
SHEET = (
    Criterion("qualification", "资质条件", "Qualifications", D("40")),
    Criterion("feasibility", "揭榜方案可行性", "Feasibility", D("60")),
)


def _cited(violations: list[Violation]) -> set[tuple[str | None, str | None]]:
    return {(v.rule, v.article) for v in violations}


# --- the sheet -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ListingKind.TECH_BREAKTHROUGH, ListingKind.ACHIEVEMENT_TRANSFER])
def test_the_default_sheet_has_the_two_criteria_of_article_9_5(kind: ListingKind) -> None:
    sheet = default_criteria(kind, D("40"))
    assert sheet is not None
    assert [(c.key, c.max_score) for c in sheet] == [("qualification", 40), ("feasibility", 60)]
    assert check_criteria(sheet) == []


def test_an_achievement_transfer_judges_the_demand_sides_team_and_resources() -> None:
    sheet = default_criteria(ListingKind.ACHIEVEMENT_TRANSFER, D("40"))
    assert sheet is not None
    assert "转化团队" in sheet[0].name_zh
    assert "市场渠道" in sheet[0].name_zh


def test_an_emergency_round_has_no_default_sheet() -> None:
    assert default_criteria(ListingKind.EMERGENCY, D("40")) is None


def test_the_department_may_weigh_the_criteria_otherwise() -> None:
    sheet = default_criteria(ListingKind.TECH_BREAKTHROUGH, D("30"))
    assert sheet is not None
    assert [c.max_score for c in sheet] == [30, 70]


@pytest.mark.parametrize(
    ("sheet", "fields"),
    [
        ((), {"body.criteria"}),
        ((SHEET[0],), {"body.criteria"}),  # adds up to 40
        (
            (SHEET[0], Criterion("qualification", "重复", "again", D("60"))),
            {"body.criteria.0.key", "body.criteria.1.key"},
        ),
    ],
)
def test_a_sheet_that_is_not_out_of_100_is_refused(
    sheet: tuple[Criterion, ...], fields: set[str]
) -> None:
    found = check_criteria(sheet)
    assert {v.field for v in found} == fields
    assert _cited(found) == {(None, None)}  # the service's sheet, not a rule of the measures


# --- an expert's scores -----------------------------------------------------------------------


def test_scores_that_fill_the_sheet_are_taken_and_add_up() -> None:
    scores = {"qualification": D("35.5"), "feasibility": D("60")}
    assert check_scores(SHEET, scores) == []
    assert total(scores) == D("95.5")


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"qualification": D("40.1"), "feasibility": D("1")}, "body.scores.qualification"),
        ({"qualification": D("-1"), "feasibility": D("1")}, "body.scores.qualification"),
        ({"qualification": D("10")}, "body.scores.feasibility"),
        ({"qualification": D("1"), "feasibility": D("1"), "luck": D("1")}, "body.scores.luck"),
    ],
)
def test_scores_outside_the_sheet_are_refused(scores: dict[str, Decimal], field: str) -> None:
    found = check_scores(SHEET, scores)
    assert [v.field for v in found] == [field]
    assert _cited(found) == {(None, None)}  # the service's sheet, not a rule of the measures


def test_a_criterion_worth_nothing_still_adds_up() -> None:
    assert check_criteria((*SHEET, Criterion("remarks", "意见", "Remarks", D("0")))) == []


def test_a_full_score_on_every_criterion_is_allowed() -> None:
    assert check_scores(SHEET, {"qualification": D("40"), "feasibility": D("60")}) == []


# --- aggregation ---------------------------------------------------------------------------------


def test_five_totals_drop_the_highest_and_the_lowest() -> None:
    result = aggregate([D(50), D(70), D(80), D(90), D(100)])
    assert result.value == D("80.00")  # the plain mean would be 78.00
    assert (result.count, result.trimmed, result.insufficient) == (5, True, False)


def test_four_totals_take_the_plain_mean() -> None:
    result = aggregate([D(50), D(70), D(80), D(91)])
    assert result.value == D("72.75")
    assert (result.trimmed, result.insufficient) == (False, False)


def test_the_mean_is_rounded_half_up_to_the_cent() -> None:
    kept = [D("80.0"), D("80.0"), D("80.0"), D("80.1")]  # 320.1 / 4 = 80.025
    assert aggregate([D("0"), *kept, D("100")]).value == D("80.03")  # half even: 80.02
    assert aggregate([D("70.1"), D("70.0"), D("70.0")]).value == D("70.03")  # 70.0333…


@pytest.mark.parametrize(("count", "insufficient"), [(0, True), (1, True), (2, True), (3, False)])
def test_fewer_than_three_totals_are_insufficient(count: int, insufficient: bool) -> None:
    result = aggregate([D(60)] * count)
    assert result.insufficient is insufficient
    assert result.value == (None if count == 0 else D("60.00"))


totals = st.lists(
    st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
)


@given(totals)
def test_the_aggregate_lies_between_the_lowest_and_highest_totals(values: list[Decimal]) -> None:
    result = aggregate(values)
    assert result.value is not None
    assert min(values) <= result.value <= max(values)
    assert result.value == result.value.quantize(D("0.01"))


# --- ranking -------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def _candidate(score: str | None, *, priority: bool = False, minutes: int = 0) -> Candidate:
    return Candidate(
        uuid.uuid4(), None if score is None else D(score), priority, T0 + timedelta(minutes=minutes)
    )


def test_the_higher_aggregate_ranks_first_and_the_unscored_last() -> None:
    low, high, unscored = _candidate("70.00"), _candidate("85.50"), _candidate(None)
    assert rank([unscored, low, high]) == [high, low, unscored]


def test_a_tie_goes_to_the_priority_flag_then_the_earlier_submission() -> None:
    early = _candidate("80.00", minutes=1)
    late = _candidate("80.00", minutes=5)
    flagged_late = _candidate("80.00", priority=True, minutes=9)
    assert rank([late, early, flagged_late]) == [flagged_late, early, late]


@given(st.permutations(range(6)))
def test_the_ranking_does_not_depend_on_the_order_given(order: list[int]) -> None:
    same = [
        Candidate(uuid.UUID(int=n + 1), D("75.00"), False, T0) for n in range(6)
    ]  # all equal but the id
    assert rank([same[n] for n in order]) == rank(same)


# --- conflicts of interest -----------------------------------------------------------------------


def _org(root: uuid.UUID | None = None) -> Organization:
    own = uuid.uuid4()
    return Organization(own, root or own)


def test_an_expert_of_the_applicants_parent_has_a_conflict() -> None:
    parent = _org()
    applicant = Organization(uuid.uuid4(), parent.id)
    found = conflicts([parent], [Party(applicant, PartyRole.APPLICANT)])
    assert [(c.party_org_id, c.role, c.reason) for c in found] == [
        (applicant.id, PartyRole.APPLICANT, ConflictReason.SAME_OWNERSHIP_TREE)
    ]


@pytest.mark.parametrize("role", list(PartyRole))
def test_an_expert_of_a_party_itself_has_a_conflict(role: PartyRole) -> None:
    party = _org()
    found = conflicts([party], [Party(party, role)])
    assert [(c.role, c.reason) for c in found] == [(role, ConflictReason.SAME_ORGANIZATION)]


def test_a_sister_company_of_a_member_is_in_the_same_tree() -> None:
    group = uuid.uuid4()
    mine, member = Organization(uuid.uuid4(), group), Organization(uuid.uuid4(), group)
    found = conflicts(
        [_org(), mine], [Party(_org(), PartyRole.APPLICANT), Party(member, PartyRole.MEMBER)]
    )
    assert [(c.expert_org_id, c.role) for c in found] == [(mine.id, PartyRole.MEMBER)]


def test_an_unrelated_expert_has_no_conflict() -> None:
    parties = [Party(_org(), role) for role in PartyRole]
    assert conflicts([_org(), _org()], parties) == []
