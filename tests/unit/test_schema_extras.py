"""`values` describes a literal field's enumeration, and refuses labels that do not match it."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from jiebang_api.api.schema_extras import values


def test_each_value_is_described_in_both_languages() -> None:
    class Body(BaseModel):
        kind: list[Literal["a", "b"]] = Field(
            json_schema_extra=values({"a": ("甲", "First"), "b": ("乙", "Second")})
        )

    items = Body.model_json_schema()["properties"]["kind"]["items"]
    assert "- `a`: 甲 / First" in items["description"]
    assert "- `b`: 乙 / Second" in items["description"]


def test_labels_that_miss_a_value_are_refused() -> None:
    class Body(BaseModel):
        kind: Literal["a", "b"] = Field(json_schema_extra=values({"a": ("甲", "First")}))

    with pytest.raises(ValueError, match="do not match"):
        Body.model_json_schema()
