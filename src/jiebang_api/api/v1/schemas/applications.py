"""Bodies of applications and eligibility reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.findings import EligibilityReportOut
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    Money,
    RequestBody,
    ResponseBody,
    Share,
    WholeNumber,
    example_cursor,
    optional,
)
from jiebang_api.applications.workflow import ApplicationStatus


class ApplicationMember(RequestBody):
    org_id: uuid.UUID
    role: str = Field(min_length=1, max_length=100, description="e.g. 技术合作方")
    budget_share: Share


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
    "id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3",
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "status": "submitted",
    "eligibility_report": EXAMPLE_ELIGIBLE_REPORT,
    "submitted_at": "2027-01-08T02:30:00Z",
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
    members: list[ApplicationMember]
    plan: Plan
    declarations: Declarations
    attachment_ids: list[str]
    eligibility_report: EligibilityReportOut | None
    submitted_at: datetime | None
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
