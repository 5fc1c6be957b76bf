"""Pydantic validation errors rendered as bilingual violations."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any, Literal

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from jiebang_api.api.validation_messages import violations_from_pydantic
from jiebang_api.kit.errors import Message, Violation


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Item(BaseModel):
    name: str = Field(default="ok", min_length=2)


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    count: int = Field(default=1, gt=0)
    ratio: float = Field(default=0.5, ge=0.25, le=0.75)
    limit: int = Field(default=1, lt=10)
    title: str = Field(default="abc", min_length=2, max_length=5)
    tags: list[str] = Field(default_factory=lambda: ["x"], min_length=1, max_length=2)
    kind: Literal["tech", "emergency"] = "tech"
    colour: Colour = Colour.RED
    items: list[Item] = Field(default_factory=list)
    meta: dict[str, int] = Field(default_factory=dict)
    when: AwareDatetime | None = None
    ref: uuid.UUID | None = None
    flag: bool = False
    day: date | None = None
    note: str = "fine"
    custom: int = 0

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("不能为空白")
        return value

    @field_validator("custom")
    @classmethod
    def _custom(cls, value: int) -> int:
        # Errors of a known type raised without the context its Chinese template needs.
        kinds = {
            1: "greater_than",
            2: "greater_than_equal",
            3: "less_than",
            4: "less_than_equal",
            5: "string_too_short",
            6: "string_too_long",
            7: "too_short",
            8: "too_long",
            9: "enum",
            10: "value_error",
            99: "some_new_error_type",
        }
        if value in kinds:
            raise PydanticCustomError(kinds[value], "custom {what}", {"what": "problem"})
        return value


def errors_of(**fields: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate({"code": "C-1", **fields})
    return caught.value.errors()


def only_violation(**fields: Any) -> tuple[Violation, dict[str, Any]]:
    errors = errors_of(**fields)
    assert len(errors) == 1, errors
    violations = violations_from_pydantic(errors)
    assert len(violations) == 1
    return violations[0], errors[0]


@pytest.mark.parametrize(
    ("fields", "field", "zh"),
    [
        ({"count": 0}, "count", "应大于 0"),
        ({"count": "abc"}, "count", "应为整数"),
        ({"count": 1.5}, "count", "应为整数"),
        ({"ratio": 0.1}, "ratio", "应大于或等于 0.25"),
        ({"ratio": 2}, "ratio", "应小于或等于 0.75"),
        ({"ratio": "half"}, "ratio", "应为数字"),
        ({"limit": 10}, "limit", "应小于 10"),
        ({"title": "a"}, "title", "字符串过短（至少 2 个字符）"),
        ({"title": "abcdef"}, "title", "字符串过长（至多 5 个字符）"),
        ({"title": 5}, "title", "应为字符串"),
        ({"tags": []}, "tags", "元素过少（至少 1 个）"),
        ({"tags": ["a", "b", "c"]}, "tags", "元素过多（至多 2 个）"),
        ({"tags": "a"}, "tags", "应为数组"),
        ({"kind": "other"}, "kind", "取值应为：'tech' or 'emergency'"),
        ({"colour": "green"}, "colour", "取值应为：'red' or 'blue'"),
        ({"meta": []}, "meta", "应为对象"),
        ({"meta": {"a": "x"}}, "meta.a", "应为整数"),
        ({"items": [{"name": "ok"}, {"name": "q"}]}, "items.1.name", "字符串过短（至少 2 个字符）"),
        ({"items": [5]}, "items.0", "应为对象"),
        ({"when": "2025-01-01T00:00:00"}, "when", "日期时间须带时区"),
        ({"when": "yesterday"}, "when", "日期时间格式错误"),
        ({"ref": "not-a-uuid"}, "ref", "应为 UUID"),
        ({"flag": "maybe"}, "flag", "应为布尔值"),
        ({"note": "  "}, "note", "取值无效：不能为空白"),
        ({"surplus": 1}, "surplus", "不允许的字段"),
    ],
)
def test_known_error_types_get_chinese_with_context(
    fields: dict[str, Any], field: str, zh: str
) -> None:
    violation, error = only_violation(**fields)
    assert violation == Violation(message=Message(zh, error["msg"]), field=field)
    assert violation.rule is None
    assert violation.article is None


def test_missing_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate({})
    [violation] = violations_from_pydantic(caught.value.errors())
    assert violation == Violation(message=Message("缺少必填字段", "Field required"), field="code")


@pytest.mark.parametrize(
    "fields",
    [{"day": "zz"}, {"custom": 99}],
    ids=["unlisted-pydantic-type", "custom-type"],
)
def test_unknown_type_falls_back_to_pydantic_text(fields: dict[str, Any]) -> None:
    violation, error = only_violation(**fields)
    assert error["type"] not in {"missing", "int_parsing", "date_parsing"}
    assert violation.message.zh == f"输入无效：{error['msg']}"
    assert violation.message.en == error["msg"]


@pytest.mark.parametrize(
    ("custom", "zh"),
    [
        pytest.param(1, "应大于", id="greater_than"),
        pytest.param(2, "应大于或等于", id="greater_than_equal"),
        pytest.param(3, "应小于", id="less_than"),
        pytest.param(4, "应小于或等于", id="less_than_equal"),
        pytest.param(5, "字符串过短", id="string_too_short"),
        pytest.param(6, "字符串过长", id="string_too_long"),
        pytest.param(7, "元素过少", id="too_short"),
        pytest.param(8, "元素过多", id="too_long"),
        pytest.param(9, "取值应为", id="enum"),
        pytest.param(10, "取值无效", id="value_error"),
    ],
)
def test_known_type_without_its_context_drops_the_parameter(custom: int, zh: str) -> None:
    violation, error = only_violation(custom=custom)
    assert error["msg"] == "custom problem"
    assert violation.field == "custom"
    assert "{" not in violation.message.zh, violation.message.zh
    assert violation.message.zh == zh


def test_one_violation_per_error_in_order() -> None:
    errors = errors_of(count=0, title="a", items=[{"name": "x"}], surplus=True)
    violations = violations_from_pydantic(errors)
    assert [v.field for v in violations] == ["count", "title", "items.0.name", "surplus"]
    assert [v.message.en for v in violations] == [e["msg"] for e in errors]


def test_no_errors_no_violations() -> None:
    assert violations_from_pydantic([]) == []


def test_fastapi_style_location_is_dotted() -> None:
    errors = [{"type": "missing", "loc": ("body", "items", 2, "name"), "msg": "Field required"}]
    assert violations_from_pydantic(errors)[0].field == "body.items.2.name"
