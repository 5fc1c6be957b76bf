"""What a listing and its proposer must satisfy before the listing is submitted — pure.

Rules: R-LIST-FIELDS (第九条（一）), R-ELIG-AT-LAYOUT (第七条（一）), R-ELIG-TB-PROPOSER
(第五条), R-ELIG-TB-PROPOSER-SCALE (第五条（一）), R-ELIG-AT-PROPOSER-TYPE (第七条),
R-ELIG-AT-OWN-IP (第七条（二）), R-ELIG-NO-DISHONESTY (第十五条). Every rule is evaluated;
all findings are returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jiebang_api.kit.errors import Message, Violation
from jiebang_api.listings.enums import ListingKind


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


@dataclass(frozen=True)
class Report:
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


COMMON_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("榜单名称", "title"),
    "industry": ("所属产业领域", "industry"),
    "background": ("需求背景", "background"),
    "key_technologies": ("关键技术及指标", "key technologies and target metrics"),
    "time_requirement_months": ("时间要求", "time requirement"),
    "total_rd_investment": ("研发总投入", "total R&D investment"),
    "demand_requirements": ("对需求方的要求", "requirements on the demand side"),
    "supply_requirements": ("对揭榜方的要求", "requirements on the solver"),
    "ip_ownership": ("知识产权归属", "IP ownership"),
    "benefit_sharing": ("利益分配", "benefit sharing"),
}
TRANSFER_FIELDS: dict[str, tuple[str, str]] = {
    "transfer_content": ("转化内容", "transfer content"),
    "transfer_form": ("转化方式", "transfer form"),
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
    """R-LIST-FIELDS, and for achievement transfer R-ELIG-AT-LAYOUT."""
    found = _missing(listing, COMMON_FIELDS, "R-LIST-FIELDS", "第九条（一）")
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
    if kind is ListingKind.ACHIEVEMENT_TRANSFER:
        found += _missing(listing, TRANSFER_FIELDS, "R-ELIG-AT-LAYOUT", "第七条（一）")
    return found


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
    if not proposer.high_tech:
        warnings.append(
            Violation(
                Message(
                    "发榜方一般应为行业内有较大影响和规模的企业或高新技术企业，请论证时关注。",
                    "Proposers are generally large, influential or high-tech enterprises; "
                    "for the assessors' attention.",
                ),
                rule="R-ELIG-TB-PROPOSER-SCALE",
                article="第五条（一）",
                field="proposer",
            )
        )
    return Report(warnings=warnings)


def _same_holder(holder: str, proposer: str) -> bool:
    return "".join(holder.split()).casefold() == "".join(proposer.split()).casefold()


def achievement_transfer_proposer(proposer: ProposerFacts, listing: Mapping[str, Any]) -> Report:
    """R-ELIG-AT-PROPOSER-TYPE and R-ELIG-AT-OWN-IP (the proposer holds every IP record)."""
    violations, warnings = [], []
    if proposer.type not in ("university", "research_institute", "enterprise"):
        violations.append(
            Violation(
                Message(
                    "成果转化类榜单的发榜方应为高校、科研院所或科技型企业。",
                    "An achievement-transfer proposer must be a university, research institute "
                    "or technology enterprise.",
                ),
                rule="R-ELIG-AT-PROPOSER-TYPE",
                article="第七条",
                field="proposer",
            )
        )
    elif proposer.type == "enterprise" and not proposer.high_tech:
        warnings.append(
            Violation(
                Message(
                    "发榜企业是否为科技型企业，请论证时核实。",
                    "Check that the enterprise is a technology enterprise.",
                ),
                rule="R-ELIG-AT-PROPOSER-TYPE",
                article="第七条",
                field="proposer",
            )
        )
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
    kind: ListingKind, listing: Mapping[str, Any], proposer: ProposerFacts
) -> Report:
    """Every rule a proposer's submission must pass; all findings, none short-circuited."""
    violations = required_fields(kind, listing) + no_dishonesty(proposer)
    warnings: list[Violation] = []
    if kind is ListingKind.TECH_BREAKTHROUGH:
        report = tech_breakthrough_proposer(proposer)
    elif kind is ListingKind.ACHIEVEMENT_TRANSFER:
        report = achievement_transfer_proposer(proposer, listing)
    else:
        report = Report()
    return Report(violations + report.violations, warnings + report.warnings)
