"""Base classes for request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, model_validator
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from jiebang_api.kit.pagination import Cursor

# Text may not carry NUL characters (PostgreSQL cannot store them; nothing legitimate needs them).
NO_NUL = r"^[^\x00]*$"


def _refuse_nul_in_schema(schema: JsonSchemaValue) -> None:
    """Say what `RequestBody` checks: every free text (a string without its own pattern,
    enumeration or format), alone, in a list or nullable, matches `NO_NUL`."""
    for branch in schema.get("anyOf", []):
        _refuse_nul_in_schema(branch)
    if isinstance(schema.get("items"), dict):
        _refuse_nul_in_schema(schema["items"])
    constrained = schema.keys() & {"pattern", "enum", "const", "format"}
    if schema.get("type") == "string" and not constrained:
        schema["pattern"] = NO_NUL


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class RequestBody(BaseModel):
    """Request bodies refuse unknown fields: a client can never set what it may not.

    Use strict types (`StrictInt`, `StrictBool`) where JSON's type matters: lax parsing would
    read `false` as 0.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        for field_schema in handler.resolve_ref_schema(schema).get("properties", {}).values():
            _refuse_nul_in_schema(field_schema)
        return schema


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**kwargs: Any) -> Any:
    """A PATCH field that may be left out but, when given, may not be null."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


NEXT_CURSOR = "Pass as `cursor` for the next page; null at the end."


def example_cursor(last: JsonDict, key: str = "created_at") -> str:
    """The `next_cursor` of an example page whose last item is `last`, paged by `key`."""
    return Cursor(datetime.fromisoformat(str(last[key])), uuid.UUID(str(last["id"]))).encode()
