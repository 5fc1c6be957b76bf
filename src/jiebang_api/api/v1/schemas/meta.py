"""Bodies of the meta endpoints."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from jiebang_api.api.v1.schemas.base import ResponseBody
from jiebang_api.rules.catalogue import RuleKind


class EnumValueOut(ResponseBody):
    value: str
    label_zh: str
    label_en: str


class EnumerationOut(ResponseBody):
    name: str
    values: list[EnumValueOut]


class EnumerationsOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "name": "ListingKind",
                            "values": [
                                {
                                    "value": "tech_breakthrough",
                                    "label_zh": "技术攻关类",
                                    "label_en": "Technology breakthrough",
                                }
                            ],
                        }
                    ]
                }
            ]
        },
    )

    items: list[EnumerationOut]


class RuleOut(ResponseBody):
    id: str = Field(description="Rule id, e.g. `R-ELIG-NOT-SUBSIDIARY`.")
    article: str = Field(
        description="Article of the measures, e.g. `第四条（一）`; a standard or "
        "`本系统规则` for the service's own rules."
    )
    summary_zh: str
    summary_en: str
    waivable: bool = Field(
        description='An "in principle" (原则上) rule the department may waive case by case.'
    )
    kind: RuleKind = Field(
        description="`block` stops the action, `warning` is shown but never blocks, "
        "`priority` flags an encouraged party."
    )


class RulesOut(ResponseBody):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "R-ELIG-NOT-SUBSIDIARY",
                            "article": "第四条（一）",
                            "summary_zh": "揭榜方（牵头单位及每个联合体成员）"
                            "不得是发榜方本身或其任一层级的下属单位。",
                            "summary_en": "No solver, lead or consortium member, may be the "
                            "proposer itself or a subsidiary of it at any level.",
                            "waivable": False,
                            "kind": "block",
                        },
                        {
                            "id": "R-FUND-RATIO-CAP",
                            "article": "第十一条",
                            "summary_zh": "财政补助一般不超过研发总投入的30%。",
                            "summary_en": "The subsidy should not exceed 30% of the total R&D "
                            "investment.",
                            "waivable": True,
                            "kind": "block",
                        },
                    ]
                }
            ]
        },
    )

    items: list[RuleOut]
