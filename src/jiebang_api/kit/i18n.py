"""Language negotiation: Chinese by default, English when the caller prefers it."""

from __future__ import annotations

import math
from typing import Literal

Language = Literal["zh", "en"]


def _quality(params: list[str]) -> float | None:
    """The `q` weight of one entry (1 when absent); None when it is not a number in [0, 1]."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                return None
            return quality if math.isfinite(quality) and 0 <= quality <= 1 else None
    return 1.0


def _language(tag: str) -> Language | None:
    for language in ("en", "zh"):
        if tag == language or tag.startswith(f"{language}-"):
            return language
    return None


def negotiate(accept_language: str | None) -> Language:
    """Pick `en` or `zh` from an `Accept-Language` header; anything unclear gives `zh`."""
    if not accept_language:
        return "zh"
    best: tuple[float, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = part.strip().split(";")
        quality = _quality(params)
        language = _language(tag.strip().lower())
        if language is None or quality is None or quality == 0:
            continue
        # Earlier entries win ties, as the header's order expresses preference too.
        key = quality - position * 1e-6
        if best is None or key > best[0]:
            best = (key, language)
    return best[1] if best else "zh"
