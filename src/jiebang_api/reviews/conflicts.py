"""Conflicts of interest (回避) between an expert and an application — pure.

An expert may not score an application when any organisation the expert belongs to (the
user's affiliation, or an organisation they are a member of) is one of its parties: the
applicant (the lead), a consortium member, or the listing's proposer; nor when it sits in
the same ownership tree as any of them (a parent, a subsidiary, a sister company: two
organisations whose topmost ancestors are the same). Every conflict found is returned, each
with its reason, so that the exclusion can be recorded. A service rule: the measures leave
the panel to the department (第九条（五）).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "applicant": ("揭榜（牵头）单位", "The applicant (lead)"),
        "member": ("联合体成员单位", "A consortium member"),
        "proposer": ("发榜单位", "The proposer"),
    }
)
class PartyRole(StrEnum):
    APPLICANT = "applicant"
    MEMBER = "member"
    PROPOSER = "proposer"


@labelled(
    {
        "same_organization": ("专家所在单位即该方", "The expert's organisation is this party"),
        "same_ownership_tree": (
            "专家所在单位与该方同属一个股权（隶属）关系树",
            "The expert's organisation and this party are in one ownership tree",
        ),
    }
)
class ConflictReason(StrEnum):
    SAME_ORGANIZATION = "same_organization"
    SAME_OWNERSHIP_TREE = "same_ownership_tree"


@dataclass(frozen=True)
class Organization:
    """An organisation and the top of its ownership tree (itself when it has no parent)."""

    id: uuid.UUID
    root: uuid.UUID


@dataclass(frozen=True)
class Party:
    organization: Organization
    role: PartyRole


@dataclass(frozen=True)
class Conflict:
    """Why an expert is kept from an application: which of the expert's organisations, which
    party, in what role, and how they are related."""

    expert_org_id: uuid.UUID
    party_org_id: uuid.UUID
    role: PartyRole
    reason: ConflictReason


def conflicts(expert_orgs: Sequence[Organization], parties: Sequence[Party]) -> list[Conflict]:
    """Every conflict between the expert's organisations and the application's parties (none:
    the expert may be assigned)."""
    found: list[Conflict] = []
    for mine in expert_orgs:
        for party in parties:
            theirs = party.organization
            if mine.id == theirs.id:
                reason = ConflictReason.SAME_ORGANIZATION
            elif mine.root == theirs.root:
                reason = ConflictReason.SAME_OWNERSHIP_TREE
            else:
                continue
            found.append(Conflict(mine.id, theirs.id, party.role, reason))
    return found
