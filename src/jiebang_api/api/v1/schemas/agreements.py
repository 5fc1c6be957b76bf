"""Bodies of negotiation records and agreements (第九条（六）（七）)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StringConstraints
from pydantic.config import JsonDict

from jiebang_api.agreements.enums import FundingUse
from jiebang_api.agreements.workflow import AgreementStatus
from jiebang_api.api.findings import Finding
from jiebang_api.api.schema_extras import values
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    NO_NUL,
    IsoDate,
    Money,
    PositiveMoney,
    RequestBody,
    ResponseBody,
    WholeNumber,
    example_cursor,
    optional,
)
from jiebang_api.kit.workdays import CalendarSource

APPLICATION = "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3"
EXAMPLE_NEGOTIATION: JsonDict = {
    "held_on": "2027-03-02",
    "participants": ["科技厅成果转化处", "某某稀土公司", "某某大学"],
    "minutes": "双方就协议金额、付款节点和知识产权归属达成一致。",
    "attachment_ids": [],
}


Participant = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]


class NegotiationIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_NEGOTIATION]})

    held_on: IsoDate
    participants: list[Participant] = Field(
        min_length=1,
        max_length=50,
        description="Who took part: organisations or people, as the minutes name them.",
    )
    minutes: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


EXAMPLE_NEGOTIATION_OUT: JsonDict = {
    **EXAMPLE_NEGOTIATION,
    "id": "6f708192-a3b4-4c5d-8e6f-708192a3b4c5",
    "application_id": APPLICATION,
    "recorded_by": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
    "created_at": "2027-03-02T08:00:00Z",
}


class NegotiationOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_NEGOTIATION_OUT]})

    id: uuid.UUID
    application_id: uuid.UUID
    held_on: date
    participants: list[str]
    minutes: str
    attachment_ids: list[uuid.UUID]
    recorded_by: uuid.UUID | None
    created_at: datetime


class NegotiationPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_NEGOTIATION_OUT],
                    "next_cursor": example_cursor(EXAMPLE_NEGOTIATION_OUT),
                }
            ]
        }
    )

    items: list[NegotiationOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class Payment(RequestBody):
    seq: WholeNumber = Field(ge=1, le=100, description="1 for the first payment, and so on.")
    amount: Money
    due_on: IsoDate
    condition: str = Field(
        min_length=1, max_length=500, pattern=NO_NUL, description="e.g. 协议签订后10个工作日内"
    )


class AgreementMilestone(RequestBody):
    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    due_on: IsoDate
    deliverable: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)
    kpi: str = Field(min_length=1, max_length=1000, pattern=NO_NUL)


class BudgetLine(RequestBody):
    category: FundingUse = Field(description="One of the five uses of Art. 13 (R-FUND-USE).")
    amount: Money


EXAMPLE_TERMS: JsonDict = {
    "agreement_amount": "4500000.00",
    "total_rd_investment": "15000000.00",
    "requested_subsidy": "3000000.00",
    "start_on": "2027-04-01",
    "duration_months": 24,
    "payment_schedule": [
        {"seq": 1, "amount": "1500000.00", "due_on": "2027-04-15", "condition": "签约后"},
        {"seq": 2, "amount": "3000000.00", "due_on": "2028-04-15", "condition": "中试通过"},
    ],
    "ip_ownership": "新成果归需求方所有，供给方可无偿用于科研",
    "benefit_sharing": "产业化收益按 7:3 分配",
    "milestones": [
        {"title": "中试", "due_on": "2028-03-31", "deliverable": "中试报告", "kpi": "良率 ≥ 95%"}
    ],
    "budget_lines": [
        {"category": "key_tech_rd", "amount": "2000000.00"},
        {"category": "pilot_test", "amount": "1000000.00"},
    ],
}
SUMS = (
    "`payment_schedule` adds up to `agreement_amount`, `budget_lines` to `requested_subsidy` "
    "(422 `VALIDATION_FAILED` at the list otherwise)."
)


class AgreementTerms(RequestBody):
    agreement_amount: Money = Field(description="A: what the demand side pays the supply side.")
    total_rd_investment: PositiveMoney = Field(
        description="T: the project's total R&D investment (above 0)."
    )
    requested_subsidy: Money = Field(description="S: the subsidy the sides ask for.")
    start_on: IsoDate
    duration_months: WholeNumber = Field(ge=1, le=120)
    payment_schedule: list[Payment] = Field(min_length=1, max_length=60)
    ip_ownership: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    benefit_sharing: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    milestones: list[AgreementMilestone] = Field(min_length=1, max_length=50)
    budget_lines: list[BudgetLine] = Field(min_length=1, max_length=20)


class AgreementIn(AgreementTerms):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"application_id": APPLICATION, **EXAMPLE_TERMS}]}
    )

    application_id: uuid.UUID = Field(description="A recommended application, in its turn by rank.")

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="python")


class AgreementPatch(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"duration_months": 24, "ip_ownership": "双方共有"}]}
    )

    agreement_amount: Money = optional()
    total_rd_investment: PositiveMoney = optional()
    requested_subsidy: Money = optional()
    start_on: IsoDate = optional()
    duration_months: WholeNumber = optional(ge=1, le=120)
    payment_schedule: list[Payment] = optional(min_length=1, max_length=60)
    ip_ownership: str = optional(min_length=1, max_length=5000, pattern=NO_NUL)
    benefit_sharing: str = optional(min_length=1, max_length=5000, pattern=NO_NUL)
    milestones: list[AgreementMilestone] = optional(min_length=1, max_length=50)
    budget_lines: list[BudgetLine] = optional(min_length=1, max_length=20)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="python", exclude_unset=True)


WaivableRule = Literal["R-FUND-AGREEMENT-MIN", "R-TIME-TB-36M", "R-TIME-AT-24M"]


class WaiverIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule": "R-FUND-AGREEMENT-MIN",
                    "reason": "需求方为初创企业，经厅务会研究同意",
                    "document_ref": "内科发〔2027〕12号",
                }
            ]
        }
    )

    rule: WaivableRule = Field(
        description="An in-principle rule an agreement may be excused from; the subsidy caps "
        "are lifted by a case-by-case decision instead (R-FUND-CASE-BY-CASE).",
        json_schema_extra=values(
            {
                "R-FUND-AGREEMENT-MIN": (
                    "第十条：协议金额不少于研发总投入的30%",
                    "Art. 10: A ≥ 30% of T",
                ),
                "R-TIME-TB-36M": ("第十六条：技术攻关类不超过36个月", "Art. 16: 36 months at most"),
                "R-TIME-AT-24M": ("第十六条：成果转化类不超过24个月", "Art. 16: 24 months at most"),
            }
        ),
    )
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    document_ref: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="The decision's document."
    )


class DecisionIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "自治区重大产业链关键环节项目，经厅党组会议研究确定补助额度",
                    "document_ref": "内科发〔2027〕31号",
                }
            ]
        }
    )

    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    document_ref: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="The decision's document."
    )


class WaiverOut(ResponseBody):
    rule: str
    article: str
    reason: str
    document_ref: str
    decided_by: uuid.UUID | None
    decided_at: datetime


class Confirmation(ResponseBody):
    confirmed_by: uuid.UUID | None
    confirmed_at: datetime | None


class Findings(ResponseBody):
    blocking: list[Finding] = Field(
        description="Rules the terms break: confirmation and submission answer 422 "
        "`RULE_VIOLATION` with these until the terms change or a decision lifts them."
    )
    waived: list[Finding] = Field(description="Rules the terms break that a waiver lifted.")


EXAMPLE_AGREEMENT_OUT: JsonDict = {
    "id": "708192a3-b4c5-4d6e-8f70-8192a3b4c5d6",
    "application_id": APPLICATION,
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "demand_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "supply_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "status": "draft",
    **EXAMPLE_TERMS,
    "policy_version_id": "8f0c2a4e-7d51-4c3b-9a2e-15ab7c3d0001",
    "demand_confirmation": {"confirmed_by": None, "confirmed_at": None},
    "supply_confirmation": {"confirmed_by": None, "confirmed_at": None},
    "waivers": [],
    "case_by_case": None,
    "findings": {"blocking": [], "waived": []},
    "submitted_at": None,
    "publicity_starts_on": None,
    "publicity_ends_on": None,
    "objections_close_at": None,
    "publicity_calendar": None,
    "open_objections": 0,
    "signed_at": None,
    "version": 1,
    "created_at": "2027-03-05T02:00:00Z",
    "updated_at": "2027-03-05T02:00:00Z",
}


class AgreementOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_AGREEMENT_OUT]})

    id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    agreement_amount: Money
    total_rd_investment: Money
    requested_subsidy: Money
    start_on: date
    duration_months: int
    payment_schedule: list[Payment]
    ip_ownership: str
    benefit_sharing: str
    milestones: list[AgreementMilestone]
    budget_lines: list[BudgetLine]
    demand_org_id: uuid.UUID | None = Field(
        description="Null for an emergency listing: the department stands for the demand side."
    )
    supply_org_id: uuid.UUID
    status: AgreementStatus
    policy_version_id: uuid.UUID | None = Field(
        description="The policy version whose figures bind the agreement (the one in force "
        "when it was drafted); null: the measures' own."
    )
    demand_confirmation: Confirmation
    supply_confirmation: Confirmation
    waivers: list[WaiverOut]
    case_by_case: WaiverOut | None = Field(
        description="The department's case-by-case decision (R-FUND-CASE-BY-CASE) that lifts "
        "the subsidy caps; null: none recorded, the caps bind."
    )
    findings: Findings
    submitted_at: datetime | None
    publicity_starts_on: date | None = Field(
        description="The notice's first working day (the first after the approval)."
    )
    publicity_ends_on: date | None = Field(description="The notice's last working day.")
    objections_close_at: datetime | None = Field(
        description="Objections are taken until just before this instant: the end of "
        "`publicity_ends_on` in Asia/Shanghai."
    )
    publicity_calendar: dict[str, CalendarSource] | None = Field(
        description="Per year the notice counted, where its working days came from; "
        "`weekdays` means nobody knew the year's holidays and Monday to Friday were counted."
    )
    open_objections: int = Field(
        description="Objections filed and not yet decided: the notice cannot pass meanwhile."
    )
    signed_at: datetime | None = Field(description="When the last signature came in.")
    version: int
    created_at: datetime
    updated_at: datetime


class ApproveIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"skip_notice": True}]})

    skip_notice: StrictBool = Field(
        False,
        description="Only for an emergency listing's agreement (R-WF-EM-SIMPLIFIED): approve "
        "without a public notice, straight to `publicity_passed`; the skip is audited.",
    )
