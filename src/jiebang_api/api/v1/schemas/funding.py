"""Bodies of the funding calculator (第十条 to 第十二条)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.schema_extras import values
from jiebang_api.api.v1.schemas.base import (
    FundingMoney,
    PositiveFundingMoney,
    RequestBody,
    ResponseBody,
)
from jiebang_api.listings.enums import ListingKind

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
