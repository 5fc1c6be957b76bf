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
    "json_duplicate_key": "重复的字段：{key}（同一对象中每个字段只能出现一次）",
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
    "decimal_format": "应为十进制数字字符串：半角数字，{minimum} 至 {maximum}，至多 {places} 位小数"
    "（不用指数、空格或分隔符）",
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
    "iso_date": "应为 ISO 8601 日期字符串（YYYY-MM-DD）",
    "iso_datetime": "应为带时区的 ISO 8601 日期时间字符串（如 2027-01-05T09:00:00+08:00）",
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


# A problem lists at most this many violations (and says how many it left out).
MAX_VIOLATIONS = 50
# A violation about unknown fields names at most this many of them.
MAX_NAMES = 10
# A location's parts (keys a client chose) are cut to this many characters.
MAX_PART = 100


def _part(part: Any) -> str:
    text = str(part)
    return text if len(text) <= MAX_PART else text[:MAX_PART] + "…"


def _field(loc: Sequence[Any]) -> str | None:
    return ".".join(_part(part) for part in loc) or None


def _zh(error: dict[str, Any]) -> str:
    template = _ZH.get(error.get("type", ""))
    if template is None:
        return f"输入无效：{error.get('msg', '')}"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        # No context to fill in: keep the wording before the first placeholder or aside.
        return re.split(r"[：（{]", template, maxsplit=1)[0].strip()


def _unknown_fields(loc: Sequence[Any], names: list[str]) -> Violation:
    """One violation for all the unknown fields of one object, naming the first few."""
    shown = [_part(name) for name in names[:MAX_NAMES]]
    rest = len(names) - len(shown)
    zh = f"不允许的字段：{'、'.join(shown)}" + (f"（另有 {rest} 个）" if rest else "")
    en = f"Unknown fields: {', '.join(shown)}" + (f" (and {rest} more)" if rest else "")
    return Violation(message=Message(zh, en), field=_field(loc))


def violations_from_pydantic(errors: Sequence[dict[str, Any]]) -> list[Violation]:
    """One violation per pydantic error, located by its dotted path; but the unknown fields
    of one object, when there are several, are one violation (at the object) naming them."""
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error.get("type") == "extra_forbidden" and error["loc"]:
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    violations: list[Violation] = []
    grouped: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        names = unknown.get(loc[:-1], []) if error.get("type") == "extra_forbidden" else []
        if len(names) > 1:
            if loc[:-1] not in grouped:  # the group's one violation, where its first was
                grouped.add(loc[:-1])
                violations.append(_unknown_fields(loc[:-1], names))
            continue
        message = Message(_zh(error), str(error.get("msg", "")))
        violations.append(Violation(message=message, field=_field(loc)))
    return violations


def capped(violations: Sequence[Violation]) -> tuple[list[Violation], int]:
    """The first `MAX_VIOLATIONS` violations, and how many are left out."""
    return list(violations[:MAX_VIOLATIONS]), max(len(violations) - MAX_VIOLATIONS, 0)
