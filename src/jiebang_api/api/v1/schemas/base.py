"""Base classes for request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RequestBody(BaseModel):
    """Request bodies refuse unknown fields: a client can never set what it may not.

    Use strict types (`StrictInt`, `StrictBool`) where JSON's type matters: lax parsing would
    read `false` as 0.
    """

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**kwargs: Any) -> Any:
    """A PATCH field that may be left out but, when given, may not be null."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)
