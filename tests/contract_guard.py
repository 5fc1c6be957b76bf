"""Every response the suite's HTTP clients receive is held to the committed contract: a
problem document must validate against `Problem` and its status and `code` must be among those
the operation documents, and a header the service sends
(`X-Request-ID`, `ETag`, `Location`, `Retry-After`, `WWW-Authenticate`) must be declared on
that operation's response for that status. Responses to paths the contract does not name
(a deliberate 404, say) are not checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator

CONTRACT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.yaml"
TRACKED_HEADERS = ("x-request-id", "etag", "location", "retry-after", "www-authenticate")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


@cache
def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return loaded


@cache
def _operations() -> list[Operation]:
    found = []
    for template, item in _document()["paths"].items():
        parts = re.split(r"(\{[^/}]+\})", template)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        for method, operation in item.items():
            found.append(
                Operation(method.upper(), template, re.compile(regex), operation["responses"])
            )
    # Literal paths before templated ones: `/listings/public` wins over `/listings/{id}`.
    return sorted(found, key=lambda o: o.template.count("{"))


@cache
def _problem_validator() -> Draft202012Validator:
    schema = {"$ref": "#/components/schemas/Problem", "components": _document()["components"]}
    return Draft202012Validator(schema)


def operation_of(method: str, path: str) -> Operation | None:
    for operation in _operations():
        if operation.method == method and operation.pattern.fullmatch(path):
            return operation
    return None


def check(response: httpx.Response) -> list[str]:
    """What the response breaks of the contract (empty when it keeps it)."""
    request = response.request
    operation = operation_of(request.method, request.url.path)
    if operation is None:
        return []
    where = f"{operation.method} {operation.template} → {response.status_code}"
    broken = []
    documented = operation.responses.get(str(response.status_code))
    if documented is not None:
        declared = {name.lower() for name in documented.get("headers", {})}
        broken += [
            f"{where}: header {name} is sent but not declared"
            for name in TRACKED_HEADERS
            if name in response.headers and name not in declared
        ]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        body = response.json()
        broken += [
            f"{where}: problem document: {error.message}"
            for error in _problem_validator().iter_errors(body)
        ]
        if documented is None:
            broken.append(f"{where}: status not documented ({body.get('code')})")
        elif body.get("code") not in documented_codes(documented):
            broken.append(f"{where}: code {body.get('code')} not documented")
    return broken


def documented_codes(response: dict[str, Any]) -> set[str]:
    """The problem codes a documented response names in its examples."""
    media = response.get("content", {}).get("application/problem+json", {})
    examples = [e.get("value", {}) for e in (media.get("examples") or {}).values()]
    if "example" in media:
        examples.append(media["example"])
    return {example.get("code") for example in examples}
