"""What JSON Schema can say beyond a field's type, for `json_schema_extra`: what each literal
value means, and rules across fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from pydantic.config import JsonDict

from jiebang_api.kit.labels import label_of


def values(labels: Mapping[str, tuple[str, str]]) -> Callable[[JsonDict], None]:
    """`json_schema_extra` for a field of literal values (or a list of them): its enumeration
    says what each value means, in zh and en, like a labelled enumeration's component."""
    lines = "\n".join(f"- `{value}`: {zh} / {en}" for value, (zh, en) in labels.items())

    def describe(schema: JsonDict) -> None:
        target = _enumeration(schema)
        enum = target.get("enum")
        if not isinstance(enum, list) or sorted(map(str, enum)) != sorted(labels):
            raise ValueError(f"labels {sorted(labels)} do not match {enum}")
        intro = target.get("description", "取值 / Values:")
        target["description"] = f"{intro}\n\n{lines}"

    return describe


def labels_of(enum: type[StrEnum], members: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The labels of some members of a labelled enumeration, for `values`."""
    return {m: (label_of(enum(m)).zh, label_of(enum(m)).en) for m in members}


def _enumeration(schema: JsonDict) -> JsonDict:
    """The schema that enumerates: the field's own, its items', or its non-null branch's."""
    candidates = [schema, schema.get("items"), *schema.get("anyOf", [])]  # type: ignore[misc]
    return next((c for c in candidates if isinstance(c, dict) and "enum" in c), schema)


def when(field: str, value: str, then: JsonDict, otherwise: JsonDict) -> JsonDict:
    """A rule across fields in the schema (`if`/`then`/`else`): which properties `then`
    applies when `field` is `value`, `otherwise` when not. Each branch says
    `unevaluatedProperties: true` (the default) outright: Redocly's example check assumes
    `false` in a branch that does not, and would refuse every valid example."""
    return {
        "if": {"properties": {field: {"const": value}}},
        "then": {**then, "unevaluatedProperties": True},
        "else": {**otherwise, "unevaluatedProperties": True},
    }
