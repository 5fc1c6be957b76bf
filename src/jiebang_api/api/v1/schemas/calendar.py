"""Bodies of the working-day calendar."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from jiebang_api.api.v1.schemas.base import NO_NUL, IsoDate, RequestBody, ResponseBody
from jiebang_api.kit.workdays import CalendarSource

EXAMPLE_2027: JsonDict = {
    "holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08"],
    "workdays": ["2027-02-14"],
    "document_ref": "国办发明电〔2026〕X号",
}


class CalendarYearIn(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_2027]})

    holidays: list[IsoDate] = Field(
        max_length=60, description="Days off.", json_schema_extra={"uniqueItems": True}
    )
    workdays: list[IsoDate] = Field(
        max_length=30,
        description="Saturdays and Sundays worked in lieu (调休).",
        json_schema_extra={"uniqueItems": True},
    )
    document_ref: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class CalendarYearOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2027,
                    "source": "department",
                    **EXAMPLE_2027,
                    "updated_by": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
                    "updated_at": "2026-11-20T02:00:00Z",
                }
            ]
        }
    )

    year: int
    source: CalendarSource
    holidays: list[date]
    workdays: list[date]
    document_ref: str | None = Field(description="The notice's reference; null unless recorded.")
    updated_by: uuid.UUID | None
    updated_at: datetime | None
