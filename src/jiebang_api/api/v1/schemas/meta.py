"""Bodies of the meta endpoints."""

from __future__ import annotations

from pydantic import ConfigDict

from jiebang_api.api.v1.schemas.base import ResponseBody


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
