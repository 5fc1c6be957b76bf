"""Bodies of the sandbox clock."""

from __future__ import annotations

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from jiebang_api.api.v1.schemas.base import RequestBody, ResponseBody

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


class ClockMove(RequestBody):
    """Exactly one of `advance_seconds`, `set_to` or `reset: true`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"advance_seconds": 86400},
                {"set_to": "2027-03-01T09:00:00+08:00"},
                {"reset": True},
            ]
        },
    )

    advance_seconds: int | None = Field(
        None, ge=-TEN_YEARS, le=TEN_YEARS, description="Move the clock by this many seconds."
    )
    set_to: AwareDatetime | None = Field(None, description="Set the clock to this instant.")
    reset: bool = Field(False, description="Go back to real time.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockMove:
        chosen = sum([self.advance_seconds is not None, self.set_to is not None, self.reset])
        if chosen != 1:
            raise ValueError("give exactly one of advance_seconds, set_to, reset=true")
        return self
