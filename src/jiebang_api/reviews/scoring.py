"""Review scoring (评分表) — pure: a round's criteria, an expert's scores, each application's
aggregate, and the ranking the recommendation starts from.

第九条（五） (R-WF-RECOMMEND-JOINT): the department and the proposer review the solvers'
qualifications and the feasibility of their plans together. The article names the two
criteria but weighs neither: the 40 / 60 split is the service's default, held by the policy
version, which the department may change; an emergency round takes the admin's own
criteria. For an achievement transfer, `qualification` also judges the demand side's
transfer team and resources (R-ELIG-AT-DEMAND-TEAM, R-ELIG-AT-DEMAND-RESOURCES, 第八条),
which applicants only declare.

A sheet's maximum scores add up to 100, so an expert's total (the sum of the criterion
scores) lies between 0 and 100. Scores carry at most one decimal place; aggregates are
rounded half up to 0.01 before anything is ranked.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from jiebang_api.kit.decimals import DecimalFormat
from jiebang_api.kit.errors import Message, Violation
from jiebang_api.listings.enums import ListingKind

SCORE = DecimalFormat(places=1, maximum=Decimal(100))  # a criterion's score or maximum
AGGREGATE = DecimalFormat(places=2, maximum=Decimal(100))
FULL_MARKS = Decimal(100)
TRIM_FROM = 5  # from this many totals on, one highest and one lowest are dropped
ENOUGH_REVIEWS = 3  # fewer totals: the application is flagged `insufficient_reviews`

QUALIFICATION = "qualification"
FEASIBILITY = "feasibility"


@dataclass(frozen=True)
class Criterion:
    """One line of the scoring sheet."""

    key: str
    name_zh: str
    name_en: str
    max_score: Decimal


def default_criteria(kind: ListingKind, qualification_max: Decimal) -> tuple[Criterion, ...] | None:
    """The two criteria of 第九条（五）, `qualification` worth `qualification_max` points
    (the policy version's weight) and `feasibility` the rest of 100; None for an emergency
    listing, whose round takes the admin's criteria."""
    if kind is ListingKind.EMERGENCY:
        return None
    if kind is ListingKind.ACHIEVEMENT_TRANSFER:
        qualification_zh = "资质条件（含需求方转化团队、资金、场地和市场渠道）"
        qualification_en = (
            "Qualifications (the demand side's transfer team, funds, site and market "
            "channels included)"
        )
    else:
        qualification_zh, qualification_en = "资质条件", "Qualifications"
    return (
        Criterion(QUALIFICATION, qualification_zh, qualification_en, qualification_max),
        Criterion(
            FEASIBILITY, "揭榜方案可行性", "Feasibility of the plan", FULL_MARKS - qualification_max
        ),
    )


def _violation(zh: str, en: str, field: str) -> Violation:
    # The sheet's shape is the service's scoring convention, not a rule of the measures.
    return Violation(Message(zh, en), field=field)


def check_criteria(
    criteria: Sequence[Criterion], *, field: str = "body.criteria"
) -> list[Violation]:
    """Every reason the sheet cannot be used: no criteria, a key twice, or maximums that do
    not add up to 100 (a criterion worth 0 points is allowed: it only asks for a comment)."""
    if not criteria:
        return [
            _violation(
                "评分表至少需要一项评分指标。", "A sheet needs one criterion at least.", field
            )
        ]
    found: list[Violation] = []
    repeated = {key for key, n in Counter(c.key for c in criteria).items() if n > 1}
    for n, criterion in enumerate(criteria):
        if criterion.key in repeated:
            found.append(
                _violation("评分指标的键重复。", "A criterion key is repeated.", f"{field}.{n}.key")
            )
    total = sum((c.max_score for c in criteria), Decimal(0))
    if total != FULL_MARKS:
        found.append(
            _violation(
                f"各项指标满分之和须为 100，现为 {total}。",
                f"The criteria's maximum scores must add up to 100, not {total}.",
                field,
            )
        )
    return found


def check_scores(
    criteria: Sequence[Criterion], scores: Mapping[str, Decimal], *, field: str = "body.scores"
) -> list[Violation]:
    """Every reason an expert's scores do not fill the sheet: a criterion left out, a key
    not on the sheet, or a score outside 0 to the criterion's maximum."""
    found: list[Violation] = []
    sheet = {c.key: c for c in criteria}
    for key in sheet.keys() - scores.keys():
        found.append(
            _violation(
                f"缺少指标 {key} 的评分。", f"The score of {key} is missing.", f"{field}.{key}"
            )
        )
    for key, value in scores.items():
        criterion = sheet.get(key)
        if criterion is None:
            found.append(
                _violation(
                    f"评分表中没有指标 {key}。",
                    f"The sheet has no criterion {key}.",
                    f"{field}.{key}",
                )
            )
        elif not Decimal(0) <= value <= criterion.max_score:
            found.append(
                _violation(
                    f"指标 {key} 的评分须在 0 到 {criterion.max_score} 之间。",
                    f"The score of {key} must be from 0 to {criterion.max_score}.",
                    f"{field}.{key}",
                )
            )
    return found


def total(scores: Mapping[str, Decimal]) -> Decimal:
    """An expert's total: the sum of the criterion scores."""
    return sum(scores.values(), Decimal(0))


@dataclass(frozen=True)
class Aggregate:
    """An application's result: the mean of the totals kept (None without any), how many
    experts scored, whether the extremes were dropped, and whether too few scored."""

    value: Decimal | None
    count: int
    trimmed: bool
    insufficient: bool


def aggregate(totals: Sequence[Decimal]) -> Aggregate:
    """The trimmed mean of `totals` (one highest and one lowest dropped) from `TRIM_FROM`
    totals on, else their mean; rounded half up to 0.01. Fewer than `ENOUGH_REVIEWS` totals
    are flagged insufficient."""
    count = len(totals)
    insufficient = count < ENOUGH_REVIEWS
    if not totals:
        return Aggregate(None, 0, False, insufficient)
    ordered = sorted(totals)
    trimmed = count >= TRIM_FROM
    kept = ordered[1:-1] if trimmed else ordered
    mean = sum(kept, Decimal(0)) / len(kept)
    return Aggregate(mean.quantize(AGGREGATE.quantum, ROUND_HALF_UP), count, trimmed, insufficient)


@dataclass(frozen=True)
class Candidate:
    """An application as the ranking sees it."""

    application_id: uuid.UUID
    aggregate: Decimal | None
    priority: bool  # the eligibility report flagged a priority (R-ELIG-PRIORITY)
    submitted_at: datetime


def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Best first: the higher aggregate; on a tie, a priority flag first, then the earlier
    submission, then the application id (so that equal inputs never swap places). An
    application that no expert scored comes last."""

    def order(c: Candidate) -> tuple[bool, Decimal, bool, datetime, str]:
        unscored = c.aggregate is None
        return (
            unscored,
            -(c.aggregate or Decimal(0)),
            not c.priority,
            c.submitted_at,
            str(c.application_id),
        )

    return sorted(candidates, key=order)
