"""The one shape of a finding: a rule of the measures applied to a listing or an application."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from jiebang_api.kit.context import current_language

EXAMPLE_FINDING: JsonDict = {
    "rule": "R-ELIG-NOT-SUBSIDIARY",
    "article": "第四条（一）",
    "org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
    "field": "lead_org_id",
    "message": "某某公司是发榜方或其下属单位，不能揭榜本榜单。",
    "message_zh": "某某公司是发榜方或其下属单位，不能揭榜本榜单。",
    "message_en": "某某公司 is the proposer or one of its subsidiaries.",
}


class Finding(BaseModel):
    """What a rule found: a violation that blocks, a warning for the reviewers, a priority,
    or an invalid field. The same shape wherever a rule is cited (a problem's `violations`,
    a listing's eligibility warnings, an application's eligibility report);
    `GET /api/v1/meta/rules` describes each rule."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_FINDING]}
    )

    rule: str | None = Field(description="Rule id, e.g. `R-ELIG-NOT-SUBSIDIARY`.")
    article: str | None = Field(
        description="The article of the measures the rule rests on, e.g. `第四条（一）`."
    )
    org_id: uuid.UUID | None = Field(
        description="The organisation the finding is about; null when it is about the "
        "listing or application as a whole."
    )
    field: str | None = Field(
        description="The field the finding points at, e.g. `lead_org_id` or `listing.title`; "
        "null when none."
    )
    message: str = Field(
        description="The finding in the caller's language (`Accept-Language`; Chinese by default)."
    )
    message_zh: str = Field(description="The finding in Chinese.")
    message_en: str = Field(description="The finding in English.")

    @model_validator(mode="before")
    @classmethod
    def _from_stored(cls, data: Any) -> Any:
        """Read a listing's stored finding too (`message: {zh, en}`, no `org_id`), and say
        it in the caller's language."""
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        message = values.get("message")
        if isinstance(message, Mapping):
            del values["message"]
            values.setdefault("message_zh", message.get("zh"))
            values.setdefault("message_en", message.get("en"))
        values.setdefault("org_id", None)
        if "message" not in values:
            english = current_language() == "en"
            values["message"] = values.get("message_en" if english else "message_zh")
        return values


EXAMPLE_REPORT: JsonDict = {
    "eligible": False,
    "violations": [EXAMPLE_FINDING],
    "warnings": [],
    "priorities": [],
}
# The report an eligible application was submitted with.


class EligibilityReportOut(BaseModel):
    """What the eligibility engine found about an application's parties and plan."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_REPORT]}
    )

    eligible: bool
    violations: list[Finding] = Field(
        description="Broken rules: the application may not be submitted."
    )
    warnings: list[Finding] = Field(description="For the reviewers' attention; never block.")
    priorities: list[Finding] = Field(description="Encouraged parties (优先支持).")
