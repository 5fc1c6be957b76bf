"""The committed contract equals the app's document, is valid, and is complete enough for
a tester to work from Swagger UI alone."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from fastapi import FastAPI
from openapi_spec_validator import validate

from jiebang_api.api.openapi import build, to_yaml
from jiebang_api.listings import workflow
from jiebang_api.listings.workflow import ListingStatus
from jiebang_api.main import create_app
from jiebang_api.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:"))  # type: ignore[call-arg]
    return build(app)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_committed_contract_equals_the_app(document: dict[str, Any]) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == to_yaml(document), (
        "openapi/openapi.yaml is stale: run `jiebang-api export-openapi` and commit it"
    )


def test_contract_is_a_valid_openapi_document() -> None:
    validate(yaml.safe_load(COMMITTED.read_text(encoding="utf-8")))


def test_every_operation_is_documented_for_testers(document: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in operations(document):
        name = f"{method} {path}"
        for key in ("summary", "description", "tags", "operationId"):
            if not operation.get(key):
                problems.append(f"{name}: no {key}")
        responses = operation["responses"]
        success = [r for status, r in responses.items() if status.startswith("2")]
        if not success:
            problems.append(f"{name}: no success response")
        for response in success:
            for media in response.get("content", {}).values():
                schema = resolve(document, media.get("schema", {}))
                if not ("example" in media or "examples" in media or "examples" in schema):
                    problems.append(f"{name}: success response without an example")
        errors = [status for status in responses if status[0] in "45"]
        if not errors:
            problems.append(f"{name}: no documented error response")
        for status in errors:
            content = responses[status].get("content", {})
            if "application/problem+json" not in content:
                problems.append(f"{name}: {status} is not a problem document")
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "422" not in responses:
                problems.append(f"{name}: takes a body but documents no 422")
            if "example" in media or "examples" in media:
                continue
            variants = resolve(document, media["schema"]).get("anyOf", [media["schema"]])
            for variant in variants:
                if "examples" not in resolve(document, variant):
                    problems.append(f"{name}: request body without examples")
    assert problems == []


def test_every_parameter_enum_and_security_is_spelled_out(document: dict[str, Any]) -> None:
    undescribed = [
        f"{method} {path} {parameter['name']}"
        for method, path, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert undescribed == []
    anonymous = {f"{m} {p}" for m, p, op in operations(document) if op["security"] == []}
    assert {"GET /api/v1/public/listings", "POST /api/v1/auth/token", "GET /healthz"} <= anonymous
    assert "POST /api/v1/listings" not in anonymous
    flows = document["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert set(flows) == {"password", "clientCredentials"}
    unexplained = [
        (where, value)
        for where, schema in enumerations(document)
        for value in schema["enum"]
        if f"`{value}`" not in schema.get("description", "")
    ]
    assert unexplained == []
    assert len(list(enumerations(document))) > 20


def enumerations(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema in the document that enumerates two or more values, with its location."""
    if isinstance(node, dict):
        if len(node.get("enum", [])) > 1:
            yield where, node
        for key, child in node.items():
            yield from enumerations(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from enumerations(child, f"{where}/{index}")


def test_allowed_actions_name_real_operations(document: dict[str, Any]) -> None:
    every = set()
    for machine in (workflow.ORDINARY, workflow.EMERGENCY):
        for state in ListingStatus:
            every |= set(machine.allowed_operations(state))
    assert {"screen", "assessments"} <= every
    assert not {"screen_pass", "screen_fail", "assess"} & every
    for operation in every:
        assert "post" in document["paths"][f"/api/v1/listings/{{listing_id}}/{operation}"]
    declared = document["components"]["schemas"]["ListingOut"]["properties"]["allowed_actions"]
    assert set(declared["items"]["enum"]) == every


async def test_served_documents_equal_the_committed_one(client: httpx.AsyncClient) -> None:
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert (await client.get("/openapi.json")).json() == committed
    assert yaml.safe_load((await client.get("/openapi.yaml")).text) == committed


def export_check(output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jiebang_api", "export-openapi", "--check", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_export_check_passes_on_the_committed_contract() -> None:
    result = export_check(COMMITTED)
    assert result.returncode == 0, result.stderr


def test_export_check_fails_when_a_route_changed_without_export(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    changed: dict[str, Any] = yaml.safe_load(to_yaml(document))
    changed["paths"]["/api/v1/meta/enums"]["get"]["summary"] = "an edited summary"
    stale = tmp_path / "openapi.yaml"
    stale.write_text(to_yaml(changed), encoding="utf-8")
    result = export_check(stale)
    assert result.returncode == 1
    assert "differs" in result.stderr


def test_a_new_route_changes_the_document() -> None:
    app: FastAPI = create_app(Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:"))  # type: ignore[call-arg]

    async def extra() -> dict[str, str]:
        return {}

    app.add_api_route("/api/v1/extra", extra, summary="extra")
    assert "/api/v1/extra" in build(app)["paths"]
    assert to_yaml(build(app)) != COMMITTED.read_text(encoding="utf-8")


def test_a_parameter_left_out_is_absent_never_null(document: dict[str, Any]) -> None:
    nullable = [
        f"{method} {path} {parameter['name']}"
        for method, path, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if {"type": "null"} in parameter["schema"].get("anyOf", [])
        or parameter["schema"].get("type") == "null"
    ]
    assert nullable == []


def test_rules_across_fields_are_in_the_schema(document: dict[str, Any]) -> None:
    """What a token grant needs and a listing's proposer by kind: a client validating against
    the document is refused what the service refuses."""
    schemas = document["components"]["schemas"]
    resolver = {"components": document["components"]}

    def valid(name: str, value: dict[str, Any]) -> bool:
        schema = {**schemas[name], **resolver}
        return jsonschema.Draft202012Validator(schema).is_valid(value)

    assert valid("TokenRequest", {"grant_type": "password", "username": "u", "password": "p"})
    assert not valid("TokenRequest", {"grant_type": "password", "client_id": "c"})
    assert not valid("TokenRequest", {"grant_type": "client_credentials", "username": "u"})
    proposer = "9d1f0c7e-2b3a-4c5d-8e9f-0a1b2c3d4e5f"
    assert valid(
        "ListingIn", {"kind": "tech_breakthrough", "title": "t", "proposer_org_id": proposer}
    )
    assert not valid("ListingIn", {"kind": "achievement_transfer", "title": "t"})
    assert not valid("ListingIn", {"kind": "emergency", "title": "t", "proposer_org_id": proposer})
    assert valid("ListingIn", {"kind": "emergency", "title": "t"})
