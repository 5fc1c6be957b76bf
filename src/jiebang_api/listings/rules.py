"""What a listing and its proposer must satisfy before the listing is submitted, what it
must satisfy before it is published, and what its assessment must have judged before it is
approved — pure.

Rules: R-LIST-FIELDS (第九条（一）, and 第三条 for the industry; every kind, at submission and
again at publication), R-ELIG-AT-LAYOUT (第七条（一）: the fields at submission and
publication, the department's judgement at approval), R-ELIG-AT-SERVICE-TEAM (第七条（三）),
R-ELIG-TB-PROPOSER (第五条), R-ELIG-TB-PROPOSER-SCALE (第五条（一）), R-ELIG-AT-PROPOSER-TYPE
(第四条（二）), R-ELIG-AT-OWN-IP (第七条（二）), R-ELIG-NO-DISHONESTY (第十五条), R-TIME-TB-36M
and R-TIME-AT-24M (第十六条, warnings on the time requirement). The department may edit the
text (IP records, time requirement…) until publication, so the rules that rest on it are
evaluated again then. Every rule is evaluated; all findings are returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jiebang_api.kit.errors import Message, Violation
from jiebang_api.listings.enums import ListingKind
from jiebang_api.organizations import flags


@dataclass(frozen=True)
class ProposerFacts:
    """What the rules need to know of the proposing organisation."""

    name: str
    type: str
    in_region: bool
    independent_legal_person: bool
    central_enterprise_branch: bool
    pays_tax_in_region: bool
    high_tech: bool
    verified_flags: frozenset[str]
    active_dishonesty: bool
    large_influential: bool = False
    partner_4_8_n: bool = False
    tech_based: bool = False


@dataclass(frozen=True)
class Report:
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class DurationLimits:
    """Art. 16: the longest time requirement, in months, per kind (from the policy version
    in force; these are the measures' own figures)."""

    tech_breakthrough: int = 36
    achievement_transfer: int = 24


# 第三条: a listing serves the region's key industries and fields, so it names its own.
SCOPE_FIELDS: dict[str, tuple[str, str]] = {"industry": ("所属产业领域", "industry")}
# 第九条（一）: what every listing states.
COMMON_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("榜单名称", "title"),
    "background": ("需求背景", "background"),
    "key_technologies": ("关键技术及指标", "key technologies and target metrics"),
    "time_requirement_months": ("时间要求", "time requirement"),
    "total_rd_investment": ("研发总投入", "total R&D investment"),
    "demand_requirements": ("对需求方的要求", "requirements on the demand side"),
    "supply_requirements": ("对揭榜方的要求", "requirements on the solver"),
    "ip_ownership": ("知识产权归属", "IP ownership"),
    "benefit_sharing": ("利益分配", "benefit sharing"),
}
# 第九条（一）: "成果转化内容与形式", asked of achievement transfers.
TRANSFER_FIELDS: dict[str, tuple[str, str]] = {
    "transfer_content": ("成果转化内容", "transfer content"),
    "transfer_form": ("成果转化形式", "transfer form"),
}
# 第七条（一）: a clear application direction, and the industrial upgrading it drives.
LAYOUT_FIELDS: dict[str, tuple[str, str]] = {
    "application_direction": ("应用方向", "application direction"),
    "industrial_effect": ("预期产业带动作用", "expected industrial effect"),
}
# 第七条（三）: the transfer service team, or the third-party institution that supports it.
SERVICE_FIELDS: dict[str, tuple[str, str]] = {
    "transfer_service": (
        "成果转化技术服务团队或支撑转化的第三方机构",
        "transfer service team or supporting third-party institution",
    ),
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list) and len(value) == 0)


def _missing(
    listing: Mapping[str, Any], fields: Mapping[str, tuple[str, str]], rule: str, article: str
) -> list[Violation]:
    return [
        Violation(
            Message(f"请填写{zh}。", f"The {en} is required."),
            rule=rule,
            article=article,
            field=f"listing.{name}",
        )
        for name, (zh, en) in fields.items()
        if _blank(listing.get(name))
    ]


def required_fields(kind: ListingKind, listing: Mapping[str, Any]) -> list[Violation]:
    """R-LIST-FIELDS for every kind (the industry under 第三条; transfer content and form for
    achievement transfers; reading: a total R&D investment of 0 is not an investment), and
    for achievement transfers R-ELIG-AT-LAYOUT and R-ELIG-AT-SERVICE-TEAM. Checked at
    submission and again before publication, whatever path the listing took."""
    found = _missing(listing, COMMON_FIELDS, "R-LIST-FIELDS", "第九条（一）")
    found += _missing(listing, SCOPE_FIELDS, "R-LIST-FIELDS", "第三条")
    techs: Sequence[Mapping[str, Any]] = listing.get("key_technologies") or []
    if any(_blank(t.get("target_metrics")) for t in techs):
        found.append(
            Violation(
                Message("每项关键技术须写明指标。", "Every key technology needs target metrics."),
                rule="R-LIST-FIELDS",
                article="第九条（一）",
                field="listing.key_technologies",
            )
        )
    investment = listing.get("total_rd_investment")
    if investment is not None and Decimal(str(investment)) <= 0:
        found.append(
            Violation(
                Message(
                    "研发总投入须大于0（研发总投入为0不构成投入）。",
                    "The total R&D investment must be above 0 (0 is not an investment).",
                ),
                rule="R-LIST-FIELDS",
                article="第九条（一）",
                field="listing.total_rd_investment",
            )
        )
    if kind is ListingKind.ACHIEVEMENT_TRANSFER:
        found += _missing(listing, TRANSFER_FIELDS, "R-LIST-FIELDS", "第九条（一）")
        found += _missing(listing, LAYOUT_FIELDS, "R-ELIG-AT-LAYOUT", "第七条（一）")
        found += _missing(listing, SERVICE_FIELDS, "R-ELIG-AT-SERVICE-TEAM", "第七条（三）")
    return found


def duration(
    kind: ListingKind, listing: Mapping[str, Any], limits: DurationLimits
) -> list[Violation]:
    """R-TIME-TB-36M / R-TIME-AT-24M: a time requirement above the limit of the kind is a
    warning for assessors (an agreement's duration is checked with the agreement)."""
    months = listing.get("time_requirement_months")
    if kind is ListingKind.TECH_BREAKTHROUGH:
        rule, limit, years = "R-TIME-TB-36M", limits.tech_breakthrough, "技术攻关类"
    elif kind is ListingKind.ACHIEVEMENT_TRANSFER:
        rule, limit, years = "R-TIME-AT-24M", limits.achievement_transfer, "成果转化类"
    else:
        return []
    if months is None or months <= limit:
        return []
    return [
        Violation(
            Message(
                f"{years}项目实施周期原则上不超过{limit}个月，榜单时间要求为{months}个月，请论证时关注。",
                f"The time requirement ({months} months) is above the {limit} months a project "
                "of this kind should in principle last; for the assessors' attention.",
            ),
            rule=rule,
            article="第十六条",
            field="listing.time_requirement_months",
        )
    ]


def _unverified(
    proposer: ProposerFacts, flags: Sequence[str], rule: str, article: str
) -> list[Violation]:
    relied = [f for f in flags if f not in proposer.verified_flags]
    if not relied:
        return []
    names = ", ".join(relied)
    return [
        Violation(
            Message(
                f"以下信息为自行申报，尚未核验：{names}。", f"Self-declared, not verified: {names}."
            ),
            rule=rule,
            article=article,
            field="proposer",
        )
    ]


def tech_breakthrough_proposer(proposer: ProposerFacts) -> Report:
    """R-ELIG-TB-PROPOSER: an in-region enterprise with independent legal personality, or a
    branch of a central state enterprise that pays tax in the region; R-ELIG-TB-PROPOSER-SCALE."""
    rule, article = "R-ELIG-TB-PROPOSER", "第五条"
    local = proposer.in_region and proposer.independent_legal_person
    branch = proposer.central_enterprise_branch and proposer.pays_tax_in_region
    if proposer.type != "enterprise" or not (local or branch):
        violation = Violation(
            Message(
                "技术攻关类榜单的发榜方应为区内具有独立法人资格的企业或在内蒙古纳税的中央企业分公司。",
                "A technology-breakthrough proposer must be an in-region enterprise with "
                "independent legal personality, or a central-enterprise branch paying tax in "
                "Inner Mongolia.",
            ),
            rule=rule,
            article=article,
            field="proposer",
        )
        return Report(violations=[violation])
    relied = (
        ["independent_legal_person"]
        if local
        else ["central_enterprise_branch", "pays_tax_in_region"]
    )
    warnings = _unverified(proposer, relied, rule, article)
    warnings += proposer_scale(proposer)
    return Report(warnings=warnings)


def proposer_scale(proposer: ProposerFacts) -> list[Violation]:
    """R-ELIG-TB-PROPOSER-SCALE: generally an enterprise of considerable influence and scale
    in its field, or a high-tech enterprise; a warning for assessors when it is neither, or
    when it is either only by its own unverified declaration. Never a block."""
    if not (proposer.large_influential or proposer.high_tech):
        return [
            Violation(
                Message(
                    "发榜方既未申报为行业内有较大影响和规模的企业，也不是高新技术企业，请论证时关注。",
                    "The proposer is neither a large and influential enterprise in its field "
                    "nor a high-tech one; for the assessors' attention.",
                ),
                rule="R-ELIG-TB-PROPOSER-SCALE",
                article="第五条（一）",
                field="proposer",
            )
        ]
    claimed = [f for f in ("large_influential", "high_tech") if getattr(proposer, f)]
    if any(f in proposer.verified_flags for f in claimed):
        return []
    return _unverified(proposer, claimed, "R-ELIG-TB-PROPOSER-SCALE", "第五条（一）")


def _same_holder(holder: str, proposer: str) -> bool:
    return "".join(holder.split()).casefold() == "".join(proposer.split()).casefold()


def achievement_transfer_proposer(proposer: ProposerFacts, listing: Mapping[str, Any]) -> Report:
    """R-ELIG-AT-PROPOSER-TYPE (a 4+8+N partner of any type, or a university, institute or
    technology-based enterprise) and R-ELIG-AT-OWN-IP (the proposer holds every IP record)."""
    violations, warnings = [], []
    if proposer.partner_4_8_n:
        warnings += _unverified(
            proposer, ["partner_4_8_n"], "R-ELIG-AT-PROPOSER-TYPE", "第四条（二）"
        )
    elif proposer.type not in ("university", "research_institute", "enterprise"):
        violations.append(
            Violation(
                Message(
                    "成果转化类榜单的发榜方应为“4+8+N”合作主体，或高校、科研院所、科技型企业。",
                    "An achievement-transfer proposer must be a 4+8+N partner, or a university, "
                    "research institute or technology-based enterprise.",
                ),
                rule="R-ELIG-AT-PROPOSER-TYPE",
                article="第四条（二）",
                field="proposer",
            )
        )
    elif proposer.type == "enterprise":
        warnings += _tech_based(proposer)
    records: Sequence[Mapping[str, Any]] = listing.get("ip_records") or []
    foreign = [r for r in records if not _same_holder(str(r.get("holder", "")), proposer.name)]
    if not records or foreign:
        violations.append(
            Violation(
                Message(
                    "发榜方须对拟转化成果拥有自主知识产权（知识产权权利人应为发榜方）。",
                    "The proposer must own the IP of the achievement "
                    "(it must hold every IP record).",
                ),
                rule="R-ELIG-AT-OWN-IP",
                article="第七条（二）",
                field="listing.ip_records",
            )
        )
    return Report(violations, warnings)


def _tech_based(proposer: ProposerFacts) -> list[Violation]:
    """R-ELIG-AT-PROPOSER-TYPE for an enterprise: a technology-based enterprise (科技型企业)
    holds the achievement. Not known to be one (neither a verified `tech_based` nor a verified
    `high_tech` flag) is a warning for assessors, as is a declaration not yet verified."""
    if flags.known_tech_based(proposer.tech_based, proposer.high_tech, proposer.verified_flags):
        return []
    claimed = [f for f in ("tech_based", "high_tech") if getattr(proposer, f)]
    if claimed:
        return _unverified(proposer, claimed, "R-ELIG-AT-PROPOSER-TYPE", "第四条（二）")
    return [
        Violation(
            Message(
                "发榜企业未申报为科技型企业（或高新技术企业），请论证时核实。",
                "The enterprise has not declared itself technology-based (or high-tech); "
                "for the assessors to check.",
            ),
            rule="R-ELIG-AT-PROPOSER-TYPE",
            article="第四条（二）",
            field="proposer",
        )
    ]


def no_dishonesty(proposer: ProposerFacts) -> list[Violation]:
    """R-ELIG-NO-DISHONESTY for the proposer on the day of submission."""
    if not proposer.active_dishonesty:
        return []
    return [
        Violation(
            Message(
                "发榜方存在严重失信行为记录。",
                "The proposer has an active serious-dishonesty record.",
            ),
            rule="R-ELIG-NO-DISHONESTY",
            article="第十五条",
            field="proposer",
        )
    ]


def evaluate_submission(
    kind: ListingKind,
    listing: Mapping[str, Any],
    proposer: ProposerFacts,
    limits: DurationLimits | None = None,
) -> Report:
    """Every rule a proposer's submission must pass; all findings, none short-circuited."""
    violations = required_fields(kind, listing) + no_dishonesty(proposer)
    warnings = duration(kind, listing, limits or DurationLimits())
    if kind is ListingKind.TECH_BREAKTHROUGH:
        report = tech_breakthrough_proposer(proposer)
    elif kind is ListingKind.ACHIEVEMENT_TRANSFER:
        report = achievement_transfer_proposer(proposer, listing)
    else:
        report = Report()
    return Report(violations + report.violations, warnings + report.warnings)


# The rules evaluated again at publication because they rest on text the department may
# still edit: a fresh finding of one of them replaces the one kept from submission.
RECHECKED_AT_PUBLICATION = frozenset(
    {"R-ELIG-AT-PROPOSER-TYPE", "R-ELIG-AT-OWN-IP", "R-TIME-TB-36M", "R-TIME-AT-24M"}
)


def evaluate_publication(
    kind: ListingKind,
    listing: Mapping[str, Any],
    proposer: ProposerFacts | None = None,
    limits: DurationLimits | None = None,
) -> Report:
    """What the listing must satisfy before publication, whatever path it took (the
    emergency shortcut skips steps, never content): the content again, and, since the
    department may edit the text until publication, the achievement-transfer holder and its
    IP (R-ELIG-AT-PROPOSER-TYPE, R-ELIG-AT-OWN-IP) and the duration warnings."""
    violations = required_fields(kind, listing)
    warnings = duration(kind, listing, limits or DurationLimits())
    if kind is ListingKind.ACHIEVEMENT_TRANSFER and proposer is not None:
        holder = achievement_transfer_proposer(proposer, listing)
        violations += holder.violations
        warnings += holder.warnings
    return Report(violations, warnings)


def layout_judged(kind: ListingKind, judgements: Sequence[bool | None]) -> list[Violation]:
    """R-ELIG-AT-LAYOUT at approval: the department's assessment judged that the achievement
    fits the region's overall development layout (第七条（一）, a condition the supply side
    "应具备", so a block). `judgements` are the assessments' `layout_fit`, oldest first (None:
    not judged); the latest judgement decides."""
    if kind is not ListingKind.ACHIEVEMENT_TRANSFER:
        return []
    judged = [j for j in judgements if j is not None]
    if not judged:
        message = Message(
            "成果转化类榜单须经论证判断拟转化成果是否符合自治区发展总体布局（尚无论证意见作出判断）。",
            "An achievement transfer is approved only once an assessment has judged whether "
            "it fits the region's overall development layout (none has yet).",
        )
    elif not judged[-1]:
        message = Message(
            "最近一次论证判断拟转化成果不符合自治区发展总体布局。",
            "The latest assessment judged that the achievement does not fit the region's "
            "overall development layout.",
        )
    else:
        return []
    return [
        Violation(
            message, rule="R-ELIG-AT-LAYOUT", article="第七条（一）", field="assessments.layout_fit"
        )
    ]
