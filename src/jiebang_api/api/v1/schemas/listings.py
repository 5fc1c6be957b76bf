"""Bodies of listings and their workflow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt
from pydantic.config import JsonDict

from jiebang_api.api.findings import Finding
from jiebang_api.api.schema_extras import values, when
from jiebang_api.api.v1.schemas.base import (
    EXTERNAL_REF,
    NEXT_CURSOR,
    WHOLE,
    IsoDatetime,
    Money,
    RequestBody,
    ResponseBody,
    example_cursor,
    optional,
)
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus

__all__ = ["Money"]  # imported from here by the other schema modules

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Months = Annotated[StrictInt, Field(ge=1, le=120), WHOLE]


class KeyTechnology(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    target_metrics: str = Field(min_length=1, max_length=2000)


class IpRecord(RequestBody):
    kind: Literal["invention_patent", "utility_model", "software_copyright", "other"] = Field(
        json_schema_extra=values(
            {
                "invention_patent": ("发明专利", "Invention patent"),
                "utility_model": ("实用新型专利", "Utility model patent"),
                "software_copyright": ("软件著作权", "Software copyright"),
                "other": ("其他", "Other"),
            }
        )
    )
    number: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=200)
    holder: str = Field(min_length=1, max_length=200, description="Must be the proposer.")


EXAMPLE_LISTING: JsonDict = {
    "kind": "tech_breakthrough",
    "proposer_org_id": "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
    "title": "稀土永磁材料高矫顽力制备关键技术",
    "industry": "新材料",
    "background": "企业现有产品矫顽力不足，制约高端电机应用。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": "15000000.00",
    "demand_requirements": "提供中试线与测试条件。",
    "supply_requirements": "具备稀土永磁研发团队。",
    "ip_ownership": "新产生知识产权归双方共有。",
    "benefit_sharing": "按投入比例分享收益。",
    "ip_records": [],
    "attachment_ids": [],
}
EXAMPLE_TRANSFER_LISTING: JsonDict = {
    "kind": "achievement_transfer",
    "proposer_org_id": "6e5d4c3b-2a19-4087-9f6e-5d4c3b2a1908",
    "title": "高矫顽力稀土永磁材料晶界扩散技术成果转化",
    "industry": "新材料",
    "background": "晶界扩散工艺已完成实验室验证，寻求区内企业实施产业化。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "transfer_content": "晶界扩散制备高矫顽力钕铁硼磁体的成套工艺。",
    "transfer_form": "专利实施许可",
    "application_direction": "新能源汽车驱动电机用高性能磁体。",
    "industrial_effect": "带动区内稀土永磁材料向高端应用延伸。",
    "transfer_service": "发榜方技术转移中心团队全程参与工艺移植与调试。",
    "time_requirement_months": 18,
    "total_rd_investment": "8000000.00",
    "demand_requirements": "提供工艺文件与技术指导。",
    "supply_requirements": "具备成果转化团队、生产场地和配套资金的区内企业。",
    "ip_ownership": "专利权归发榜方所有，许可揭榜方实施。",
    "benefit_sharing": "按产品销售额提成。",
    "ip_records": [
        {
            "kind": "invention_patent",
            "number": "ZL202110123456.7",
            "title": "一种高矫顽力钕铁硼磁体的制备方法",
            "holder": "内蒙古某某大学",
        }
    ],
    "attachment_ids": [],
}


class ListingIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [EXAMPLE_LISTING, EXAMPLE_TRANSFER_LISTING],
            # An emergency listing has no proposer (the department runs it); every other has one.
            **when(
                "kind",
                "emergency",
                then={"properties": {"proposer_org_id": {"type": "null"}}},
                otherwise={
                    "required": ["proposer_org_id"],
                    "properties": {"proposer_org_id": {"type": "string", "format": "uuid"}},
                },
            ),
        }
    )

    kind: ListingKind
    proposer_org_id: uuid.UUID | None = Field(None, description="Null only for emergency.")
    title: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(None, max_length=100)
    background: Text | None = None
    key_technologies: list[KeyTechnology] = Field(default_factory=list, max_length=50)
    transfer_content: Text | None = None
    transfer_form: str | None = Field(None, max_length=200)
    application_direction: Text | None = Field(
        None, description="Achievement transfer: its application direction (第七条（一）)."
    )
    industrial_effect: Text | None = Field(
        None,
        description="Achievement transfer: the industrial upgrading it is expected to drive "
        "(第七条（一）).",
    )
    transfer_service: Text | None = Field(
        None,
        description="Achievement transfer: the proposer's transfer service team, or the "
        "third-party institution that supports the transfer (第七条（三）).",
    )
    time_requirement_months: Months | None = None
    total_rd_investment: Money | None = Field(
        None, description="Above 0 before submission and publication (R-LIST-FIELDS)."
    )
    demand_requirements: Text | None = None
    supply_requirements: Text | None = None
    ip_ownership: Text | None = None
    benefit_sharing: Text | None = None
    ip_records: list[IpRecord] = Field(default_factory=list, max_length=100)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    def data(self) -> dict[str, Any]:
        values = self.model_dump(mode="python")
        values["attachment_ids"] = [str(a) for a in self.attachment_ids]
        return values


class ListingPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "稀土永磁材料关键技术（修订）"}]}
    )

    title: str = optional(min_length=1, max_length=200)
    industry: str = optional(max_length=100)
    background: Text = optional()
    key_technologies: list[KeyTechnology] = optional(max_length=50)
    transfer_content: Text = optional()
    transfer_form: str = optional(max_length=200)
    application_direction: Text = optional()
    industrial_effect: Text = optional()
    transfer_service: Text = optional()
    time_requirement_months: Months = optional()
    total_rd_investment: Money = optional()
    demand_requirements: Text = optional()
    supply_requirements: Text = optional()
    ip_ownership: Text = optional()
    benefit_sharing: Text = optional()
    ip_records: list[IpRecord] = optional(max_length=100)
    attachment_ids: list[uuid.UUID] = optional(max_length=50)

    def changes(self) -> dict[str, Any]:
        values = self.model_dump(mode="python", exclude_unset=True)
        if "attachment_ids" in values:
            values["attachment_ids"] = [str(a) for a in values["attachment_ids"]]
        return values


# A published listing: every key present, none null (a draft has the four instants null; a
# technology breakthrough has `transfer_content` and `transfer_form` null).
EXAMPLE_LISTING_OUT: JsonDict = {
    **EXAMPLE_TRANSFER_LISTING,
    "id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "code": "JB-2026-AT-0001",
    "status": "published",
    "allowed_actions": ["close", "cancel"],
    "confirmed_at": "2026-12-18T06:00:00Z",
    "application_opens_at": "2027-01-05T01:00:00Z",
    "application_closes_at": "2027-02-05T09:00:00Z",
    "published_at": "2027-01-04T02:00:00Z",
    "eligibility_warnings": [],
    "external_ref": None,
    "version": 7,
    "created_at": "2026-11-28T08:00:00Z",
    "updated_at": "2027-01-04T02:00:00Z",
}


ListingOperation = Literal[
    "submit",
    "screen",
    "assessments",
    "approve",
    "reject",
    "return",
    "confirm",
    "publish",
    "close",
    "withdraw",
    "cancel",
]


class ListingOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_LISTING_OUT]})

    id: uuid.UUID
    code: str = Field(description="JB-{year}-{TB|AT|EM}-{seq}")
    kind: ListingKind
    status: ListingStatus = Field(description="As of now: an ended window reads as closed.")
    allowed_actions: list[ListingOperation] = Field(
        description="What the state allows next, each the last path segment of its operation: "
        "`POST /api/v1/listings/{listing_id}/{action}`. Whether the caller may take it is "
        "a matter of role.",
        json_schema_extra=values(
            {
                "submit": ("提交", "Submit"),
                "screen": ("初筛（通过或不通过）", "Screen (pass or fail)"),
                "assessments": ("论证意见", "Add an assessment"),
                "approve": ("论证通过", "Approve"),
                "reject": ("不予通过", "Reject"),
                "return": ("退回修改", "Return for revision"),
                "confirm": ("确认榜单文本", "Confirm the final text"),
                "publish": ("发布", "Publish"),
                "close": ("截止", "Close"),
                "withdraw": ("撤回", "Withdraw"),
                "cancel": ("取消", "Cancel"),
            }
        ),
    )
    proposer_org_id: uuid.UUID | None
    title: str
    industry: str | None
    background: str | None
    key_technologies: list[KeyTechnology]
    transfer_content: str | None
    transfer_form: str | None
    application_direction: str | None
    industrial_effect: str | None
    transfer_service: str | None
    time_requirement_months: int | None
    total_rd_investment: Money | None
    demand_requirements: str | None
    supply_requirements: str | None
    ip_ownership: str | None
    benefit_sharing: str | None
    ip_records: list[IpRecord]
    attachment_ids: list[str]
    confirmed_at: datetime | None
    application_opens_at: datetime | None
    application_closes_at: datetime | None
    published_at: datetime | None
    eligibility_warnings: list[Finding] = Field(
        description="What the submission check found for the reviewers' attention (it never "
        "blocks); empty before submission."
    )
    external_ref: str | None = Field(
        description=EXTERNAL_REF,
        json_schema_extra={"examples": ["PLAN-2027-XQ-000123"]},
    )
    version: int
    created_at: datetime
    updated_at: datetime


class ListingPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_LISTING_OUT],
                    "next_cursor": example_cursor(EXAMPLE_LISTING_OUT),
                }
            ]
        }
    )

    items: list[ListingOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class ScreenIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"passed": True, "comment": "符合征集方向"}]}
    )

    passed: StrictBool
    comment: str | None = Field(None, max_length=2000)


class AssessmentIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"assessor": "张教授", "conclusion": "support", "comment": "需求明确"}]
        }
    )

    assessor: str = Field(min_length=1, max_length=100)
    conclusion: Literal["support", "oppose", "revise"] = Field(
        json_schema_extra=values(
            {
                "support": ("支持", "Support"),
                "oppose": ("不支持", "Oppose"),
                "revise": ("修改后再议", "Revise first"),
            }
        )
    )
    comment: str | None = Field(None, max_length=5000)
    layout_fit: StrictBool | None = Field(
        None,
        description="Achievement transfer: whether the achievement fits the region's overall "
        "development layout (第七条（一）, R-ELIG-AT-LAYOUT); leave out when not judged.",
    )


class AssessmentOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
                    "assessor": "张教授",
                    "conclusion": "support",
                    "comment": "需求明确",
                    "layout_fit": True,
                    "created_at": "2026-11-28T08:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    assessor: str
    conclusion: str
    comment: str | None
    layout_fit: bool | None = Field(
        description="The department's judgement of fit with the region's layout (第七条（一）); "
        "null when not judged."
    )
    created_at: datetime


class AssessmentList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": []}]})

    items: list[AssessmentOut]


class ReasonIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "需求与征集方向不符"}]})

    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"reason": "提前截止"}]})

    reason: str | None = Field(None, min_length=1, max_length=2000)


class EmptyIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class PublishIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_opens_at": "2027-01-05T09:00:00+08:00",
                    "application_closes_at": "2027-02-05T17:00:00+08:00",
                }
            ]
        }
    )

    application_opens_at: IsoDatetime
    application_closes_at: IsoDatetime


# The public view of EXAMPLE_LISTING_OUT.
EXAMPLE_PUBLIC: JsonDict = {
    **{
        name: EXAMPLE_LISTING_OUT[name]
        for name in (
            "id",
            "code",
            "kind",
            "status",
            "title",
            "industry",
            "background",
            "key_technologies",
            "transfer_content",
            "transfer_form",
            "application_direction",
            "industrial_effect",
            "transfer_service",
            "time_requirement_months",
            "total_rd_investment",
            "demand_requirements",
            "supply_requirements",
            "ip_ownership",
            "benefit_sharing",
            "ip_records",
            "application_opens_at",
            "application_closes_at",
            "published_at",
        )
    },
    "proposer": {"id": EXAMPLE_TRANSFER_LISTING["proposer_org_id"], "name": "内蒙古某某大学"},
}


class PublicProposer(ResponseBody):
    id: uuid.UUID
    name: str


class PublicListingOut(ResponseBody):
    """What anyone may read of a published listing."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PUBLIC]})

    id: uuid.UUID
    code: str
    kind: ListingKind
    status: ListingStatus
    proposer: PublicProposer | None = Field(description="Null for emergency listings.")
    title: str
    industry: str | None
    background: str | None
    key_technologies: list[KeyTechnology]
    transfer_content: str | None
    transfer_form: str | None
    application_direction: str | None
    industrial_effect: str | None
    transfer_service: str | None
    time_requirement_months: int | None
    total_rd_investment: Money | None
    demand_requirements: str | None
    supply_requirements: str | None
    ip_ownership: str | None
    benefit_sharing: str | None
    ip_records: list[IpRecord]
    application_opens_at: datetime | None
    application_closes_at: datetime | None
    published_at: datetime | None


class PublicListingPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_PUBLIC],
                    "next_cursor": example_cursor(EXAMPLE_PUBLIC, key="published_at"),
                }
            ]
        }
    )

    items: list[PublicListingOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
