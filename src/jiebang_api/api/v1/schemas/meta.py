"""Bodies of the meta endpoints."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from jiebang_api.api.v1.schemas.base import ResponseBody
from jiebang_api.rules.catalogue import RuleBasis, RuleKind, UseCase


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
    articles: list[str] = Field(
        description='The articles of the measures the rule stands in, e.g. `["第四条（一）", '
        '"第四条（二）"]`; a standard or `本系统规则` for the service\'s own rules. A finding '
        "cites the one that applies."
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
    basis: RuleBasis = Field(
        description="`text`: what the measures say; `reading`: the service's reading of them "
        "(an invariant, or the department's reading of a general clause)."
    )
    reading_zh: str | None = Field(
        description="What the service reads into the text beyond its words; null when nothing."
    )
    reading_en: str | None = Field(description="`reading_zh` in English.")
    enforced_at: list[UseCase] = Field(
        description="The use cases that check the rule (`listing.submit`, "
        "`application.submit`, …); empty while no code checks it (a planned rule)."
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
                            "articles": ["第四条（一）", "第四条（二）"],
                            "summary_zh": "揭榜方（牵头单位及每个联合体成员）"
                            "不得是发榜方本身或其任一层级的下属单位。",
                            "summary_en": "No solver, lead or consortium member, may be the "
                            "proposer itself or a subsidiary of it at any level.",
                            "waivable": False,
                            "kind": "block",
                            "basis": "text",
                            "reading_zh": None,
                            "reading_en": None,
                            "enforced_at": ["eligibility.check", "application.submit"],
                        },
                        {
                            "id": "R-FUND-EM-FISCAL",
                            "articles": ["第十条"],
                            "summary_zh": "应急类项目以财政科技资金保障为主。",
                            "summary_en": "Emergency projects are funded mainly by the fiscal "
                            "S&T funds.",
                            "waivable": False,
                            "kind": "block",
                            "basis": "reading",
                            "reading_zh": "不受30%比例约束是本系统的解读。",
                            "reading_en": "The exemption from the 30% ratios is the service's "
                            "reading.",
                            "enforced_at": [],
                        },
                    ]
                }
            ]
        },
    )

    items: list[RuleOut]
