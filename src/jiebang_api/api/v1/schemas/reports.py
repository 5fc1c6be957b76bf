"""Bodies of a project's milestones and reports, and of their review (第十三条, 第十四条)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.agreements.enums import FundingUse
from jiebang_api.api.schema_extras import values, when
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    NO_NUL,
    FundingMoney,
    IsoDate,
    PositiveFundingMoney,
    RequestBody,
    ResponseBody,
    example_cursor,
)
from jiebang_api.projects.milestones import (
    MilestoneProgress,
    MilestoneStatus,
    ReportKind,
    ReviewOutcome,
)

PROJECT = "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8"
MILESTONE = "e7f8091a-2b3c-4d4e-95f6-a7b8c9d0e1f2"
REPORT = "f8091a2b-3c4d-4e5f-a6a7-b8c9d0e1f2a3"
USER = "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4"
FILE = "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9"

# Submitted, then the review's outcome.
ReportState = Literal["submitted", "accepted", "needs_revision"]
REPORT_STATES = values(
    {
        "submitted": ("待审查", "Awaiting review"),
        "accepted": ("审查通过", "Accepted"),
        "needs_revision": ("退回修改", "Returned for revision"),
    }
)

EXAMPLE_MILESTONE: JsonDict = {
    "id": MILESTONE,
    "project_id": PROJECT,
    "seq": 1,
    "title": "中试",
    "due_on": "2028-03-31",
    "deliverable": "中试报告",
    "kpi": "良率 ≥ 95%",
    "status": "pending",
    "met_on": None,
    "last_progress": "on_track",
    "last_note": "中试线已安装调试",
    "last_report_id": REPORT,
}


class MilestoneOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_MILESTONE]})

    id: uuid.UUID
    project_id: uuid.UUID
    seq: int = Field(description="Its place in the agreement's list, from 1.")
    title: str
    due_on: date = Field(description="Due by the end of this day (Asia/Shanghai).")
    deliverable: str
    kpi: str
    status: MilestoneStatus = Field(
        description="`overdue`: not met after the end of its due day, at the service's clock "
        "(computed on reading)."
    )
    met_on: date | None = Field(description="The day of the report that marked it met.")
    last_progress: MilestoneProgress | None = Field(
        description="What the last report that named it said; null before any."
    )
    last_note: str | None
    last_report_id: uuid.UUID | None


class MilestoneList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_MILESTONE]}]})

    items: list[MilestoneOut] = Field(description="In the agreement's order.")


class MilestoneUpdateIn(RequestBody):
    milestone_id: uuid.UUID = Field(description="One of the project's milestones.")
    status: MilestoneProgress = Field(description="`met` marks the milestone met.")
    note: str | None = Field(None, max_length=2000, pattern=NO_NUL)


class ReportExpenditure(RequestBody):
    category: FundingUse = Field(description="One of the five uses of Art. 13 (R-FUND-USE).")
    amount: PositiveFundingMoney = Field(description="Subsidy spent on it in the period.")


EXAMPLE_REPORT_IN: JsonDict = {
    "kind": "expenditure",
    "period_start": "2027-04-01",
    "period_end": "2027-09-30",
    "summary": "完成关键技术攻关第一阶段。",
    "milestone_updates": [{"milestone_id": MILESTONE, "status": "on_track", "note": "按计划"}],
    "expenditures": [
        {"category": "key_tech_rd", "amount": "200000.00"},
        {"category": "pilot_test", "amount": "100000.00"},
    ],
    "attachment_ids": [FILE],
}


class ReportIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_REPORT_IN,
                {
                    **EXAMPLE_REPORT_IN,
                    "kind": "progress",
                    "expenditures": [],
                    "milestone_updates": [
                        {"milestone_id": MILESTONE, "status": "met", "note": "中试完成"}
                    ],
                },
            ],
            # Expenditures on an expenditure report only, and required there.
            **when(
                "kind",
                "expenditure",
                then={
                    "required": ["expenditures"],
                    "properties": {"expenditures": {"minItems": 1}},
                },
                otherwise={"properties": {"expenditures": {"maxItems": 0}}},
            ),
        }
    )

    kind: ReportKind
    period_start: IsoDate
    period_end: IsoDate = Field(description="Not before `period_start` (422 otherwise).")
    summary: str = Field(min_length=1, max_length=10000, pattern=NO_NUL)
    milestone_updates: list[MilestoneUpdateIn] = Field(
        default_factory=list,
        max_length=50,
        description="Each of the project's milestones at most once (422 for another's).",
    )
    expenditures: list[ReportExpenditure] = Field(
        default_factory=list,
        max_length=50,
        description="An expenditure report's, at least one; none on a progress report. With "
        "the project's other expenditure reports not returned for revision, never more than "
        "the subsidy disbursed (422 `RULE_VIOLATION` citing R-FUND-USE, 第十三条).",
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="The caller's own uploads."
    )


class ReportExpenditureOut(ResponseBody):
    category: FundingUse
    amount: FundingMoney


class MilestoneUpdateOut(ResponseBody):
    milestone_id: uuid.UUID
    status: MilestoneProgress
    note: str | None


EXAMPLE_REPORT: JsonDict = {
    "id": REPORT,
    "project_id": PROJECT,
    "kind": "expenditure",
    "period_start": "2027-04-01",
    "period_end": "2027-09-30",
    "summary": "完成关键技术攻关第一阶段。",
    "milestone_updates": [{"milestone_id": MILESTONE, "status": "on_track", "note": "按计划"}],
    "expenditures": [
        {"category": "key_tech_rd", "amount": "200000.00"},
        {"category": "pilot_test", "amount": "100000.00"},
    ],
    "spent": "300000.00",
    "attachment_ids": [FILE],
    "submitted_by": USER,
    "submitted_on": "2027-10-08",
    "status": "submitted",
    "review_comment": None,
    "reviewed_by": None,
    "reviewed_at": None,
    "created_at": "2027-10-08T02:00:00Z",
}


class ReportOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_REPORT]})

    id: uuid.UUID
    project_id: uuid.UUID
    kind: ReportKind
    period_start: date
    period_end: date
    summary: str
    milestone_updates: list[MilestoneUpdateOut]
    expenditures: list[ReportExpenditureOut]
    spent: FundingMoney = Field(description="The sum of the expenditures (0 on progress).")
    attachment_ids: list[uuid.UUID]
    submitted_by: uuid.UUID | None
    submitted_on: date = Field(description="The report's day (Asia/Shanghai).")
    status: ReportState = Field(json_schema_extra=REPORT_STATES)
    review_comment: str | None
    reviewed_by: uuid.UUID | None
    reviewed_at: datetime | None
    created_at: datetime


class ReportPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EXAMPLE_REPORT], "next_cursor": example_cursor(EXAMPLE_REPORT)}]
        }
    )

    items: list[ReportOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class ReportReviewIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "accepted", "comment": "支出与预算一致。"},
                {"outcome": "needs_revision", "comment": "请补充中试记录。"},
            ]
        }
    )

    outcome: ReviewOutcome = Field(
        description="`needs_revision` returns the report: its expenditures no longer count, "
        "and the side owes a later report of the same kind before acceptance."
    )
    comment: str | None = Field(None, max_length=2000, pattern=NO_NUL)
