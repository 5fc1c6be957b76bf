"""The change feed's `types` parameter: a comma-separated list of known event types."""

from __future__ import annotations

import pytest

from jiebang_api.integration.feed import parse_types
from jiebang_api.kit.errors import ErrorCode, InputInvalid

KNOWN = {"listing.closed", "project.created", "application.submitted"}


@pytest.mark.parametrize(
    ("text", "types"),
    [
        (None, ()),
        ("listing.closed", ("listing.closed",)),
        ("project.created,listing.closed", ("project.created", "listing.closed")),
        ("listing.closed,listing.closed", ("listing.closed",)),
    ],
)
def test_known_types_are_read_in_order_once(text: str | None, types: tuple[str, ...]) -> None:
    assert parse_types(text, KNOWN) == types


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("listing.nope", ["`listing.nope`"]),
        ("listing.closed,x,y,x", ["`x`", "`y`"]),
        ("", ["``"]),
        ("listing.closed,", ["``"]),
        (" listing.closed", ["` listing.closed`"]),
    ],
)
def test_unknown_types_are_refused_at_the_parameter_naming_each(
    text: str, named: list[str]
) -> None:
    with pytest.raises(InputInvalid) as refused:
        parse_types(text, KNOWN)
    assert refused.value.code is ErrorCode.VALIDATION_FAILED
    [violation] = refused.value.violations
    assert violation.field == "query.types"
    assert violation.message.en == f"Unknown event types: {', '.join(named)}."
