"""Kinds of organisation (Art. 4–8 name universities, institutes, enterprises, consortia)."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "enterprise": ("企业", "Enterprise"),
        "university": ("高等院校", "University"),
        "research_institute": ("科研院所", "Research institute"),
        "consortium": ("创新联合体", "Innovation consortium"),
        "agency": ("第三方机构", "Agency"),
        "other": ("其他", "Other"),
    }
)
class OrganizationType(StrEnum):
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    CONSORTIUM = "consortium"
    AGENCY = "agency"
    OTHER = "other"


@labelled(
    {
        "invited": ("已邀请，待本人接受", "Invited, not yet accepted"),
        "accepted": ("已接受", "Accepted"),
    }
)
class MembershipStatus(StrEnum):
    """A membership is an invitation until the invited user accepts it; only an accepted one
    gives access to the organisation."""

    INVITED = "invited"
    ACCEPTED = "accepted"
