"""The text a listing is found by in keyword search (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SEARCHED_FIELDS = ("title", "background", "key_technologies")


def search_text(
    title: str | None, background: str | None, key_technologies: Sequence[Mapping[str, Any]]
) -> str:
    """Title, background and every key technology's name and metrics, one per line."""
    parts = [title or "", background or ""]
    for tech in key_technologies:
        parts += [str(tech.get("name", "")), str(tech.get("target_metrics", ""))]
    return "\n".join(p for p in parts if p)
