"""Money: `Decimal` in CNY, two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from jiebang_api.kit import decimals

CENT = Decimal("0.01")
MAX = Decimal("9999999999999999.99")
# An amount as JSON writes it: a decimal string from "0" to MAX, at most two places.
FORMAT = decimals.DecimalFormat(places=2, maximum=MAX)
PATTERN = FORMAT.pattern
# The same above zero (a total R&D investment of 0 is no investment).
POSITIVE = decimals.DecimalFormat(places=2, maximum=MAX, positive=True)
# The figures of the funding calculator and the department's money use cases: at most one
# trillion yuan, far above any project and well inside NUMERIC(18,2).
FUNDING_MAX = Decimal(10) ** 12
FUNDING = decimals.DecimalFormat(places=2, maximum=FUNDING_MAX)
FUNDING_POSITIVE = decimals.DecimalFormat(places=2, maximum=FUNDING_MAX, positive=True)


def parse(text: object) -> Decimal:
    """A non-negative amount written as a decimal string (`"1500000.00"`);
    `decimals.DecimalFormatError` (a ValueError) otherwise."""
    return decimals.parse(text, FORMAT)


def quantize(amount: Decimal) -> Decimal:
    """Round half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_text(amount: Decimal) -> str:
    """The decimal string sent in JSON."""
    return str(amount.quantize(CENT))
