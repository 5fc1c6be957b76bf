"""Bodies of signing, projects and announcements (第九条（七）（八）)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.agreements.workflow import AgreementStatus, Document, Party
from jiebang_api.api.schema_extras import labels_of, values, when
from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    Money,
    RequestBody,
    ResponseBody,
    example_cursor,
)
from jiebang_api.listings.enums import ListingKind
from jiebang_api.projects.workflow import ProjectStatus

AGREEMENT = "708192a3-b4c5-4d6e-8f70-8192a3b4c5d6"
PROJECT = "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8"
SCAN = "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9"


def _sides_only() -> JsonDict:
    schema: JsonDict = {"enum": ["demand", "supply"], "description": "The two sides only."}
    values(labels_of(Party, ("demand", "supply")))(schema)
    return schema


_SIDES = _sides_only()


class SignatureIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"document": "agreement", "party": "supply", "attachment_id": SCAN}],
            # R-WF-SIGN-ALL: the department signs the task book, not the agreement.
            **when(
                "document",
                "agreement",
                then={"properties": {"party": _SIDES}},
                otherwise={},
            ),
        }
    )

    document: Document
    party: Party = Field(
        description="Whom the caller signs for: `demand` / `supply` a member of that side's "
        "organisation (the department for an emergency listing's demand side), `department` "
        "an administrator, on the task book only (422 citing R-WF-SIGN-ALL otherwise)."
    )
    attachment_id: uuid.UUID = Field(description="The signed document's scan, uploaded first.")


class SignatureOut(ResponseBody):
    document: Document
    party: Party
    attachment_id: uuid.UUID
    signed_by: uuid.UUID | None
    signed_at: datetime


class Missing(ResponseBody):
    document: Document
    party: Party


EXAMPLE_SIGNING: JsonDict = {
    "agreement_id": AGREEMENT,
    "status": "publicity_passed",
    "signatures": [
        {
            "document": "agreement",
            "party": "supply",
            "attachment_id": SCAN,
            "signed_by": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
            "signed_at": "2027-03-20T02:00:00Z",
        }
    ],
    "missing": [
        {"document": "agreement", "party": "demand"},
        {"document": "task_book", "party": "demand"},
        {"document": "task_book", "party": "department"},
        {"document": "task_book", "party": "supply"},
    ],
    "project_id": None,
}


class SigningOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SIGNING]})

    agreement_id: uuid.UUID
    status: AgreementStatus
    signatures: list[SignatureOut]
    missing: list[Missing] = Field(description="The signatures still needed (R-WF-SIGN-ALL).")
    project_id: uuid.UUID | None = Field(description="The project, once every signature is in.")


EXAMPLE_PROJECT: JsonDict = {
    "id": PROJECT,
    "code": "XM-2027-0001",
    "agreement_id": AGREEMENT,
    "application_id": "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3",
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "kind": "tech_breakthrough",
    "title": "稀土永磁材料高效回收技术",
    "demand_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "supply_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "lead_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "policy_version_id": "8f0c2a4e-7d51-4c3b-9a2e-15ab7c3d0001",
    "agreement_amount": "4500000.00",
    "total_rd_investment": "15000000.00",
    "requested_subsidy": "3000000.00",
    "start_on": "2027-04-01",
    "end_on": "2029-03-31",
    "status": "in_progress",
    "signed_at": "2027-03-21T02:00:00Z",
    "plan_system_id": "NMG-KJ-2027-000123",
    "created_at": "2027-03-21T02:00:00Z",
}


class ProjectOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PROJECT]})

    id: uuid.UUID
    code: str = Field(description="XM-{year}-{number}, the year of the signing.")
    agreement_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    kind: ListingKind
    title: str
    demand_org_id: uuid.UUID | None = Field(
        description="Null for an emergency listing: the department stands for the demand side."
    )
    supply_org_id: uuid.UUID
    lead_org_id: uuid.UUID = Field(description="The application's lead solver.")
    policy_version_id: uuid.UUID | None
    agreement_amount: Money
    total_rd_investment: Money
    requested_subsidy: Money = Field(
        description="The subsidy the agreement asks for; the funding decision sets the subsidy."
    )
    start_on: date
    end_on: date = Field(description="The last day: the start plus the agreed months.")
    status: ProjectStatus
    signed_at: datetime
    plan_system_id: str | None = Field(
        description=(
            "The project's id in the region's plan management system, recorded from its "
            "answer once it has accepted the project (Art. 9 (8)); null until then or while "
            "the sync is off."
        ),
        examples=["NMG-KJ-2027-000123"],
    )
    created_at: datetime


class ProjectPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [EXAMPLE_PROJECT], "next_cursor": example_cursor(EXAMPLE_PROJECT)}
            ]
        }
    )

    items: list[ProjectOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class AnnouncementBody(ResponseBody):
    project_code: str
    listing_code: str | None
    listing_title: str
    kind: ListingKind
    demand_side: str
    supply_side: str
    agreement_amount: Money
    requested_subsidy: Money
    start_on: date
    end_on: date


EXAMPLE_ANNOUNCEMENT: JsonDict = {
    "id": "b4c5d6e7-f809-4a1b-b3c4-d5e6f7a8b9c0",
    "project_id": PROJECT,
    "title": "稀土永磁材料高效回收技术 揭榜结果公告",
    "body": {
        "project_code": "XM-2027-0001",
        "listing_code": "JB-2027-TB-0001",
        "listing_title": "稀土永磁材料高效回收技术",
        "kind": "tech_breakthrough",
        "demand_side": "某某稀土有限公司",
        "supply_side": "某某大学",
        "agreement_amount": "4500000.00",
        "requested_subsidy": "3000000.00",
        "start_on": "2027-04-01",
        "end_on": "2029-03-31",
    },
    "published_at": "2027-03-21T02:00:00Z",
    "created_at": "2027-03-21T02:00:00Z",
}


class AnnouncementOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ANNOUNCEMENT]})

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    body: AnnouncementBody
    published_at: datetime
    created_at: datetime


class AnnouncementPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_ANNOUNCEMENT],
                    "next_cursor": example_cursor(EXAMPLE_ANNOUNCEMENT),
                }
            ]
        }
    )

    items: list[AnnouncementOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


EXAMPLE_PUBLIC_PROJECT: JsonDict = {
    "id": PROJECT,
    "code": "XM-2027-0001",
    "title": "稀土永磁材料高效回收技术",
    "kind": "tech_breakthrough",
    "demand_side": "某某稀土有限公司",
    "supply_side": "某某大学",
    "subsidy": "1000000.00",
    "disbursed": "333333.33",
    "start_on": "2027-04-01",
    "end_on": "2029-03-31",
    "status": "in_progress",
}


class PublicProjectOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PUBLIC_PROJECT]})

    id: uuid.UUID
    code: str
    title: str
    kind: ListingKind
    demand_side: str = Field(
        description="The demand side's name (内蒙古自治区科学技术厅 for an emergency project)."
    )
    supply_side: str
    subsidy: Money | None = Field(description="The decided subsidy; null until decided.")
    disbursed: Money
    start_on: date
    end_on: date
    status: ProjectStatus


class PublicProjectPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_PUBLIC_PROJECT],
                    "next_cursor": example_cursor(
                        {"created_at": "2027-03-21T02:00:00Z", "id": PROJECT}
                    ),
                }
            ]
        }
    )

    items: list[PublicProjectOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)
