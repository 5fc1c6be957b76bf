"""Base classes for request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """Request bodies refuse unknown fields: a client can never set what it may not.

    Use strict types (`StrictInt`, `StrictBool`) where JSON's type matters: lax parsing would
    read `false` as 0.
    """

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
