"""Bodies of the sandbox clock."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field

from jiebang_api.api.v1.schemas.base import (
    IsoDatetime,
    JsonTrue,
    RequestBody,
    ResponseBody,
    WholeNumber,
)

TEN_YEARS = 3650 * 86_400


class ClockOut(ResponseBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "now": "2027-03-01T01:00:00Z",
                    "real_now": "2026-11-28T12:00:00Z",
                    "offset_seconds": 8168400.0,
                }
            ]
        }
    )

    now: AwareDatetime = Field(description="The time every rule sees (UTC).")
    real_now: AwareDatetime = Field(description="The machine's real time (UTC).")
    offset_seconds: float = Field(description="`now` minus `real_now`, in seconds.")


class ClockAdvance(RequestBody):
    """Move the clock forward (or back) by a number of seconds."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"advance_seconds": 86400}]})

    advance_seconds: WholeNumber = Field(
        ge=-TEN_YEARS, le=TEN_YEARS, description="Seconds to move by."
    )


class ClockSet(RequestBody):
    """Set the clock to an instant (with a timezone)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"set_to": "2027-03-01T09:00:00+08:00"}]}
    )

    set_to: IsoDatetime = Field(description="The instant the clock should read now.")


class ClockReset(RequestBody):
    """Go back to real time."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reset": True}]})

    reset: JsonTrue


ClockMove = Annotated[
    ClockAdvance | ClockSet | ClockReset, Field(description="Exactly one of the three forms.")
]
