"""schemathesis drives every operation of the committed contract against the app, on every
backend, with positive and negative data and all of its default checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from jiebang_api.main import create_app
from jiebang_api.settings import Environment, Settings

EXAMPLES_PER_OPERATION = 50
CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
OPERATIONS = [
    (method.upper(), path)
    for path, item in yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["paths"].items()
    for method in item
]


@pytest.fixture(scope="session")
def api_schema(database_factory: Callable[[], str]) -> OpenApiSchema:
    # A database of its own: the fuzzer moves the sandbox clock at random.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.TEST,
        database_url=database_factory(),
        database_null_pool=True,
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))


def test_every_contract_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 5


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_the_contract(api_schema: OpenApiSchema, method: str, path: str) -> None:
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def honours(case: schemathesis.Case) -> None:
        case.call_and_validate()

    honours()
