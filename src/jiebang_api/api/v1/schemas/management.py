"""Bodies of the department's management of a project: entrustments to an agency
(第十四条), the acceptance (第十二条) and misconduct cases (第十七条)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.schema_extras import values
from jiebang_api.api.v1.schemas.base import (
    NO_NUL,
    IsoDate,
    RequestBody,
    ResponseBody,
    Score,
)
from jiebang_api.projects.access import Scope

PROJECT = "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8"
AGENCY = "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4"
ADMIN = "0a1b2c3d-4e5f-4061-8273-a4b5c6d7e8f9"
ATTACHMENT = "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9"

AcceptanceMethod = Literal["acceptance", "performance_evaluation"]
ACCEPTANCE_METHODS = values(
    {
        "acceptance": ("项目验收", "Acceptance"),
        "performance_evaluation": ("综合绩效评价", "Performance evaluation"),
    }
)
AcceptanceOutcome = Literal["passed", "failed"]
ACCEPTANCE_OUTCOMES = values({"passed": ("通过", "Passed"), "failed": ("未通过", "Failed")})
AcceptanceStatus = Literal["requested", "passed", "failed"]
ACCEPTANCE_STATUSES = values(
    {
        "requested": ("已申请，待验收", "Requested, awaiting the result"),
        "passed": ("通过", "Passed"),
        "failed": ("未通过", "Failed"),
    }
)
CaseStatus = Literal["open", "cleared", "sanctioned"]
CASE_STATUSES = values(
    {
        "open": ("调查中", "Under investigation"),
        "cleared": ("已澄清", "Cleared"),
        "sanctioned": ("已处理", "Sanctioned"),
    }
)
CaseOutcome = Literal["cleared", "sanctioned"]
CASE_OUTCOMES = values(
    {
        "cleared": ("查无实据，恢复项目", "Unfounded: the project resumes"),
        "sanctioned": ("查实并处理", "Founded and sanctioned"),
    }
)
Attachments = list[uuid.UUID]


class EntrustmentIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"agency_org_id": AGENCY, "scope": ["reports", "acceptance"]}]
        }
    )

    agency_org_id: uuid.UUID = Field(description="An organisation of type `agency`.")
    scope: list[Scope] = Field(
        min_length=1,
        max_length=3,
        description="What the agency may do on the project, each at most once.",
        json_schema_extra={"uniqueItems": True},
    )


EXAMPLE_ENTRUSTMENT: JsonDict = {
    "id": "6f708192-a3b4-4c5d-9e6f-708192a3b4c5",
    "project_id": PROJECT,
    "agency_org_id": AGENCY,
    "scope": ["reports", "acceptance"],
    "active": True,
    "created_by": ADMIN,
    "created_at": "2027-05-01T02:00:00Z",
    "revoked_at": None,
    "revoked_by": None,
}


class EntrustmentOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_ENTRUSTMENT]}
    )

    id: uuid.UUID
    project_id: uuid.UUID
    agency_org_id: uuid.UUID
    scope: list[Scope]
    active: bool = Field(description="False once revoked.")
    created_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: uuid.UUID | None


class EntrustmentList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_ENTRUSTMENT]}]})

    items: list[EntrustmentOut]


class AcceptanceRequestIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"summary": "各里程碑均已完成，申请验收", "attachment_ids": [ATTACHMENT]}]
        }
    )

    summary: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    attachment_ids: Attachments = Field(
        default_factory=list, max_length=20, description="Your uploads: the final report, …"
    )


class AcceptanceResultIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "method": "acceptance",
                    "outcome": "passed",
                    "score": "86.5",
                    "comments": "目标指标全部达成",
                    "attachment_ids": [ATTACHMENT],
                }
            ]
        }
    )

    method: AcceptanceMethod = Field(json_schema_extra=ACCEPTANCE_METHODS)
    outcome: AcceptanceOutcome = Field(json_schema_extra=ACCEPTANCE_OUTCOMES)
    score: Score | None = Field(None, description="0 to 100, where the method scores.")
    comments: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    attachment_ids: Attachments = Field(
        default_factory=list, max_length=20, description="Your uploads: the expert opinions, …"
    )


EXAMPLE_ACCEPTANCE: JsonDict = {
    "id": "708192a3-b4c5-4d6e-8f70-8192a3b4c5d6",
    "project_id": PROJECT,
    "status": "passed",
    "summary": "各里程碑均已完成，申请验收",
    "attachment_ids": [ATTACHMENT],
    "requested_by": "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9",
    "requested_at": "2029-03-01T02:00:00Z",
    "method": "acceptance",
    "score": "86.5",
    "comments": "目标指标全部达成",
    "result_attachment_ids": [],
    "decided_by": ADMIN,
    "decided_at": "2029-03-20T02:00:00Z",
}


class AcceptanceOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ACCEPTANCE]})

    id: uuid.UUID
    project_id: uuid.UUID
    status: AcceptanceStatus = Field(json_schema_extra=ACCEPTANCE_STATUSES)
    summary: str
    attachment_ids: list[uuid.UUID]
    requested_by: uuid.UUID | None
    requested_at: datetime
    method: AcceptanceMethod | None = Field(json_schema_extra=ACCEPTANCE_METHODS)
    score: Score | None
    comments: str | None
    result_attachment_ids: list[uuid.UUID]
    decided_by: uuid.UUID | None
    decided_at: datetime | None


class MisconductCaseIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"allegation": "涉嫌虚报研发投入套取补助", "source": "群众举报"}]
        }
    )

    allegation: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    source: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="Where it came from."
    )


class CreditRecordOrder(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"starts_on": "2027-06-01", "ends_on": "2030-05-31"}]}
    )

    org_id: uuid.UUID | None = Field(
        None, description="A party of the project; the recipient of the subsidy when left out."
    )
    starts_on: IsoDate
    ends_on: IsoDate | None = Field(None, description="Inclusive; null while open-ended.")


class MisconductCloseIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "sanctioned",
                    "reason": "经查属实，依法处理",
                    "credit_record": {"starts_on": "2027-06-01", "ends_on": "2030-05-31"},
                }
            ]
        }
    )

    outcome: CaseOutcome = Field(json_schema_extra=CASE_OUTCOMES)
    reason: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    credit_record: CreditRecordOrder | None = Field(
        None,
        description="Sanctioned only: a serious-dishonesty record on a party, which "
        "R-ELIG-NO-DISHONESTY then enforces (422 with `cleared`).",
    )


EXAMPLE_CASE: JsonDict = {
    "id": "8192a3b4-c5d6-4e7f-8091-92a3b4c5d6e7",
    "project_id": PROJECT,
    "allegation": "涉嫌虚报研发投入套取补助",
    "source": "群众举报",
    "status": "open",
    "opened_by": ADMIN,
    "created_at": "2027-06-01T02:00:00Z",
    "closed_by": None,
    "closed_at": None,
    "close_reason": None,
    "credit_record_id": None,
}


class MisconductCaseOut(ResponseBody):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [EXAMPLE_CASE]})

    id: uuid.UUID
    project_id: uuid.UUID
    allegation: str
    source: str
    status: CaseStatus = Field(json_schema_extra=CASE_STATUSES)
    opened_by: uuid.UUID | None
    created_at: datetime
    closed_by: uuid.UUID | None
    closed_at: datetime | None
    close_reason: str | None
    credit_record_id: uuid.UUID | None


class MisconductCaseList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_CASE]}]})

    items: list[MisconductCaseOut]
