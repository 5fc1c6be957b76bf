"""The one reading of decimal text (`kit.decimals`), the types built on it, and the pattern the
contract states for each."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from jiebang_api.api.v1.schemas import schema_classes
from jiebang_api.api.v1.schemas.base import (
    RATIO,
    SCORE,
    SHARE,
    Money,
    Ratio,
    RequestBody,
    Share,
)
from jiebang_api.api.validation_messages import violations_from_pydantic
from jiebang_api.kit import decimals, money
from jiebang_api.kit.decimals import DecimalFormat, DecimalFormatError

FORMATS = {
    "money": money.FORMAT,
    "share": SHARE,
    "ratio": RATIO,
    "signed-score": DecimalFormat(places=1, maximum=Decimal(10), signed=True),
    "whole": DecimalFormat(places=0, maximum=Decimal(100)),
    "positive-money": money.POSITIVE,
    "funding": money.FUNDING,
    "funding-positive": money.FUNDING_POSITIVE,
    "positive-three-places": DecimalFormat(places=3, maximum=Decimal(10), positive=True),
    "positive-whole": DecimalFormat(places=0, maximum=Decimal(100), positive=True),
}
CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"


def ascii_reading(text: str, fmt: DecimalFormat) -> Decimal | None:
    """What `text` means under `fmt`, worked out without the module's pattern: None when it
    is no decimal of the format."""
    sign, digits = ("-", text[1:]) if text.startswith("-") and fmt.signed else ("", text)
    whole, point, fraction = digits.partition(".")
    ascii_digits = set("0123456789")
    if not whole or not set(whole) <= ascii_digits:
        return None
    if point and (not fraction or not set(fraction) <= ascii_digits):
        return None
    if len(fraction) > fmt.places or (len(whole) > 1 and whole.startswith("0")):
        return None
    value = Decimal(sign + digits)
    if fmt.positive and value <= 0:
        return None
    return value.quantize(fmt.quantum) if abs(value) <= fmt.maximum else None


# Text near the formats: digits of every script, points, signs, exponents, specials, spaces.
near = st.lists(
    st.sampled_from([*"0123456789.-+eE_, \t\n²³⑤٣۳１٠𝟗", "NaN", "Infinity"]), max_size=24
).map("".join)


@pytest.mark.parametrize("name", list(FORMATS))
@settings(max_examples=600, deadline=None)
@given(text=st.one_of(st.text(max_size=30), near))
@example(text="²")
@example(text="⑤")
@example(text="٣")
@example(text="１")
@example(text="1e3")
@example(text="NaN")
@example(text="-0")
@example(text="Infinity")
@example(text="")
@example(text=" 1")
@example(text="1,000")
@example(text="1\n")
@example(text="100.00")
@example(text="9999999999999999.99")
@example(text="0.00")
@example(text="0.001")
@example(text="0.010")
@example(text="1000000000000.00")
@example(text="1000000000000.01")
def test_parse_is_the_ascii_reading_or_the_one_error(name: str, text: str) -> None:
    fmt = FORMATS[name]
    expected = ascii_reading(text, fmt)
    try:
        parsed = decimals.parse(text, fmt)
    except DecimalFormatError:
        assert expected is None, (text, expected)
    else:
        assert expected is not None, text
        assert parsed == expected
        assert parsed.as_tuple().exponent == -fmt.places
    # The contract's pattern says the same (read as ECMA-262 would: ASCII [0-9]).
    assert (re.fullmatch(fmt.pattern, text) is not None) == (expected is not None)


@pytest.mark.parametrize("value", [None, 1, 1.5, True, b"1", Decimal("1"), ["1"], {"1": 1}])
def test_only_text_is_parsed(value: Any) -> None:
    with pytest.raises(DecimalFormatError):
        decimals.parse(value, money.FORMAT)


def test_patterns_are_ascii_and_bounded() -> None:
    assert money.PATTERN == r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$"
    assert SHARE.pattern == r"^(100(\.0{1,2})?|(0|[1-9][0-9]{0,1})(\.[0-9]{1,2})?)$"
    assert RATIO.pattern == r"^(1(\.0{1,4})?|(0)(\.[0-9]{1,4})?)$"
    for fmt in FORMATS.values():
        assert "\\d" not in fmt.pattern
    with pytest.raises(ValueError, match="power of ten or all nines"):
        DecimalFormat(places=2, maximum=Decimal(50))
    with pytest.raises(ValueError, match="signed or positive"):
        DecimalFormat(places=2, maximum=Decimal(1), signed=True, positive=True)
    assert money.FUNDING_POSITIVE.minimum == Decimal("0.01")


class Amounts(RequestBody):
    amount: Money
    share: Share
    ratio: Ratio


@pytest.mark.parametrize("field", ["amount", "share", "ratio"])
@pytest.mark.parametrize("bad", ["²", "⑤", "٣", "1e3", "NaN", "Infinity", "", " 1", "1,000", 1])
def test_the_schema_types_refuse_with_a_bilingual_decimal_violation(field: str, bad: Any) -> None:
    body = {"amount": "1.00", "share": "60", "ratio": "0.3", field: bad}
    with pytest.raises(ValidationError) as caught:
        Amounts.model_validate(body)
    [error] = caught.value.errors()
    assert error["type"] == "decimal_format"
    [violation] = violations_from_pydantic(caught.value.errors())
    assert violation.field == field
    assert violation.message.zh.startswith("应为十进制数字字符串：半角数字，0 至 ")
    assert "ASCII digits" in violation.message.en


def test_the_schema_types_read_and_write_fixed_places() -> None:
    amounts = Amounts.model_validate({"amount": "1500000", "share": "60.5", "ratio": "0.3"})
    assert amounts.model_dump(mode="json") == {
        "amount": "1500000.00",
        "share": "60.50",
        "ratio": "0.3000",
    }


def _strings(schema: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            found.append(schema)
        for value in schema.values():
            found.extend(_strings(value))
    elif isinstance(schema, list):
        for value in schema:
            found.extend(_strings(value))
    return found


def test_every_decimal_of_every_request_body_is_read_by_the_one_parser() -> None:
    """A request field whose Python type is Decimal is annotated with `DecimalText` (so
    `decimals.parse` reads it), and no schema pattern in the contract says `\\d`."""
    patterns = {money.PATTERN, SHARE.pattern, RATIO.pattern, SCORE.pattern}
    patterns |= {f.pattern for f in (money.POSITIVE, money.FUNDING, money.FUNDING_POSITIVE)}
    for cls in schema_classes():
        if not issubclass(cls, RequestBody):
            continue
        for name, info in cls.model_fields.items():
            if "Decimal" in repr(info.annotation):
                described = cls.model_json_schema()["properties"][name]
                assert {s.get("pattern") for s in _strings(described)} & patterns, (cls, name)
    contract = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    for schema in _strings(contract):
        assert "\\d" not in schema.get("pattern", ""), schema
