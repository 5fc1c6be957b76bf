"""The self-declared facts that eligibility relies on, and their verification (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "independent_legal_person": ("独立法人", "Independent legal person"),
        "central_enterprise_branch": ("央企分支机构", "Branch of a central state enterprise"),
        "pays_tax_in_region": ("在区内纳税", "Pays tax in the region"),
        "high_tech": ("高新技术企业", "High-tech enterprise"),
        "tech_based": ("科技型企业", "Technology-based enterprise"),
        "large_influential": (
            "行业或领域内有较大影响和规模",
            "Large and influential in its field",
        ),
        "partner_4_8_n": ("科技兴蒙“4+8+N”合作主体", "4+8+N cooperation partner"),
        "strategic_agreement": (
            "与自治区政府签订战略合作协议",
            "Strategic agreement with the region",
        ),
    }
)
class Flag(StrEnum):
    INDEPENDENT_LEGAL_PERSON = "independent_legal_person"
    CENTRAL_ENTERPRISE_BRANCH = "central_enterprise_branch"
    PAYS_TAX_IN_REGION = "pays_tax_in_region"
    HIGH_TECH = "high_tech"
    TECH_BASED = "tech_based"
    LARGE_INFLUENTIAL = "large_influential"
    PARTNER_4_8_N = "partner_4_8_n"
    STRATEGIC_AGREEMENT = "strategic_agreement"


# Changing any of these makes the organisation's own verification stale.
IDENTITY_FIELDS = frozenset({"name", "uscc", "type"})
# Who the organisation is and whom it belongs to: every verified fact was checked against
# these (R-ELIG-NOT-SUBSIDIARY reads the parent), so a change of any unverifies it all.
STANDING_FIELDS = IDENTITY_FIELDS | {"parent_org_id"}


def unverified_after_change(
    verified_flags: Iterable[str], changes: Mapping[str, Any], current: Mapping[str, Any]
) -> list[str]:
    """The verified flags that stay verified once `changes` are applied (changed ones drop)."""
    changed = {name for name, value in changes.items() if current.get(name) != value}
    return sorted(flag for flag in verified_flags if flag not in changed)


def known_tech_based(tech_based: bool, high_tech: bool, verified_flags: Iterable[str]) -> bool:
    """Whether the department knows the organisation to be a technology-based enterprise
    (科技型企业, 第四条（一）（二）): its `tech_based` flag verified, or its `high_tech` flag
    verified (a high-tech enterprise, 高新技术企业, is a narrower kind of technology-based one)."""
    verified = set(verified_flags)
    return (tech_based and Flag.TECH_BASED in verified) or (
        high_tech and Flag.HIGH_TECH in verified
    )


def identity_changed(changes: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    return any(
        current.get(name) != value for name, value in changes.items() if name in IDENTITY_FIELDS
    )


def standing_changed(changes: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether `changes` alter the organisation's identity or its parent (`STANDING_FIELDS`):
    then neither the organisation nor any of its flags stays verified."""
    return any(
        current.get(name) != value for name, value in changes.items() if name in STANDING_FIELDS
    )
