"""Decimal numbers written as text: one strict reading for every amount, share, ratio and score.

JSON carries them as strings (`"1500000.00"`, `"60.00"`, `"0.3"`), never as floats. A
`DecimalFormat` says how many decimal places a field takes, its largest value and whether it
may be negative; its `pattern` is what the contract states and `parse` is the one function
that reads such text: ASCII digits only (never `²`, `⑤`, `٣` or `１`, which `str.isdigit`
and `Decimal` treat as digits), at most one point with at least one digit on each side, no
exponent, no `NaN` or `Infinity`, no spaces, no grouping, no `+`, no leading zeros. Anything
else raises `DecimalFormatError`, and nothing else is ever raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

# Decimal's default context keeps 28 significant digits: every format must fit in it.
_PRECISION = 28


class DecimalFormatError(ValueError):
    """The text is not a decimal of the format (the only error `parse` raises)."""

    def __init__(self, fmt: DecimalFormat) -> None:
        super().__init__(
            f"a decimal string of ASCII digits from {fmt.minimum} to {fmt.maximum} "
            f"with at most {fmt.places} decimal places"
        )
        self.format = fmt


@dataclass(frozen=True)
class DecimalFormat:
    """Decimal strings with at most `places` decimal places, from 0 (or from `-maximum`
    when `signed`; above 0 when `positive`) to `maximum`, which is a power of ten (`100` for
    percentages, `1` for ratios; inclusive) or all nines (`9999999999999999.99` for
    amounts)."""

    places: int
    maximum: Decimal
    signed: bool = False
    positive: bool = False
    pattern: str = field(init=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.places < 0 or self.maximum <= 0:
            raise ValueError("a decimal format has places >= 0 and a positive maximum")
        if self.signed and self.positive:
            raise ValueError("a decimal format is signed or positive, not both")
        pattern = f"^{'-?' if self.signed else ''}{self._unsigned()}$"
        object.__setattr__(self, "pattern", pattern)
        object.__setattr__(self, "_regex", re.compile(pattern, re.ASCII))

    def _unsigned(self) -> str:
        """The pattern of the magnitudes from 0 to `maximum`: ASCII `[0-9]` only (`\\d`
        would take every Unicode digit in Python)."""
        fraction = f"(\\.[0-9]{{1,{self.places}}})?" if self.places else ""
        power = self.maximum.normalize().as_tuple()
        if power.digits == (1,) and int(power.exponent) >= 0:  # 10**k, inclusive
            digits = int(power.exponent)  # below the maximum, at most k digits
            zeros = f"(\\.0{{1,{self.places}}})?" if self.places else ""
            top = "1" + "0" * digits + zeros
        else:
            digits = len(str(int(self.maximum)))
            if self.maximum != Decimal(10) ** digits - self.quantum:
                raise ValueError(f"a maximum is a power of ten or all nines, not {self.maximum}")
            top = ""
        if digits + 1 + self.places > _PRECISION:
            raise ValueError("a decimal format must fit in 28 significant digits")
        more = f"[0-9]{{0,{digits - 1}}}" if digits > 1 else ""
        if self.positive:
            # No lookahead (not every regex engine of the contract's readers has one): a
            # whole part from 1, or 0 with a fraction that is not all zeros.
            nonzero = "|".join(
                f"{'0' * i}[1-9][0-9]{{0,{self.places - 1 - i}}}" for i in range(self.places)
            )
            parts = [f"[1-9]{more}{fraction}"] if digits else []
            parts += [f"0\\.({nonzero})"] if self.places else []
            below = f"({'|'.join(parts)})"
        else:
            whole = "0" if digits == 0 else f"0|[1-9]{more}"
            below = f"({whole}){fraction}"
        return f"({top}|{below})" if top else below

    @property
    def quantum(self) -> Decimal:
        """The smallest step: `Decimal("0.01")` for two places."""
        return Decimal(1).scaleb(-self.places)

    @property
    def minimum(self) -> Decimal:
        """The least value (inclusive; for a positive format, the least above 0)."""
        if self.positive:
            return self.quantum
        return -self.maximum if self.signed else Decimal(0)

    def matches(self, text: str) -> bool:
        return self._regex.fullmatch(text) is not None


def parse(text: object, fmt: DecimalFormat) -> Decimal:
    """The value `text` writes, with exactly `fmt.places` places; `DecimalFormatError` for
    anything that is not a string of the format."""
    if not isinstance(text, str) or not fmt.matches(text):
        raise DecimalFormatError(fmt)
    # Only ASCII digits, one point and a sign are left: Decimal() reads them, never raises,
    # and the pattern has bounded the value.
    return Decimal(text).quantize(fmt.quantum)


def to_text(value: Decimal, fmt: DecimalFormat) -> str:
    """The string sent in JSON: exactly `fmt.places` places (`"60.00"`)."""
    return str(value.quantize(fmt.quantum))
