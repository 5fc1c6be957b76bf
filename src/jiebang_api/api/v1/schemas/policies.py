"""Bodies of policy versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import ConfigDict, Field, computed_field
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import (
    IsoDate,
    Money,
    Ratio,
    RequestBody,
    ResponseBody,
    Score,
    WholeNumber,
)
from jiebang_api.rules.catalogue import DEPARTMENT_CONFIGURABLE

EXAMPLE_POLICY: JsonDict = {
    "name": "内蒙古自治区科技计划“揭榜挂帅”实施办法",
    "document_reference": "内科发〔2022〕××号",
    "effective_on": "2023-01-01",
    "agreement_min_ratio": "0.3000",
    "subsidy_max_ratio": "0.3000",
    "subsidy_cap": "10000000.00",
    "tech_breakthrough_max_months": 36,
    "achievement_transfer_max_months": 24,
    "publicity_working_days": 5,
    "review_qualification_max": "40.0",
    "note": "自2023年1月1日起施行。",
}


class PolicyVersionIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**EXAMPLE_POLICY, "effective_on": "2027-01-01"}]}
    )

    name: str = Field(min_length=1, max_length=200)
    document_reference: str | None = Field(None, max_length=200)
    effective_on: IsoDate
    agreement_min_ratio: Ratio = Field(description="Art. 10: A ≥ ratio × T (R-FUND-AGREEMENT-MIN).")
    subsidy_max_ratio: Ratio = Field(description="Art. 11: S ≤ ratio × T (R-FUND-RATIO-CAP).")
    subsidy_cap: Money = Field(description="Art. 11: S ≤ cap per project (R-FUND-ABS-CAP).")
    tech_breakthrough_max_months: WholeNumber = Field(ge=1, le=120, description="Art. 16.")
    achievement_transfer_max_months: WholeNumber = Field(ge=1, le=120, description="Art. 16.")
    publicity_working_days: WholeNumber = Field(
        ge=1, le=60, description="Art. 9 (7) notice period."
    )
    review_qualification_max: Score = Field(
        Decimal("40.0"),
        description="Art. 9 (5): the points of the `qualification` criterion on the default "
        "review sheet (0 to 100); `feasibility` has the rest of 100.",
    )
    note: str | None = Field(None, max_length=2000)


class PolicyVersionOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE_POLICY,
                    "id": "8f0c2a4e-7d51-4c3b-9a2e-15ab7c3d0001",
                    "created_at": "2026-11-28T08:00:00Z",
                    "department_configurable": list(DEPARTMENT_CONFIGURABLE),
                }
            ]
        },
    )

    id: uuid.UUID
    name: str
    document_reference: str | None
    effective_on: date
    agreement_min_ratio: Ratio
    subsidy_max_ratio: Ratio
    subsidy_cap: Money
    tech_breakthrough_max_months: int
    achievement_transfer_max_months: int
    publicity_working_days: int
    review_qualification_max: Score
    note: str | None
    created_at: datetime

    @computed_field(  # type: ignore[prop-decorator]
        description="The values of this version that the department sets and the measures do "
        "not fix: the effective date (第十九条 says only 'from issuance') and the publicity "
        "length (第九条（七） says only '公示'); the seeded version's are placeholders until "
        "the department confirms them."
    )
    @property
    def department_configurable(self) -> list[str]:
        return list(DEPARTMENT_CONFIGURABLE)


class PolicyVersionList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": []}]})

    items: list[PolicyVersionOut]
