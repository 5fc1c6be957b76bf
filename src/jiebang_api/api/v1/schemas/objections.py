"""Bodies of the public notice and its objections (公示, 第九条（七）)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, get_args

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.agreements.workflow import FilerKind, NoticeState, ObjectionStatus
from jiebang_api.api.schema_extras import labels_of, values
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    NO_NUL,
    Money,
    RequestBody,
    ResponseBody,
    example_cursor,
)
from jiebang_api.listings.enums import ListingKind

AGREEMENT = "708192a3-b4c5-4d6e-8f70-8192a3b4c5d6"
EXAMPLE_NOTICE: JsonDict = {
    "id": AGREEMENT,
    "listing": {
        "id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
        "code": "JB-2027-TB-0001",
        "title": "稀土永磁材料高效回收技术",
        "kind": "tech_breakthrough",
    },
    "demand_side": "某某稀土有限公司",
    "supply_side": "某某大学",
    "agreement_amount": "4500000.00",
    "requested_subsidy": "3000000.00",
    "publicity_starts_on": "2027-03-10",
    "publicity_ends_on": "2027-03-16",
    "objections_close_at": "2027-03-16T16:00:00Z",
    "state": "open",
}


class NoticeListing(ResponseBody):
    id: uuid.UUID
    code: str | None
    title: str
    kind: ListingKind


class NoticeOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_NOTICE]})

    id: uuid.UUID = Field(description="The agreement's id: objections are filed under it.")
    listing: NoticeListing
    demand_side: str = Field(
        description="The demand side's name (内蒙古自治区科学技术厅 for an emergency listing, "
        "where the department stands for it)."
    )
    supply_side: str
    agreement_amount: Money
    requested_subsidy: Money
    publicity_starts_on: date
    publicity_ends_on: date
    objections_close_at: datetime = Field(
        description="Objections are taken until just before this instant (the end of the "
        "last day in Asia/Shanghai)."
    )
    state: NoticeState = Field(description="Where the notice stands now.")


class NoticePage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_NOTICE],
                    "next_cursor": example_cursor(
                        {"created_at": "2027-03-05T02:00:00Z", "id": AGREEMENT}
                    ),
                }
            ]
        }
    )

    items: list[NoticeOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


EXAMPLE_OBJECTION: JsonDict = {
    "filer_name": "张三",
    "filer_kind": "individual",
    "contact": "13800000000",
    "grounds": "揭榜方团队负责人存在科研失信记录。",
    "attachment_ids": [],
}


class ObjectionIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_OBJECTION]})

    filer_name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    filer_kind: FilerKind
    contact: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="How the department reaches the filer (phone, e-mail, address); only the "
        "department reads it.",
    )
    grounds: str = Field(min_length=1, max_length=10_000, pattern=NO_NUL)
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="Files the caller uploaded (signed-in filers only; anyone else sends none).",
    )


EXAMPLE_RECEIPT: JsonDict = {
    "id": "8192a3b4-c5d6-4e7f-8081-92a3b4c5d6e7",
    "notice_id": AGREEMENT,
    "status": "open",
    "filed_at": "2027-03-12T03:00:00Z",
}


class ObjectionReceipt(ResponseBody):
    """What the filer gets back: the objection's number and that it is open."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RECEIPT]})

    id: uuid.UUID
    notice_id: uuid.UUID
    status: ObjectionStatus
    filed_at: datetime


EXAMPLE_OBJECTION_OUT: JsonDict = {
    **EXAMPLE_OBJECTION,
    "id": "8192a3b4-c5d6-4e7f-8081-92a3b4c5d6e7",
    "agreement_id": AGREEMENT,
    "filed_by": None,
    "status": "open",
    "resolution_reason": None,
    "resolved_by": None,
    "resolved_at": None,
    "created_at": "2027-03-12T03:00:00Z",
}


class ObjectionOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_OBJECTION_OUT]})

    id: uuid.UUID
    agreement_id: uuid.UUID
    filer_name: str
    filer_kind: FilerKind
    contact: str
    grounds: str
    attachment_ids: list[uuid.UUID]
    filed_by: uuid.UUID | None = Field(description="The signed-in filer; null: anonymous.")
    status: ObjectionStatus
    resolution_reason: str | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    created_at: datetime


class ObjectionPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_OBJECTION_OUT],
                    "next_cursor": example_cursor(EXAMPLE_OBJECTION_OUT),
                }
            ]
        }
    )

    items: list[ObjectionOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


Outcome = Literal["upheld", "dismissed"]


class ResolveIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "dismissed", "reason": "经核查，所述失信记录已于2025年移出名单。"}
            ]
        }
    )

    outcome: Outcome = Field(
        json_schema_extra=values(labels_of(ObjectionStatus, get_args(Outcome)))
    )
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
