"""Pydantic's validation errors as bilingual violations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jiebang_api.kit.errors import Message, Violation

# Chinese wording for the error types callers meet most; anything else keeps pydantic's text.
_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式错误",
    "string_type": "应为字符串",
    "string_too_short": "字符串过短（至少 {min_length} 个字符）",
    "string_too_long": "字符串过长（至多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不符合要求",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为十进制数字字符串",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式错误",
    "datetime_from_date_parsing": "日期时间格式错误",
    "timezone_aware": "日期时间须带时区",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "enum": "取值应为：{expected}",
    "literal_error": "取值应为：{expected}",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "value_error": "取值无效：{error}",
    "too_short": "元素过少（至少 {min_length} 个）",
    "too_long": "元素过多（至多 {max_length} 个）",
}


def _field(loc: Sequence[Any]) -> str | None:
    return ".".join(str(part) for part in loc) or None


def _zh(error: dict[str, Any]) -> str:
    template = _ZH.get(error.get("type", ""))
    if template is None:
        return f"输入无效：{error.get('msg', '')}"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        # No context to fill in: keep the wording before the first placeholder or aside.
        return re.split(r"[：（{]", template, maxsplit=1)[0].strip()


def violations_from_pydantic(errors: Sequence[dict[str, Any]]) -> list[Violation]:
    """One violation per pydantic error, located by its dotted path."""
    return [
        Violation(
            message=Message(_zh(error), str(error.get("msg", ""))), field=_field(error["loc"])
        )
        for error in errors
    ]
