"""Bodies of applications and eligibility reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.findings import EligibilityReportOut
from jiebang_api.api.v1.schemas.base import (
    EXTERNAL_REF,
    NEXT_CURSOR,
    Money,
    RequestBody,
    ResponseBody,
    Share,
    WholeNumber,
    example_cursor,
    optional,
)
from jiebang_api.applications.workflow import ApplicationStatus, ConsortiumConsent


class ApplicationMember(RequestBody):
    org_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100, description="e.g. 技术合作方")
    budget_share: Share


EXAMPLE_DECIDED_BY = "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4"


class ApplicationMemberOut(ResponseBody):
    """A consortium member: what the lead asked of it, and its organisation's answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
                    "role": "技术合作方",
                    "budget_share": "30.00",
                    "consent": "accepted",
                    "decided_by": EXAMPLE_DECIDED_BY,
                    "decided_at": "2027-01-07T03:00:00Z",
                }
            ]
        }
    )

    org_id: uuid.UUID
    role: str
    budget_share: Share
    consent: ConsortiumConsent = Field(
        description="The member organisation's answer (R-APP-MEMBER-CONSENT): `invited` until "
        "one of its managers accepts or declines; adding a member or changing its budget share "
        "invites it afresh. The application is submitted only when every member has accepted."
    )
    decided_by: uuid.UUID | None = Field(
        description="The user (a manager of the member organisation) who answered; null while "
        "invited."
    )
    decided_at: datetime | None = Field(description="When it answered; null while invited.")


class Milestone(RequestBody):
    title: str = Field(min_length=1, max_length=200)
    due_month: WholeNumber = Field(ge=1, le=120)
    deliverable: str = Field(min_length=1, max_length=1000)


class TeamMember(RequestBody):
    name: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=100)
    role: str = Field(min_length=1, max_length=200)


class Plan(RequestBody):
    approach: str | None = Field(None, max_length=20_000)
    milestones: list[Milestone] = Field(default_factory=list, max_length=50)
    budget_total: Money | None = None
    team: list[TeamMember] = Field(default_factory=list, max_length=100)
    ip_plan: str | None = Field(None, max_length=5000)


class Declarations(RequestBody):
    has_transfer_team: StrictBool = False
    can_provide_funds: StrictBool = False
    can_provide_site: StrictBool = False
    market_channels: str | None = Field(None, max_length=2000)


EXAMPLE_APPLICATION: JsonDict = {
    "lead_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "lead_budget_share": "70.00",
    "members": [
        {
            "org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
            "role": "技术合作方",
            "budget_share": "30.00",
        }
    ],
    "plan": {
        "approach": "晶界扩散结合中试验证",
        "milestones": [{"title": "中试", "due_month": 12, "deliverable": "中试报告"}],
        "budget_total": "15000000.00",
        "team": [{"name": "王工", "title": "教授", "role": "技术负责人"}],
        "ip_plan": "新成果双方共有",
    },
    "declarations": {
        "has_transfer_team": True,
        "can_provide_funds": True,
        "can_provide_site": True,
        "market_channels": "区内整车企业",
    },
    "attachment_ids": [],
}


class ApplicationIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_APPLICATION]})

    lead_org_id: uuid.UUID
    lead_budget_share: Share = Field(
        description="The lead's share; with the members' it adds up to 100."
    )
    members: list[ApplicationMember] = Field(default_factory=list, max_length=20)
    plan: Plan = Field(default_factory=Plan)
    declarations: Declarations = Field(default_factory=Declarations)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    def data(self) -> dict[str, Any]:
        values = self.model_dump(mode="json")
        values["lead_org_id"] = self.lead_org_id
        values["lead_budget_share"] = self.lead_budget_share
        return values


class ApplicationPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"plan": EXAMPLE_APPLICATION["plan"]}]}
    )

    lead_budget_share: Share = optional()
    members: list[ApplicationMember] = optional(max_length=20)
    plan: Plan = optional()
    declarations: Declarations = optional()
    attachment_ids: list[uuid.UUID] = optional(max_length=50)

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(mode="json", exclude_unset=True)
        if "lead_budget_share" in values:
            values["lead_budget_share"] = self.lead_budget_share
        return values


EXAMPLE_ELIGIBLE_REPORT: JsonDict = {
    "eligible": True,
    "violations": [],
    "warnings": [
        {
            "rule": "R-ELIG-AT-SOLVER-ENTERPRISE",
            "article": "第四条（二）",
            "org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
            "field": "members.0.org_id",
            "message": "某某大学的单位类型与登记信息尚未经核验。",
            "message_zh": "某某大学的单位类型与登记信息尚未经核验。",
            "message_en": "某某大学's type and registration are not verified by the department.",
        }
    ],
    "priorities": [
        {
            "rule": "R-ELIG-PRIORITY",
            "article": "第六条（三）",
            "org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
            "field": "lead_org_id",
            "message": "某某公司为科技兴蒙“4+8+N”合作主体，优先支持。",
            "message_zh": "某某公司为科技兴蒙“4+8+N”合作主体，优先支持。",
            "message_en": "某某公司 is an encouraged applicant (partner_4_8_n).",
        }
    ],
}


class EligibilityCheckIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
                    "lead_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
                    "member_org_ids": [],
                }
            ]
        }
    )

    listing_id: uuid.UUID
    lead_org_id: uuid.UUID
    member_org_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


# A submitted application, with the report it was submitted with. Every key is present: a
# draft has `eligibility_report` and `submitted_at` null.
EXAMPLE_APPLICATION_OUT: JsonDict = {
    **EXAMPLE_APPLICATION,
    "members": [
        {
            "org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
            "role": "技术合作方",
            "budget_share": "30.00",
            "consent": "accepted",
            "decided_by": EXAMPLE_DECIDED_BY,
            "decided_at": "2027-01-07T03:00:00Z",
        }
    ],
    "id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3",
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "status": "submitted",
    "eligibility_report": EXAMPLE_ELIGIBLE_REPORT,
    "submitted_at": "2027-01-08T02:30:00Z",
    "recommendation_rank": None,
    "external_ref": None,
    "version": 3,
    "created_at": "2027-01-06T08:00:00Z",
    "updated_at": "2027-01-08T02:30:00Z",
}


class ApplicationOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_APPLICATION_OUT]})

    id: uuid.UUID
    listing_id: uuid.UUID
    lead_org_id: uuid.UUID
    status: ApplicationStatus = Field(
        description="As of now: submitted reads as under_review once the window has ended."
    )
    lead_budget_share: Share
    members: list[ApplicationMemberOut]
    plan: Plan
    declarations: Declarations
    attachment_ids: list[str]
    eligibility_report: EligibilityReportOut | None
    submitted_at: datetime | None
    recommendation_rank: int | None = Field(
        ge=1,
        description="The place the jointly confirmed recommendation gives a `recommended` "
        "application (1 first, 第九条（五）); null otherwise.",
    )
    external_ref: str | None = Field(
        description=EXTERNAL_REF,
        json_schema_extra={"examples": ["PLAN-2027-SB-004567"]},
    )
    version: int
    created_at: datetime
    updated_at: datetime


class ApplicationPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_APPLICATION_OUT],
                    "next_cursor": example_cursor(EXAMPLE_APPLICATION_OUT),
                }
            ]
        }
    )

    items: list[ApplicationOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


ApplicationStatusFilter = Literal[
    "draft",
    "submitted",
    "under_review",
    "recommended",
    "not_recommended",
    "selected",
    "unsuccessful",
    "withdrawn",
]


class AcceptInvitationIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"budget_share": "30.00"}]})

    budget_share: Share = Field(
        description="The budget share the invitation shows, which the member agrees to: if the "
        "lead has changed it since, 409 `CONFLICT` and the invitation stays open."
    )


EXAMPLE_INVITATION: JsonDict = {
    "application_id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3",
    "application_status": "draft",
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "listing_code": "JB-2027-TB-0001",
    "listing_title": "稀土永磁材料关键技术",
    "lead_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "lead_org_name": "某某稀土新材料有限公司",
    "org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "role": "技术合作方",
    "budget_share": "30.00",
    "consent": "invited",
    "decided_by": None,
    "decided_at": None,
}


class ConsortiumInvitationOut(ResponseBody):
    """An application that invites the organisation to its consortium, as the organisation's
    managers see it: the listing, the lead, and their own entry; nothing of the other members,
    the plan or the declarations."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_INVITATION]})

    application_id: uuid.UUID
    application_status: ApplicationStatus = Field(description="The application's status, now.")
    listing_id: uuid.UUID
    listing_code: str
    listing_title: str
    lead_org_id: uuid.UUID
    lead_org_name: str
    org_id: uuid.UUID = Field(description="The invited (member) organisation.")
    role: str = Field(description="Its role in the consortium, as the lead put it.")
    budget_share: Share = Field(description="Its budget share, as the lead put it.")
    consent: ConsortiumConsent = Field(description="Its answer so far.")
    decided_by: uuid.UUID | None = Field(description="Who answered; null while invited.")
    decided_at: datetime | None = Field(description="When; null while invited.")


class ConsortiumInvitationPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_INVITATION],
                    "next_cursor": example_cursor(
                        {
                            "created_at": "2027-01-06T08:00:00Z",
                            "id": EXAMPLE_INVITATION["application_id"],
                        }
                    ),
                }
            ]
        }
    )

    items: list[ConsortiumInvitationOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
