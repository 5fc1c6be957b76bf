"""The three kinds of listing (Art. 4)."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "tech_breakthrough": ("技术攻关类", "Technology breakthrough"),
        "achievement_transfer": ("成果转化类", "Achievement transfer"),
        "emergency": ("应急类", "Emergency"),
    }
)
class ListingKind(StrEnum):
    TECH_BREAKTHROUGH = "tech_breakthrough"
    ACHIEVEMENT_TRANSFER = "achievement_transfer"
    EMERGENCY = "emergency"
