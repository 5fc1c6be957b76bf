"""Money: `Decimal` in CNY, two places, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PATTERN = r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$"
MAX = Decimal("9999999999999999.99")


def parse(text: str) -> Decimal:
    """A non-negative amount written as a decimal string (`"1500000.00"`); ValueError otherwise."""
    if not isinstance(text, str) or not re.fullmatch(PATTERN, text):
        raise ValueError("an amount is a decimal string with at most two decimal places")
    return Decimal(text).quantize(CENT)


def quantize(amount: Decimal) -> Decimal:
    """Round half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_text(amount: Decimal) -> str:
    """The decimal string sent in JSON."""
    return str(amount.quantize(CENT))
