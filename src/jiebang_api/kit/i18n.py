"""Language negotiation: Chinese by default, English when the caller prefers it."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]


def negotiate(accept_language: str | None) -> Language:
    """Pick `en` or `zh` from an `Accept-Language` header; anything unclear gives `zh`."""
    if not accept_language:
        return "zh"
    best: tuple[float, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language: Language | None = (
            "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        )
        if language is None or quality <= 0:
            continue
        # Earlier entries win ties, as the header's order expresses preference too.
        key = quality - position * 1e-6
        if best is None or key > best[0]:
            best = (key, language)
    return best[1] if best else "zh"
