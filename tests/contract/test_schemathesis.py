"""schemathesis drives every operation of the committed contract against the app, on every
backend, with positive and negative data, as an anonymous caller, an organisation manager and
an administrator, with all of its default checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
import yaml
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from factories import bearer, create_organization, create_user
from jiebang_api.main import create_app
from jiebang_api.settings import Environment, Settings

EXAMPLES_PER_OPERATION = 50
CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
OPERATIONS = [
    (method.upper(), path)
    for path, item in yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["paths"].items()
    for method in item
]


@dataclass(frozen=True)
class Fuzzing:
    schema: OpenApiSchema
    identities: dict[str, dict[str, str]]
    organization_id: str


async def _people(app: FastAPI) -> tuple[dict[str, dict[str, str]], str]:
    sessions = app.state.sessionmaker
    admin = await create_user(sessions, roles=("admin",))
    manager = await create_user(sessions)
    org = await create_organization(sessions, manager=manager)
    identities = {"anonymous": {}, "admin": bearer(app, admin), "manager": bearer(app, manager)}
    await app.state.engine.dispose()
    return identities, str(org.id)


@pytest.fixture(scope="session")
def fuzzing(database_factory: Callable[[], str]) -> Fuzzing:
    # A database of its own: the fuzzer moves the sandbox clock and edits at random.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.TEST,
        database_url=database_factory(),
        database_null_pool=True,
        login_failure_limit="100000/minute",
        registration_limit="100000/minute",
    )
    app = create_app(settings)
    identities, organization_id = asyncio.run(_people(app))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return Fuzzing(schema, identities, organization_id)


def test_every_contract_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_honours_the_contract(fuzzing: Fuzzing, method: str, path: str) -> None:
    operation = fuzzing.schema[path][method]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{organization_id}" in path:  # also aim at an organisation that exists
        real = {"organization_id": fuzzing.organization_id}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))

    @given(case=st.one_of(strategies), who=st.sampled_from(sorted(fuzzing.identities)))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def honours(case: schemathesis.Case, who: str) -> None:
        case.call_and_validate(headers=fuzzing.identities[who])

    honours()
