"""Bodies of the funding calculator (第十条 to 第十二条)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.schema_extras import values
from jiebang_api.api.v1.schemas.base import (
    NO_NUL,
    FundingMoney,
    IsoDate,
    PositiveFundingMoney,
    RequestBody,
    ResponseBody,
    WholeNumber,
)
from jiebang_api.listings.enums import ListingKind

Tranche = Literal["first", "final"]
TRANCHES = values(
    {
        "first": ("首笔补助", "The first tranche"),
        "final": ("剩余补助（验收后）", "The rest, after acceptance"),
    }
)
FundingStatus = Literal["undecided", "decided", "first_disbursed", "completed"]
FUNDING_STATUSES = values(
    {
        "undecided": ("补助未核定", "The subsidy is not decided yet"),
        "decided": ("补助已核定", "Decided, nothing paid yet"),
        "first_disbursed": ("首笔已拨付", "The first tranche is paid"),
        "completed": ("补助已拨付完毕", "Both tranches are paid"),
    }
)
PaymentStatus = Literal["submitted", "accepted", "rejected"]
PAYMENT_STATUSES = values(
    {
        "submitted": ("待核验", "Awaiting verification"),
        "accepted": ("核验通过", "Verified"),
        "rejected": ("核验未通过", "Rejected"),
    }
)

EXAMPLE_CALCULATION_IN: JsonDict = {
    "kind": "tech_breakthrough",
    "total_rd_investment": "20000000.00",
    "agreement_amount": "6000000.00",
    "requested_subsidy": "6000000.00",
    "first_payment": "2000000.00",
}


class CalculationIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [EXAMPLE_CALCULATION_IN, {**EXAMPLE_CALCULATION_IN, "kind": "emergency"}]
        }
    )

    kind: ListingKind
    total_rd_investment: PositiveFundingMoney = Field(description="T, above 0.")
    agreement_amount: FundingMoney = Field(description="A: what the demand side pays.")
    requested_subsidy: FundingMoney | None = Field(
        None, description="S to check; left out, the calculator takes the ceiling."
    )
    first_payment: FundingMoney | None = Field(
        None,
        description="P1, the demand side's first payment to the supply side: above 0 and at "
        "most A (422 otherwise). Left out, no tranche is computed. Not for emergency projects, "
        "whose first tranche the funding decision sets.",
    )
    case_by_case: StrictBool = Field(
        False, description="As if a case-by-case decision (R-FUND-CASE-BY-CASE) lifted the caps."
    )


class FundingFinding(ResponseBody):
    rule: str = Field(examples=["R-FUND-RATIO-CAP"])
    article: str = Field(examples=["第十一条"])
    outcome: Literal["applied", "exceeded"] = Field(
        json_schema_extra=values(
            {
                "applied": ("已适用于上述数字", "Applied to the figures"),
                "exceeded": ("补助超出该规定", "The subsidy breaks it"),
            }
        )
    )
    figures: dict[str, str] = Field(
        description="The numbers the rule used, as decimal strings (amounts, ratios)."
    )
    message: str = Field(description="In the caller's language (`Accept-Language`).")
    message_zh: str
    message_en: str


EXAMPLE_CALCULATION_OUT: JsonDict = {
    "max_subsidy": "6000000.00",
    "binding_rule": "R-FUND-RATIO-CAP",
    "subsidy": "6000000.00",
    "first_tranche": "2000000.00",
    "final_tranche": "4000000.00",
    "findings": [
        {
            "rule": "R-FUND-RATIO-CAP",
            "article": "第十一条",
            "outcome": "applied",
            "figures": {
                "max_ratio": "0.3000",
                "total_rd_investment": "20000000.00",
                "limit": "6000000.00",
            },
            "message": "补助原则上不超过研发总投入的比例上限：6000000.00 元。",
            "message_zh": "补助原则上不超过研发总投入的比例上限：6000000.00 元。",
            "message_en": "In principle at most the share of the total R&D investment: 6000000.00.",
        }
    ],
}


class CalculationOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CALCULATION_OUT]})

    max_subsidy: FundingMoney = Field(description="The ceiling on S.")
    binding_rule: str = Field(description="The rule that sets the ceiling.")
    subsidy: FundingMoney = Field(description="S: the one asked for, else the ceiling.")
    first_tranche: FundingMoney | None = Field(
        description="S × P1 / A rounded down to the cent (R-DISB-FIRST-RATIO); null without "
        "P1, and for an emergency project."
    )
    final_tranche: FundingMoney | None = Field(description="S less the first tranche.")
    findings: list[FundingFinding] = Field(
        description="Each rule applied, with its numbers, then each the subsidy exceeds."
    )


class CaseByCase(RequestBody):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    document_ref: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="The decision's document."
    )


class FundingDecisionIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subsidy": "1000000.00",
                    "total_rd_investment_verified": True,
                    "agreement_verified": True,
                }
            ]
        }
    )

    subsidy: PositiveFundingMoney = Field(description="S.")
    total_rd_investment_verified: Literal[True] = Field(
        description="第十二条: the department verified the total R&D investment."
    )
    agreement_verified: Literal[True] = Field(
        description="第十二条: the department verified the agreement."
    )
    first_tranche: FundingMoney | None = Field(
        None,
        description="An emergency project's first tranche, at most S (required there, 422 "
        "citing R-FUND-EM-FISCAL otherwise); any other project's follows the demand side's "
        "first payment and is not sent.",
    )
    case_by_case: CaseByCase | None = Field(
        None,
        description="The case-by-case decision (R-FUND-CASE-BY-CASE) that lifts the caps; "
        "S ≤ T still holds.",
    )


EXAMPLE_DISBURSEMENT: JsonDict = {
    "id": "c5d6e7f8-0919-4a2b-b4c5-d6e7f8091a2b",
    "project_id": "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8",
    "tranche": "first",
    "amount": "333333.33",
    "recipient_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "disbursed_by": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
    "created_at": "2027-05-06T02:00:00Z",
}


class DisbursementOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DISBURSEMENT]})

    id: uuid.UUID
    project_id: uuid.UUID
    tranche: Tranche = Field(json_schema_extra=TRANCHES)
    amount: FundingMoney
    recipient_org_id: uuid.UUID
    disbursed_by: uuid.UUID | None
    created_at: datetime


class DisbursementList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_DISBURSEMENT]}]})

    items: list[DisbursementOut]


class FundingOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8",
                    "subsidy": "1000000.00",
                    "disbursed": "333333.33",
                    "remaining": "666666.67",
                    "first_tranche": "333333.33",
                    "final_tranche": "666666.67",
                    "recipient_org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
                    "status": "first_disbursed",
                    "case_by_case": False,
                    "findings": [],
                }
            ]
        }
    )

    project_id: uuid.UUID
    subsidy: FundingMoney | None = Field(description="S; null until decided.")
    disbursed: FundingMoney
    remaining: FundingMoney | None
    first_tranche: FundingMoney | None = Field(
        description="As paid, else as the verified first payment makes it (S × P1 / A, "
        "rounded down; R-DISB-FIRST-RATIO) or, for an emergency project, as decided; null "
        "while unknown."
    )
    final_tranche: FundingMoney | None = Field(description="S less the first tranche.")
    recipient_org_id: uuid.UUID = Field(
        description="The demand side (第十二条); for an emergency project, the lead solver."
    )
    status: FundingStatus = Field(json_schema_extra=FUNDING_STATUSES)
    case_by_case: bool
    findings: list[FundingFinding]


class PaymentIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "instalment_seq": 1,
                    "amount": "1000000.00",
                    "paid_on": "2027-04-15",
                    "payee_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
                    "proof_attachment_id": "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9",
                }
            ]
        }
    )

    instalment_seq: WholeNumber = Field(ge=1, le=100, description="1: the first payment.")
    amount: PositiveFundingMoney = Field(description="At most the agreement amount.")
    paid_on: IsoDate
    payee_org_id: uuid.UUID = Field(description="The supply side.")
    proof_attachment_id: uuid.UUID = Field(description="The bank's proof, uploaded first.")


EXAMPLE_PAYMENT: JsonDict = {
    "id": "d6e7f809-1a2b-4c3d-85e6-f7a8b9c0d1e2",
    "project_id": "92a3b4c5-d6e7-4f80-9192-a3b4c5d6e7f8",
    "instalment_seq": 1,
    "amount": "1000000.00",
    "paid_on": "2027-04-15",
    "payee_org_id": "2c3d4e5f-6071-4b8c-9dae-1f2a3b4c5d6e",
    "proof_attachment_id": "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f7a8b9",
    "status": "submitted",
    "recorded_by": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
    "verified_by": None,
    "verified_at": None,
    "comment": None,
    "created_at": "2027-04-16T02:00:00Z",
}


class PaymentOut(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_PAYMENT]})

    id: uuid.UUID
    project_id: uuid.UUID
    instalment_seq: int
    amount: FundingMoney
    paid_on: date
    payee_org_id: uuid.UUID
    proof_attachment_id: uuid.UUID
    status: PaymentStatus = Field(json_schema_extra=PAYMENT_STATUSES)
    recorded_by: uuid.UUID | None
    verified_by: uuid.UUID | None
    verified_at: datetime | None
    comment: str | None
    created_at: datetime


class PaymentList(ResponseBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_PAYMENT]}]})

    items: list[PaymentOut]


class PaymentVerificationIn(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"accepted": True, "comment": "银行回单与协议一致"}]}
    )

    accepted: StrictBool
    comment: str | None = Field(None, min_length=1, max_length=2000, pattern=NO_NUL)


class DisbursementIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"tranche": "first"}]})

    tranche: Tranche = Field(
        description="`first` or `final`; the amount is computed, never sent.",
        json_schema_extra=TRANCHES,
    )
