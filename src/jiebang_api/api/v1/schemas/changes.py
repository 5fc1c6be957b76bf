"""Bodies of change requests, the special audit and the recovery of a project's subsidy
(第十六条)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

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
from jiebang_api.projects.change_workflow import ChangeKind, ChangeStatus, ReasonCategory
from jiebang_api.projects.workflow import ProjectStatus

PROJECT = "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8"
CHANGE = "e7f8091a-2b3c-4d4e-95f6-a7b8c9d0e1f2"
SCAN = "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9"
USER = "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4"

Side = Literal["demand", "supply"]
SIDES = values({"demand": ("需求方", "The demand side"), "supply": ("供给方", "The supply side")})

EXAMPLE_EXTENSION_IN: JsonDict = {
    "kind": "extension",
    "reason_category": "force_majeure",
    "description": "受暴雪灾害影响，中试线停工三个月。",
    "new_end_on": "2029-09-30",
    "attachment_ids": [],
}


class ChangeRequestIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                EXAMPLE_EXTENSION_IN,
                {
                    "kind": "termination",
                    "reason_category": "force_majeure",
                    "description": "地震致试验基地损毁，项目无法继续实施。",
                    "attachment_ids": [],
                },
            ],
            **when(
                "kind",
                "extension",
                then={
                    "required": ["new_end_on"],
                    "properties": {"new_end_on": {"type": "string", "format": "date"}},
                },
                otherwise={"properties": {"new_end_on": {"type": "null"}}},
            ),
        }
    )

    kind: ChangeKind
    reason_category: ReasonCategory = Field(
        description="Only `force_majeure` qualifies (422 `RULE_VIOLATION` citing "
        "R-CHG-FORCE-MAJEURE, 第十六条, otherwise)."
    )
    description: str = Field(min_length=1, max_length=5000, pattern=NO_NUL)
    new_end_on: IsoDate | None = Field(
        None,
        description="An extension's new last day, after the current one (422 at this field "
        "otherwise); none for a termination.",
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="The caller's uploads (evidence)."
    )


EXAMPLE_CHANGE: JsonDict = {
    "id": CHANGE,
    "project_id": PROJECT,
    "kind": "extension",
    "reason_category": "force_majeure",
    "description": "受暴雪灾害影响，中试线停工三个月。",
    "new_end_on": "2029-09-30",
    "end_on_at_filing": "2029-03-31",
    "attachment_ids": [],
    "status": "awaiting_consent",
    "filed_by_side": "supply",
    "filed_by": USER,
    "consented_by": None,
    "consented_at": None,
    "decided_by": None,
    "decided_at": None,
    "decision_reason": None,
    "created_at": "2028-06-01T02:00:00Z",
}


class ChangeRequestOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CHANGE]})

    id: uuid.UUID
    project_id: uuid.UUID
    kind: ChangeKind
    reason_category: ReasonCategory
    description: str
    new_end_on: date | None
    end_on_at_filing: date = Field(description="The project's end date when it was filed.")
    attachment_ids: list[uuid.UUID]
    status: ChangeStatus
    filed_by_side: Side = Field(
        description="The side that filed, and so consented; the other side consents next "
        "(the department's approval stands for an emergency project's demand side).",
        json_schema_extra=SIDES,
    )
    filed_by: uuid.UUID | None
    consented_by: uuid.UUID | None
    consented_at: datetime | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class ChangeRequestPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EXAMPLE_CHANGE], "next_cursor": example_cursor(EXAMPLE_CHANGE)}]
        }
    )

    items: list[ChangeRequestOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class ChangeApprovalIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "经核实属不可抗力，同意延期。"}, {}]}
    )

    reason: str | None = Field(
        None, min_length=1, max_length=2000, pattern=NO_NUL, description="Optional."
    )


class ChangeRejectionIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "所述情形不属于不可抗力。"}]}
    )

    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class SpecialAuditIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "audited_eligible_spending": "120000.00",
                    "auditor": "内蒙古某某会计师事务所",
                    "report_attachment_id": SCAN,
                }
            ]
        }
    )

    audited_eligible_spending: FundingMoney = Field(
        description="The subsidy spent on eligible costs, as the audit found (0 or more)."
    )
    auditor: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    report_attachment_id: uuid.UUID = Field(description="The audit report, uploaded first.")


class RecoveryIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": "100000.00", "paid_on": "2028-09-15", "proof_attachment_id": SCAN}
            ]
        }
    )

    amount: PositiveFundingMoney = Field(
        description="At most what is still outstanding (422 `RULE_VIOLATION` citing "
        "R-CHG-TERMINATION-AUDIT otherwise)."
    )
    paid_on: IsoDate
    proof_attachment_id: uuid.UUID = Field(description="The bank's proof, uploaded first.")


class WriteOffIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "受资助单位已破产清算，剩余补助无法收回。",
                    "document_ref": "内科发〔2028〕12号",
                }
            ]
        }
    )

    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    document_ref: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="The decision's document."
    )


class SpecialAuditOut(ResponseBody):
    id: uuid.UUID
    disbursed: FundingMoney = Field(description="What was disbursed when audited.")
    audited_eligible_spending: FundingMoney
    recovery_due: FundingMoney = Field(
        description="max(0, disbursed − audited eligible spending) (R-CHG-TERMINATION-AUDIT)."
    )
    auditor: str
    report_attachment_id: uuid.UUID
    audited_by: uuid.UUID | None
    created_at: datetime


class RecoveryPaymentOut(ResponseBody):
    id: uuid.UUID
    amount: FundingMoney
    paid_on: date
    proof_attachment_id: uuid.UUID
    recorded_by: uuid.UUID | None
    created_at: datetime


class WriteOffOut(ResponseBody):
    amount: FundingMoney = Field(description="What was outstanding, written off.")
    reason: str
    document_ref: str
    decided_by: uuid.UUID | None
    decided_at: datetime


EXAMPLE_RECOVERY: JsonDict = {
    "project_id": PROJECT,
    "status": "terminating",
    "special_audit": {
        "id": "f8091a2b-3c4d-4e5f-a6b7-c8d9e0f1a2b3",
        "disbursed": "300000.00",
        "audited_eligible_spending": "120000.00",
        "recovery_due": "180000.00",
        "auditor": "内蒙古某某会计师事务所",
        "report_attachment_id": SCAN,
        "audited_by": USER,
        "created_at": "2028-09-01T02:00:00Z",
    },
    "recovery_due": "180000.00",
    "recovered": "100000.00",
    "outstanding": "80000.00",
    "written_off": None,
    "write_off": None,
    "recoveries": [
        {
            "id": "091a2b3c-4d5e-4f6a-b7c8-d9e0f1a2b3c4",
            "amount": "100000.00",
            "paid_on": "2028-09-15",
            "proof_attachment_id": SCAN,
            "recorded_by": USER,
            "created_at": "2028-09-16T02:00:00Z",
        }
    ],
}


class RecoveryOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RECOVERY]})

    project_id: uuid.UUID
    status: ProjectStatus
    special_audit: SpecialAuditOut | None = Field(description="Null until it is recorded.")
    recovery_due: FundingMoney | None = Field(description="Null until the special audit.")
    recovered: FundingMoney = Field(description="The sum of the recoveries.")
    outstanding: FundingMoney | None = Field(
        description="Due less recovered and written off; null until the special audit."
    )
    written_off: FundingMoney | None = Field(description="Null unless written off.")
    write_off: WriteOffOut | None = Field(
        description="The department's write-off decision (a reading of 第十六条), if any."
    )
    recoveries: list[RecoveryPaymentOut] = Field(description="Oldest first.")
