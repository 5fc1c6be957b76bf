"""The contract's schemas and examples as generated clients and API linters read them:
component names are plain and unique, and every example validates against its schema."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from jiebang_api.api.findings import Finding
from jiebang_api.api.v1.schemas import declared_examples, schema_classes
from jiebang_api.api.v1.schemas.base import RequestBody
from jiebang_api.kit.context import language_var

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
COMPONENTS: dict[str, Any] = DOCUMENT["components"]
SCHEMA_NAMES = list(COMPONENTS["schemas"])
# What pydantic and FastAPI make of a class name that two modules share.
MODULE_PATH = re.compile(r"__|\.|jiebang_api")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# JSON Schema keywords whose value is one subschema, a list of them, or a map of them.
ONE_SCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")


# --- component names -----------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_component_names_carry_no_module_path(name: str) -> None:
    assert not MODULE_PATH.search(name), (
        f"components.schemas.{name}: a module path in the name means two schema classes "
        "share it; give each class a name of its own"
    )


def test_component_names_are_unique_ignoring_case() -> None:
    by_folded: dict[str, list[str]] = {}
    for name in SCHEMA_NAMES:
        by_folded.setdefault(name.casefold(), []).append(name)
    clashes = [names for names in by_folded.values() if len(names) > 1]
    assert clashes == []


def test_schema_class_names_are_unique() -> None:
    """The rule that keeps module paths out of the document: no two schema classes share a
    name (FastAPI prefixes the module path to tell them apart)."""
    by_name: dict[str, list[str]] = {}
    for cls in schema_classes():
        by_name.setdefault(cls.__name__, []).append(cls.__module__)
    shared = {name: modules for name, modules in by_name.items() if len(modules) > 1}
    assert shared == {}


# --- examples --------------------------------------------------------------------------------


def subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The schema and every schema inside it, each with its JSON pointer (examples are data,
    never walked)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword in ONE_SCHEMA:
        if keyword in schema:
            yield from subschemas(schema[keyword], f"{pointer}/{keyword}")
    for keyword in SCHEMA_LIST:
        for n, item in enumerate(schema.get(keyword) or []):
            yield from subschemas(item, f"{pointer}/{keyword}/{n}")
    for keyword in SCHEMA_MAP:
        for name, item in (schema.get(keyword) or {}).items():
            yield from subschemas(item, f"{pointer}/{keyword}/{escape(name)}")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def schema_examples(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """`(pointer, schema, example)` for every `examples` item and `example` in the schema."""
    for where, node in subschemas(schema, pointer):
        for n, example in enumerate(node.get("examples") or []):
            yield f"{where}/examples/{n}", node, example
        if "example" in node:
            yield f"{where}/example", node, node["example"]


def resolve(item: dict[str, Any]) -> dict[str, Any]:
    """A response, parameter, header or example, following `$ref`s within the document."""
    while "$ref" in item:
        node: Any = DOCUMENT
        for token in item["$ref"].removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        item = node
    return item


def media_examples(
    content: dict[str, Any], pointer: str
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """The examples of each media type, checked against its schema, and those inside the
    schema itself."""
    for media_type, media in content.items():
        where = f"{pointer}/content/{escape(media_type)}"
        yield from own_examples(media, where)


def parameter_examples(
    item: dict[str, Any], pointer: str
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """The examples of a parameter or header: its own and its schema's."""
    yield from own_examples(resolve(item), pointer)


def own_examples(holder: dict[str, Any], pointer: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """A media type's, parameter's or header's `example` and `examples`, and its schema's."""
    schema = holder.get("schema")
    if schema is None:
        return
    if "example" in holder:
        yield f"{pointer}/example", schema, holder["example"]
    for name, example in (holder.get("examples") or {}).items():
        example = resolve(example)
        if "value" in example:
            yield f"{pointer}/examples/{escape(name)}/value", schema, example["value"]
    yield from schema_examples(schema, f"{pointer}/schema")


def operation_examples(
    root: str, path_items: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    for path, path_item in path_items.items():
        item_pointer = f"#/{root}/{escape(path)}"
        for n, parameter in enumerate(path_item.get("parameters") or []):
            yield from parameter_examples(parameter, f"{item_pointer}/parameters/{n}")
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            pointer = f"{item_pointer}/{method}"
            for n, parameter in enumerate(operation.get("parameters") or []):
                yield from parameter_examples(parameter, f"{pointer}/parameters/{n}")
            if body := operation.get("requestBody"):
                yield from media_examples(
                    resolve(body).get("content") or {}, f"{pointer}/requestBody"
                )
            for status, response in (operation.get("responses") or {}).items():
                response = resolve(response)
                where = f"{pointer}/responses/{status}"
                yield from media_examples(response.get("content") or {}, where)
                for name, header in (response.get("headers") or {}).items():
                    yield from parameter_examples(header, f"{where}/headers/{escape(name)}")


def all_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for name, schema in COMPONENTS.get("schemas", {}).items():
        yield from schema_examples(schema, f"#/components/schemas/{escape(name)}")
    for kind in ("parameters", "headers"):
        for name, item in COMPONENTS.get(kind, {}).items():
            yield from parameter_examples(item, f"#/components/{kind}/{escape(name)}")
    for name, response in COMPONENTS.get("responses", {}).items():
        yield from media_examples(
            response.get("content") or {}, f"#/components/responses/{escape(name)}"
        )
    for name, body in COMPONENTS.get("requestBodies", {}).items():
        yield from media_examples(
            body.get("content") or {}, f"#/components/requestBodies/{escape(name)}"
        )
    yield from operation_examples("paths", DOCUMENT.get("paths", {}))
    yield from operation_examples("webhooks", DOCUMENT.get("webhooks", {}))


EXAMPLES = list(all_examples())
DECLARED_EXAMPLES = declared_examples()


def failures(schema: dict[str, Any], example: Any, components: dict[str, Any]) -> list[str]:
    """Why the example fails its schema, one line per error ($refs resolved in `components`)."""
    validator = Draft202012Validator({**schema, "components": components})
    lines = []
    for error in sorted(validator.iter_errors(example), key=lambda e: e.json_path):
        lines.append(f"at {error.json_path}: {error.message[:300]}")
        # Why each branch of an anyOf/oneOf refused it.
        lines.extend(
            f"  - {sub.json_path}: {sub.message[:300]}"
            for sub in sorted(error.context or [], key=lambda e: e.json_path)
        )
    return lines


def test_the_document_has_examples_to_check() -> None:
    pointers = {pointer for pointer, _, _ in EXAMPLES}
    assert "#/components/schemas/ListingOut/examples/0" in pointers
    assert "#/components/schemas/ListingOut/properties/total_rd_investment/anyOf/0/examples/0" in (
        pointers
    )
    assert any("/requestBody/content/" in p for p in pointers)
    assert any("/responses/" in p for p in pointers)


@pytest.mark.parametrize(
    ("pointer", "schema", "example"), EXAMPLES, ids=[pointer for pointer, _, _ in EXAMPLES]
)
def test_every_example_validates_against_its_schema(
    pointer: str, schema: dict[str, Any], example: Any
) -> None:
    errors = failures(schema, example, COMPONENTS)
    shown = json.dumps(example, ensure_ascii=False)
    assert errors == [], (
        f"{pointer} does not validate against its schema:\n  "
        + "\n  ".join(errors)
        + f"\nexample: {shown[:500]}"
        + lost_nulls(pointer, example)
    )


def lost_nulls(pointer: str, example: Any) -> str:
    """A hint when the document's example is not the one its class declares."""
    found = re.fullmatch(r"#/components/schemas/([^/]+)/examples/(\d+)", pointer)
    if not found:
        return ""
    declared = DECLARED_EXAMPLES.get(found[1], [])
    n = int(found[2])
    if n >= len(declared) or declared[n] == example:
        return ""
    return (
        f"\nthe class {found[1]} declares a different example (with its nulls): FastAPI's "
        "get_openapi drops every null from the document (fastapi#5559); the exporter must put "
        "back jiebang_api.api.v1.schemas.declared_examples()"
    )


# --- the models' own examples, before the document is built ------------------------------------


def model_examples() -> Iterator[tuple[str, dict[str, Any], dict[str, Any], Any]]:
    """`(model, schema, definitions, example)` for each example a schema class declares, from
    pydantic's own JSON schema (request bodies as read, responses as written)."""
    for cls in schema_classes():
        mode = "validation" if issubclass(cls, RequestBody) else "serialization"
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        definitions = schema.pop("$defs", {})
        for pointer, node, example in schema_examples(schema, cls.__name__):
            yield pointer, node, definitions, example


MODEL_EXAMPLES = list(model_examples())


@pytest.mark.parametrize(
    ("pointer", "schema", "definitions", "example"),
    MODEL_EXAMPLES,
    ids=[pointer for pointer, *_ in MODEL_EXAMPLES],
)
def test_every_model_example_validates_against_the_models_schema(
    pointer: str, schema: dict[str, Any], definitions: dict[str, Any], example: Any
) -> None:
    """The examples as the classes declare them, nulls included: the document must carry
    them unchanged."""
    errors = failures(schema, example, {"schemas": definitions})
    shown = json.dumps(example, ensure_ascii=False)
    assert errors == [], (
        f"{pointer} does not validate against its schema:\n  "
        + "\n  ".join(errors)
        + f"\nexample: {shown[:500]}"
    )


# --- one finding shape --------------------------------------------------------------------------


def test_a_finding_reads_both_stored_shapes_into_one() -> None:
    """Listings store `message: {zh, en}` without `org_id`; applications store
    `message_zh`/`message_en` with it. Both are written out as one `Finding`."""
    listing_warning = {
        "rule": "R-ELIG-TB-PROPOSER-SCALE",
        "article": "第五条（一）",
        "field": "proposer",
        "message": {"zh": "发榜方一般应为高新技术企业。", "en": "Generally a high-tech firm."},
    }
    application_finding = {
        "rule": "R-ELIG-PRIORITY",
        "article": "第六条（三）",
        "org_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
        "field": "lead_org_id",
        "message_zh": "优先支持。",
        "message_en": "An encouraged applicant.",
    }
    assert Finding.model_validate(listing_warning).model_dump(mode="json") == {
        "rule": "R-ELIG-TB-PROPOSER-SCALE",
        "article": "第五条（一）",
        "org_id": None,
        "field": "proposer",
        "message": "发榜方一般应为高新技术企业。",  # Chinese outside a request
        "message_zh": "发榜方一般应为高新技术企业。",
        "message_en": "Generally a high-tech firm.",
    }
    assert Finding(**listing_warning).message_en == "Generally a high-tech firm."
    assert Finding.model_validate(application_finding).model_dump(mode="json") == {
        **application_finding,
        "message": "优先支持。",
    }
    token = language_var.set("en")
    try:
        assert Finding.model_validate(application_finding).message == "An encouraged applicant."
    finally:
        language_var.reset(token)
