"""Base classes for request and response bodies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictInt,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from jiebang_api.api.routing import (
    ISO_DATE_MESSAGE,
    ISO_DATETIME_MESSAGE,
    is_iso_date,
    is_iso_datetime,
)
from jiebang_api.kit import decimals, money
from jiebang_api.kit.pagination import Cursor
from jiebang_api.reviews import scoring

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

    Every field takes only its own JSON type. FastAPI validates the parsed JSON in pydantic's
    lax Python mode, which would read `true` as 1, `"24"` as 24, `0` as 1970-01-01 and
    `"yes"` as true; so use the strict types below: `WholeNumber` (not `int`), `StrictBool`
    (not `bool`), `JsonTrue` (not `Literal[True]`), `IsoDate` and `IsoDatetime` (not `date`,
    `AwareDatetime`), and `Money`, `Share`, `Ratio` or another `DecimalText` for decimals.
    (`model_config["strict"]` cannot serve: in Python mode it refuses the strings that JSON
    writes uuids, enumerations and dates as.)
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


# ------------------------------------------------------------------------------------------
# Strict JSON types for request bodies
# ------------------------------------------------------------------------------------------


def _whole(value: object) -> object:
    """JSON Schema's `integer` is any number without a fraction: `86400.0` is one too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WHOLE = BeforeValidator(_whole)
# An integer as JSON Schema means it: never a string (`"24"`) or a boolean (`true`). Bounds go
# on the field (`WholeNumber = Field(ge=1)`) or before `WHOLE`
# (`Annotated[StrictInt, Field(ge=1), WHOLE]`, in a union): after it, pydantic would still
# check them but no longer state them as `minimum`/`maximum`.
WholeNumber = Annotated[StrictInt, WHOLE]


def _json_bool(value: object) -> object:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


# `true` itself (lax `Literal[True]` takes 1 too).
JsonTrue = Annotated[Literal[True], BeforeValidator(_json_bool)]


def _iso_date(value: object) -> object:
    if (isinstance(value, str) and is_iso_date(value)) or type(value) is date:
        return value
    raise PydanticCustomError("iso_date", ISO_DATE_MESSAGE)


def _iso_datetime(value: object) -> object:
    if (isinstance(value, str) and is_iso_datetime(value)) or isinstance(value, datetime):
        return value
    raise PydanticCustomError("iso_datetime", ISO_DATETIME_MESSAGE)


# A date as JSON writes it, `"2027-01-05"` (lax `date` takes 0 as 1970-01-01).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# An instant with its offset as JSON writes it (lax `datetime` takes numbers as epoch seconds).
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]

DECIMAL_FORMAT = (
    "Input should be a decimal string of ASCII digits from {minimum} to {maximum} with at "
    "most {places} decimal places (no exponent, spaces or separators)"
)


@dataclass(frozen=True)
class DecimalText:
    """`Annotated[Decimal, DecimalText(fmt, example)]`: a decimal that JSON carries as a
    string of `fmt`, read by `decimals.parse` (the one reading) and stated in the contract
    by `fmt.pattern`; written back with exactly `fmt.places` places."""

    format: decimals.DecimalFormat
    example: str

    def read(self, value: object) -> Decimal:
        if isinstance(value, Decimal):  # a stored value, read into a response
            return value.quantize(self.format.quantum, rounding=ROUND_HALF_UP)
        try:
            return decimals.parse(value, self.format)
        except decimals.DecimalFormatError:
            context = {"minimum": str(self.format.minimum), "maximum": str(self.format.maximum)}
            raise PydanticCustomError(
                "decimal_format", DECIMAL_FORMAT, {**context, "places": self.format.places}
            ) from None

    def text(self, value: Decimal) -> str:
        return decimals.to_text(value, self.format)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.read,
            serialization=core_schema.plain_serializer_function_ser_schema(
                self.text, return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.format.pattern, "examples": [self.example]}


# An amount in CNY: `"1500000.00"`.
Money = Annotated[Decimal, DecimalText(money.FORMAT, "1500000.00")]
# An amount above zero: `"15000000.00"`.
PositiveMoney = Annotated[Decimal, DecimalText(money.POSITIVE, "15000000.00")]
# The funding use cases' amounts, at most 10^12 (and above zero).
FundingMoney = Annotated[Decimal, DecimalText(money.FUNDING, "1000000.00")]
PositiveFundingMoney = Annotated[Decimal, DecimalText(money.FUNDING_POSITIVE, "15000000.00")]
# A percentage from 0 to 100: `"60.00"`.
SHARE = decimals.DecimalFormat(places=2, maximum=Decimal(100))
Share = Annotated[Decimal, DecimalText(SHARE, "40.00")]
# A review score or a criterion's maximum, 0 to 100 with one decimal place: `"40.0"`.
SCORE = scoring.SCORE
Score = Annotated[Decimal, DecimalText(SCORE, "40.0")]
# A ratio from 0 to 1: `"0.3000"`.
RATIO = decimals.DecimalFormat(places=4, maximum=Decimal(1))
Ratio = Annotated[Decimal, DecimalText(RATIO, "0.3000")]


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(**kwargs: Any) -> Any:
    """A PATCH field that may be left out but, when given, may not be null."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)


NEXT_CURSOR = "Pass as `cursor` for the next page; null at the end."
EXTERNAL_REF = (
    "The plan management system's reference, when the record was imported from it "
    "(`PUT /api/v1/integration/…/{external_ref}`); null otherwise."
)


def example_cursor(last: JsonDict, key: str = "created_at") -> str:
    """The `next_cursor` of an example page whose last item is `last`, paged by `key`."""
    return Cursor(datetime.fromisoformat(str(last[key])), uuid.UUID(str(last["id"]))).encode()
