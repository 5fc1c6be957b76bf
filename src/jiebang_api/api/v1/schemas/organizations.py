"""Bodies of organisations, members, credit records and history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import (
    NEXT_CURSOR,
    IsoDate,
    RequestBody,
    ResponseBody,
    example_cursor,
    optional,
)
from jiebang_api.auth.principal import MembershipRole
from jiebang_api.organizations.credit import CreditRecordKind
from jiebang_api.organizations.enums import MembershipStatus, OrganizationType
from jiebang_api.organizations.flags import Flag

EXAMPLE_ORG: JsonDict = {
    "name": "内蒙古某某稀土新材料有限公司",
    "uscc": "91150000MA0N123406",
    "type": "enterprise",
    "independent_legal_person": True,
    "central_enterprise_branch": False,
    "pays_tax_in_region": True,
    "high_tech": True,
    "tech_based": True,
    "large_influential": True,
    "partner_4_8_n": False,
    "strategic_agreement": False,
    "parent_org_id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
}


EXAMPLE_ORG_OUT: JsonDict = {
    **EXAMPLE_ORG,
    "id": "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
    "region_code": "150000",
    "in_region": True,
    "pending_parent_org_id": None,
    "parent_claimed_at": None,
    "verification": {
        "verified": True,
        "verified_flags": [
            "independent_legal_person",
            "pays_tax_in_region",
            "high_tech",
            "tech_based",
        ],
        "verified_at": "2026-11-30T03:00:00Z",
        "verified_by": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
    },
    "version": 2,
    "created_at": "2026-11-28T08:00:00Z",
    "updated_at": "2026-11-30T03:00:00Z",
}
EXAMPLE_MEMBER: JsonDict = {
    "user_id": "4f8e1c8a-7a55-4d5b-9a43-2f0d8e1b6c11",
    "username": "li.na",
    "display_name": "李娜",
    "role": "member",
    "status": "accepted",
    "since": "2026-11-28T08:00:00Z",
}
EXAMPLE_INVITED: JsonDict = {
    "user_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "username": "wang.fang",
    "display_name": "王芳",
    "role": "manager",
    "status": "invited",
    "since": "2026-11-29T09:00:00Z",
}
EXAMPLE_INVITATION: JsonDict = {
    "organization_id": "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
    "organization_name": "内蒙古某某稀土新材料有限公司",
    "role": "manager",
    "status": "invited",
    "invited_at": "2026-11-29T09:00:00Z",
}
EXAMPLE_PARENT_CLAIM: JsonDict = {
    "organization_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "organization_name": "内蒙古某某稀土新材料包头分公司",
    "uscc": "91150200MA0N765438",
    "type": "enterprise",
    "parent_org_id": None,
    "claimed_at": "2026-11-29T09:00:00Z",
}
EXAMPLE_CREDIT_IN: JsonDict = {
    "kind": "serious_dishonesty",
    "starts_on": "2026-01-01",
    "ends_on": "2028-12-31",
    "source": "信用中国（内蒙古）",
    "reference": "内信〔2026〕12号",
    "note": "列入严重失信主体名单，期限三年。",
}
EXAMPLE_CREDIT_OUT: JsonDict = {
    **EXAMPLE_CREDIT_IN,
    "id": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
    "organization_id": "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
    "created_at": "2026-11-28T08:00:00Z",
}
EXAMPLE_FIELD_CHANGE: JsonDict = {"old": False, "new": True}
# A creation's changes: every field set, each new (nulls are left out).
EXAMPLE_CREATED_CHANGES: JsonDict = {
    name: {"old": None, "new": value}
    for name, value in {
        **EXAMPLE_ORG,
        "region_code": "150000",
        "in_region": True,
        "verified": False,
        "verified_flags": [],
    }.items()
    if value is not None
}


class OrganizationFacts(RequestBody):
    """An organisation's registered facts, but its USCC (which an import names in its path)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{k: v for k, v in EXAMPLE_ORG.items() if k != "uscc"}]}
    )

    name: str = Field(min_length=1, max_length=200)
    type: OrganizationType
    independent_legal_person: StrictBool = False
    central_enterprise_branch: StrictBool = False
    pays_tax_in_region: StrictBool = False
    high_tech: StrictBool = Field(
        False, description="A high-tech enterprise (高新技术企业); self-declared until verified."
    )
    tech_based: StrictBool = Field(
        False,
        description="A technology-based enterprise (科技型企业, 第四条（一）（二）); "
        "self-declared until verified. A verified high-tech enterprise counts as one too.",
    )
    large_influential: StrictBool = Field(
        False,
        description="Of considerable influence and scale in its field (第五条（一）, "
        "有较大影响和规模); self-declared until verified.",
    )
    partner_4_8_n: StrictBool = False
    strategic_agreement: StrictBool = False
    parent_org_id: uuid.UUID | None = Field(
        None,
        description="The owning organisation, if any. Unless the caller manages it (or is the "
        "department), it is claimed: `pending_parent_org_id` until its managers accept.",
    )


class OrganizationIn(OrganizationFacts):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ORG]})

    uscc: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (R-ORG-USCC).")


class OrganizationPatch(RequestBody):
    """Only the fields given change. A changed flag loses its verification."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"high_tech": True, "name": "内蒙古某某新材料有限公司"}]}
    )

    name: str = optional(min_length=1, max_length=200)
    uscc: str = optional(min_length=1, max_length=32)
    type: OrganizationType = optional()
    independent_legal_person: StrictBool = optional()
    central_enterprise_branch: StrictBool = optional()
    pays_tax_in_region: StrictBool = optional()
    high_tech: StrictBool = optional()
    tech_based: StrictBool = optional()
    large_influential: StrictBool = optional()
    partner_4_8_n: StrictBool = optional()
    strategic_agreement: StrictBool = optional()
    parent_org_id: uuid.UUID | None = Field(
        None,
        description="null detaches from the parent (and drops a pending claim). Another "
        "parent is claimed, `pending_parent_org_id`, until its managers accept, unless the "
        "caller manages it or is the department (then set at once).",
    )

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Verification(ResponseBody):
    verified: bool = Field(description="The department verified the organisation's identity.")
    verified_flags: list[Flag] = Field(description="Flags whose current value is verified.")
    verified_at: datetime | None
    verified_by: uuid.UUID | None


class OrganizationOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_ORG_OUT]}
    )

    id: uuid.UUID
    name: str
    uscc: str
    region_code: str = Field(description="Characters 3–8 of the USCC.")
    in_region: bool = Field(description="Registered in Inner Mongolia (region code 15…).")
    type: OrganizationType
    independent_legal_person: bool
    central_enterprise_branch: bool
    pays_tax_in_region: bool
    high_tech: bool = Field(description="A high-tech enterprise (高新技术企业).")
    tech_based: bool = Field(
        description="A technology-based enterprise (科技型企业, 第四条（一）（二）)."
    )
    large_influential: bool = Field(
        description="Of considerable influence and scale in its field (第五条（一）)."
    )
    partner_4_8_n: bool
    strategic_agreement: bool
    parent_org_id: uuid.UUID | None = Field(
        description="The owning organisation, as its managers (or the department) accepted."
    )
    pending_parent_org_id: uuid.UUID | None = Field(
        description="A parent this organisation names whose managers have not accepted yet "
        "(a claim); null when there is none."
    )
    parent_claimed_at: datetime | None = Field(description="When the pending claim was made.")
    verification: Verification
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, org: Any) -> OrganizationOut:
        verification = Verification.model_validate(org)
        return cls.model_validate({**_columns(org), "verification": verification})


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


class OrganizationPage(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [EXAMPLE_ORG_OUT],
                    "next_cursor": example_cursor(EXAMPLE_ORG_OUT),
                }
            ]
        }
    )

    items: list[OrganizationOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class VerifyIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"flags": ["high_tech", "pays_tax_in_region"]}]}
    )

    flags: list[Flag] | None = Field(
        None,
        min_length=1,
        max_length=len(Flag),
        description="Verify only these flags; leave out to verify the organisation and all flags.",
    )


class OrganizationMemberIn(RequestBody):
    """An invitation: the user becomes a member only by accepting it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "li.na", "role": "member"}]}
    )

    username: str = Field(min_length=1, max_length=64)
    role: MembershipRole = MembershipRole.MEMBER


class MemberOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_MEMBER, EXAMPLE_INVITED]})

    user_id: uuid.UUID
    username: str
    display_name: str
    role: MembershipRole
    status: MembershipStatus = Field(
        description="`invited` until the user accepts; only an accepted membership gives access."
    )
    since: datetime = Field(description="When the user was invited (or made a member).")


class MemberList(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_MEMBER, EXAMPLE_INVITED]}]}
    )

    items: list[MemberOut]


class InvitationOut(ResponseBody):
    """The caller's invitation to an organisation (or, once accepted, membership)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [EXAMPLE_INVITATION, {**EXAMPLE_INVITATION, "status": "accepted"}]
        }
    )

    organization_id: uuid.UUID
    organization_name: str
    role: MembershipRole
    status: MembershipStatus
    invited_at: datetime


class InvitationList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_INVITATION]}]})

    items: list[InvitationOut]


class ParentClaimOut(ResponseBody):
    """An organisation that names this one as its parent, awaiting the answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PARENT_CLAIM]})

    organization_id: uuid.UUID = Field(description="The claimant: the would-be subsidiary.")
    organization_name: str
    uscc: str
    type: OrganizationType
    parent_org_id: uuid.UUID | None = Field(
        description="The claimant's present parent, which accepting replaces."
    )
    claimed_at: datetime


class ParentClaimList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_PARENT_CLAIM]}]})

    items: list[ParentClaimOut]


class CreditRecordIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREDIT_IN]})

    kind: CreditRecordKind
    starts_on: IsoDate
    ends_on: IsoDate | None = Field(None, description="Inclusive; null while open-ended.")
    source: str = Field(min_length=1, max_length=200)
    reference: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class CreditRecordOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_CREDIT_OUT]}
    )

    id: uuid.UUID
    organization_id: uuid.UUID
    kind: CreditRecordKind
    starts_on: date
    ends_on: date | None
    source: str
    reference: str | None
    note: str | None
    created_at: datetime


class CreditRecordList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_CREDIT_OUT]}]})

    items: list[CreditRecordOut]


class FieldChange(ResponseBody):
    """One changed field of the audited resource: its value before and after.

    Values are plain JSON: money is a decimal string, instants are ISO 8601 in UTC, ids are
    strings. `old` is null when the resource was created."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_FIELD_CHANGE]})

    old: Any = Field(description="The value before the change; null on creation.")
    new: Any = Field(description="The value after the change.")


class AuditEntryOut(ResponseBody):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource_seq: int
    action: str
    actor_type: str
    actor_id: str | None
    from_state: str | None
    to_state: str | None
    reason: str | None
    request_id: str | None
    data: dict[str, Any]
    changes: dict[str, FieldChange] | None = Field(
        description="The resource's changed fields by name (bookkeeping such as `version` and "
        "credentials left out); null when the entry changed none, or predates this record."
    )
    occurred_at: datetime


class HistoryOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                            "resource_seq": 1,
                            "action": "organization.create",
                            "actor_type": "user",
                            "actor_id": "4f8e1c8a-7a55-4d5b-9a43-2f0d8e1b6c11",
                            "from_state": None,
                            "to_state": None,
                            "reason": None,
                            "request_id": "7f1c0e9a2b3d4c5e",
                            "data": {},
                            "changes": EXAMPLE_CREATED_CHANGES,
                            "occurred_at": "2026-11-28T08:00:00Z",
                        },
                        {
                            "id": "2d3e4f5a-6b7c-4d8e-9fa0-1b2c3d4e5f6a",
                            "resource_seq": 2,
                            "action": "organization.update",
                            "actor_type": "user",
                            "actor_id": "4f8e1c8a-7a55-4d5b-9a43-2f0d8e1b6c11",
                            "from_state": None,
                            "to_state": None,
                            "reason": None,
                            "request_id": "8a2d1f0b3c4e5d6f",
                            "data": {},
                            "changes": {
                                "name": {
                                    "old": "内蒙古某某稀土新材料有限公司",
                                    "new": "内蒙古某某新材料有限公司",
                                },
                                "partner_4_8_n": EXAMPLE_FIELD_CHANGE,
                            },
                            "occurred_at": "2026-11-29T09:30:00Z",
                        },
                    ]
                }
            ]
        }
    )

    items: list[AuditEntryOut]
