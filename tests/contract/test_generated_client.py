"""A Python client generated from the committed contract by openapi-python-client, with not
one warning, drives the service through a whole programme: sign-up, token, organisation,
membership, a listing from draft to publication, an eligibility dry run, an application,
and the public catalogue. Every answer comes back as the generated model it is declared as.

The generator lives in a venv of its own (cached under `~/.cache/jiebang-api/`, built on
first use with this venv's pip): openapi-python-client 0.29 requires `typer<0.28`, and in the
project's venv it would downgrade the service's own typer. The generated package needs only
httpx and attrs, which the project's venv has; it is imported from a temporary directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

import contract_guard
import factories
from factories import Sessions
from jiebang_api.models import User

GENERATOR = "openapi-python-client==0.29.1"
CONTRACT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"
PACKAGE = "jiebang_client"
PASSWORD = "generated-client-42"
# openapi-python-client collects every problem it meets (a schema or an operation it cannot
# read, a response or body of a media type it does not know, a post-generation hook that is
# missing) and prints them under one of these headers; `--fail-on-warning` then exits 1.
TROUBLE = re.compile(r"(Warning|Error)\(s\) encountered while generating")


# --- the generator -----------------------------------------------------------------------


def _tool_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache / "jiebang-api" / f"{GENERATOR.replace('==', '-')}-{version}"


def _tool_version(python: Path) -> str | None:
    if not python.exists():
        return None
    run = subprocess.run(
        [python, "-m", "openapi_python_client", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stdout.strip() if run.returncode == 0 else None


@functools.cache
def _generator() -> Path:
    """The Python of the generator's venv, built (once per machine) if it is not there."""
    venv = _tool_dir()
    python = venv / "bin" / "python"
    wanted = f"openapi-python-client version: {GENERATOR.split('==')[1]}"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if _tool_version(python) == wanted:
            return python
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", GENERATOR],
        ]
        for step in steps:
            run = subprocess.run(step, capture_output=True, text=True, check=False)
            if run.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                pytest.fail(f"could not install {GENERATOR}: {run.stdout}\n{run.stderr}")
        assert _tool_version(python) == wanted
    return python


def _binary_media_types(document: Any) -> set[str]:
    """Media types whose schema is `type: string, format: binary` (the attachment download's
    PDF, OFD, images, …). openapi-python-client knows only `application/octet-stream` as bytes
    and skips the others with a warning; its `content_type_overrides` says they are bytes."""
    found: set[str] = set()
    if isinstance(document, dict):
        content = document.get("content")
        if isinstance(content, dict):
            for media_type, media in content.items():
                schema = media.get("schema") if isinstance(media, dict) else None
                if isinstance(schema, dict) and schema.get("format") == "binary":
                    found.add(media_type)
        for value in document.values():
            found |= _binary_media_types(value)
    elif isinstance(document, list):
        for value in document:
            found |= _binary_media_types(value)
    return found - {"application/octet-stream"}


def generate(python: Path, document: Path, into: Path) -> tuple[int, str]:
    """Generate the client package `PACKAGE` from `document` under `into`; exit code, output."""
    overrides = _binary_media_types(yaml.safe_load(document.read_text(encoding="utf-8")))
    config = into / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "package_name_override": PACKAGE,
                "content_type_overrides": dict.fromkeys(
                    sorted(overrides), "application/octet-stream"
                ),
            }
        ),
        encoding="utf-8",
    )
    # The post-generation hooks (`ruff check --fix`, `ruff format`) use the generator's ruff.
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [
            python,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(into / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=into,
    )
    return run.returncode, run.stdout + run.stderr


def assert_clean(code: int, output: str, into: Path) -> None:
    """No warning, no error: exit 0 under `--fail-on-warning`, no trouble header, and
    nothing printed but the one line naming where the client goes."""
    said = [line for line in output.splitlines() if line.strip()]
    clean = code == 0 and not TROUBLE.search(output) and said == [f"Generating {into}"]
    assert clean, (
        f"openapi-python-client ({GENERATOR}) did not generate cleanly (exit {code}):\n{output}"
    )


@dataclass
class Generated:
    """The generated package: `ops.<operation_id>` is that operation's module, `models` the
    package's models, `Client` and `AuthenticatedClient` its clients."""

    ops: SimpleNamespace
    models: ModuleType
    Client: type
    AuthenticatedClient: type


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    python = _generator()
    into = tmp_path_factory.mktemp("generated-client")
    code, output = generate(python, CONTRACT, into)
    assert_clean(code, output, into / PACKAGE)
    sys.path.insert(0, str(into))
    try:
        importlib.invalidate_caches()
        operations = {
            module.stem: importlib.import_module(
                f"{PACKAGE}.api.{module.parent.name}.{module.stem}"
            )
            for module in sorted((into / PACKAGE / "api").glob("*/*.py"))
            if module.stem != "__init__"
        }
        client = importlib.import_module(f"{PACKAGE}.client")
        yield Generated(
            ops=SimpleNamespace(**operations),
            models=importlib.import_module(f"{PACKAGE}.models"),
            Client=client.Client,
            AuthenticatedClient=client.AuthenticatedClient,
        )
    finally:
        sys.path.remove(str(into))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_warning_signal_is_real(tmp_path: Path) -> None:
    """A document with a response the generator cannot read trips the signal that the clean
    generation is checked for (so a silent generator cannot pass for a clean one)."""
    document = tmp_path / "broken.yaml"
    document.write_text(
        yaml.safe_dump(
            {
                "openapi": "3.1.0",
                "info": {"title": "broken", "version": "1"},
                "paths": {
                    "/thing": {
                        "get": {
                            "operationId": "read_thing",
                            "responses": {
                                "200": {
                                    "description": "A thing nobody can read.",
                                    "content": {"application/x-unknown": {"schema": {}}},
                                }
                            },
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    code, output = generate(_generator(), document, tmp_path)
    assert code == 1, output
    assert TROUBLE.search(output), output
    assert "Unsupported content_type application/x-unknown" in output
    with pytest.raises(AssertionError, match="did not generate cleanly"):
        assert_clean(code, output, tmp_path / PACKAGE)


# --- driving the service -------------------------------------------------------------------


class Clients:
    """Generated clients on one app, each response held to the contract, closed together."""

    def __init__(self, generated: Generated, app: FastAPI, stack: contextlib.AsyncExitStack):
        self.generated, self.app, self.stack = generated, app, stack
        self.contract_breaks: list[str] = []

    def _httpx_args(self) -> dict[str, Any]:
        async def hold_to_the_contract(response: httpx.Response) -> None:
            await response.aread()
            self.contract_breaks.extend(contract_guard.check(response))

        return {
            "transport": httpx.ASGITransport(app=self.app),
            "event_hooks": {"response": [hold_to_the_contract]},
        }

    async def anonymous(self) -> Any:
        client = self.generated.Client(
            base_url="http://testserver",
            raise_on_unexpected_status=True,  # a status the contract does not declare raises
            httpx_args=self._httpx_args(),
        )
        return await self.stack.enter_async_context(client)

    async def signed_in(self, token: str) -> Any:
        client = self.generated.AuthenticatedClient(
            base_url="http://testserver",
            token=token,
            raise_on_unexpected_status=True,
            httpx_args=self._httpx_args(),
        )
        return await self.stack.enter_async_context(client)


@pytest.fixture
async def clients(generated: Generated, app: FastAPI) -> AsyncIterator[Clients]:
    async with contextlib.AsyncExitStack() as stack:
        made = Clients(generated, app, stack)
        yield made
    assert not made.contract_breaks, "\n".join(sorted(set(made.contract_breaks)))


def parsed(response: Any, model: type, status: HTTPStatus = HTTPStatus.OK) -> Any:
    """The parsed body of a detailed response, checked to be `model` with `status`."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


async def sign_up(clients: Clients, username: str) -> Any:
    """Register `username` and sign in with the password grant; a client with the token."""
    m, ops = clients.generated.models, clients.generated.ops
    anonymous = await clients.anonymous()
    body = m.RegisterIn(username=username, password=PASSWORD, display_name=f"用户{username[-4:]}")
    user = parsed(
        await ops.register.asyncio_detailed(client=anonymous, body=body),
        m.UserOut,
        HTTPStatus.CREATED,
    )
    assert (user.username, user.roles) == (username, [])
    grant = m.TokenRequest(
        grant_type=m.TokenRequestGrantType.PASSWORD, username=username, password=PASSWORD
    )
    token = parsed(await ops.issue_token.asyncio_detailed(client=anonymous, body=grant), m.TokenOut)
    assert token.token_type == "bearer"
    assert token.expires_in > 0
    return await clients.signed_in(token.access_token)


async def test_a_whole_programme_through_the_generated_client(
    clients: Clients, sessions: Sessions, admin: User
) -> None:
    m, ops = clients.generated.models, clients.generated.ops
    department = await clients.signed_in(factories.token_for(clients.app, admin))
    marker = uuid.uuid4().hex[:12]

    # An enterprise signs up, registers its organisation, and the department verifies it.
    manager = await sign_up(clients, factories.unique("gen_mgr_"))
    org = parsed(
        await ops.create_organization.asyncio_detailed(
            client=manager,
            body=m.OrganizationIn(
                name=factories.unique("生成客户端企业"),
                uscc=factories.valid_uscc(),
                type_=m.OrganizationType.ENTERPRISE,
                independent_legal_person=True,
                high_tech=True,
            ),
        ),
        m.OrganizationOut,
        HTTPStatus.CREATED,
    )
    assert org.in_region
    assert not org.verification.verified
    verified = parsed(
        await ops.verify_organization.asyncio_detailed(
            org.id, client=department, body=m.VerifyIn()
        ),
        m.OrganizationOut,
    )
    assert verified.verification.verified
    assert {m.Flag.HIGH_TECH, m.Flag.INDEPENDENT_LEGAL_PERSON} <= set(
        verified.verification.verified_flags
    )

    # Its manager adds a colleague, who proposes the listing.
    colleague_name = factories.unique("gen_mbr_")
    colleague = await sign_up(clients, colleague_name)
    member = await ops.add_member.asyncio(
        org.id, client=manager, body=m.OrganizationMemberIn(username=colleague_name)
    )
    assert isinstance(member, m.MemberOut), member
    assert (member.username, member.role) == (colleague_name, m.MembershipRole.MEMBER)
    # An invitation gives no access until the colleague accepts it.
    joined = await ops.accept_membership_invitation.asyncio_detailed(org.id, client=colleague)
    assert joined.status_code == HTTPStatus.OK, joined.content

    text = {**factories.LISTING_TEXT, "total_rd_investment": "15000000.00"}
    draft = parsed(
        await ops.create_listing.asyncio_detailed(
            client=colleague,
            body=m.ListingIn.from_dict(
                {
                    **text,
                    "kind": "tech_breakthrough",
                    "proposer_org_id": str(org.id),
                    "title": f"{text['title']} {marker}",
                }
            ),
        ),
        m.ListingOut,
        HTTPStatus.CREATED,
    )
    assert (draft.status, draft.proposer_org_id) == (m.ListingStatus.DRAFT, org.id)
    assert draft.key_technologies[0].name == "晶界扩散"

    submitted = await ops.submit_listing.asyncio(draft.id, client=colleague, body=m.EmptyIn())
    assert isinstance(submitted, m.ListingOut), submitted
    assert submitted.status == m.ListingStatus.SUBMITTED
    assert submitted.version > draft.version

    again = parsed(
        await ops.submit_listing.asyncio_detailed(draft.id, client=colleague, body=m.EmptyIn()),
        m.Problem,
        HTTPStatus.CONFLICT,
    )
    assert again.code == m.ErrorCode.INVALID_TRANSITION
    assert again.current_state == "submitted"

    # The department screens, assesses and approves; the proposer confirms; it is published.
    lid = draft.id
    screened = parsed(
        await ops.screen_listing.asyncio_detailed(
            lid, client=department, body=m.ScreenIn(passed=True)
        ),
        m.ListingOut,
    )
    assert screened.status == m.ListingStatus.UNDER_ASSESSMENT
    opinion = parsed(
        await ops.add_assessment.asyncio_detailed(
            lid,
            client=department,
            body=m.AssessmentIn(assessor="张教授", conclusion=m.AssessmentInConclusion.SUPPORT),
        ),
        m.AssessmentOut,
        HTTPStatus.CREATED,
    )
    assert opinion.assessor == "张教授"
    approved = parsed(
        await ops.approve_listing.asyncio_detailed(lid, client=department, body=m.EmptyIn()),
        m.ListingOut,
    )
    assert approved.status == m.ListingStatus.APPROVED
    confirmed = parsed(
        await ops.confirm_listing.asyncio_detailed(lid, client=colleague, body=m.EmptyIn()),
        m.ListingOut,
    )
    assert confirmed.status == m.ListingStatus.CONFIRMED
    now = datetime.now(UTC)
    window = m.PublishIn(application_opens_at=now, application_closes_at=now + timedelta(days=30))
    published = parsed(
        await ops.publish_listing.asyncio_detailed(lid, client=department, body=window),
        m.ListingOut,
    )
    assert published.status == m.ListingStatus.PUBLISHED
    assert published.allowed_actions == ["close", "cancel"]

    # The proposer finds it in the list and reads it.
    page = await ops.list_listings.asyncio(client=colleague, q=marker)
    assert isinstance(page, m.ListingPage), page
    assert [(item.id, item.status) for item in page.items] == [(lid, m.ListingStatus.PUBLISHED)]
    assert all(isinstance(item, m.ListingOut) for item in page.items)
    read = await ops.read_listing.asyncio(lid, client=colleague)
    assert isinstance(read, m.ListingOut), read
    assert (read.status, read.code) == (m.ListingStatus.PUBLISHED, draft.code)
    assert read.published_at is not None
    assert read.application_closes_at is not None

    # A verified university checks its eligibility, then drafts an application with a research
    # institute as consortium member, which accepts before the application is submitted.
    applicant = await factories.create_user(sessions)
    university = await factories.create_organization(
        sessions, manager=applicant, type="university", verified=True
    )
    solver = await clients.signed_in(factories.token_for(clients.app, applicant))
    partner_manager = await factories.create_user(sessions)
    institute = await factories.create_organization(
        sessions, manager=partner_manager, type="research_institute"
    )
    partner = await clients.signed_in(factories.token_for(clients.app, partner_manager))
    report = parsed(
        await ops.check_eligibility.asyncio_detailed(
            client=solver, body=m.EligibilityCheckIn(listing_id=lid, lead_org_id=university.id)
        ),
        m.EligibilityReportOut,
    )
    assert report.eligible, report
    assert report.violations == []
    application = parsed(
        await ops.create_application.asyncio_detailed(
            lid,
            client=solver,
            body=m.ApplicationIn.from_dict(
                factories.application_body(
                    university,
                    lead_budget_share="70",
                    members=[{"org_id": str(institute.id), "role": "合作方", "budget_share": "30"}],
                )
            ),
        ),
        m.ApplicationOut,
        HTTPStatus.CREATED,
    )
    assert (application.status, application.lead_org_id) == (
        m.ApplicationStatus.DRAFT,
        university.id,
    )
    [invited] = application.members
    assert isinstance(invited, m.ApplicationMemberOut)
    assert (invited.org_id, invited.consent) == (institute.id, m.ConsortiumConsent.INVITED)
    waiting = parsed(
        await ops.submit_application.asyncio_detailed(
            application.id, client=solver, body=m.EmptyIn()
        ),
        m.Problem,
        HTTPStatus.CONFLICT,
    )
    assert waiting.code == m.ErrorCode.MEMBERS_NOT_ACCEPTED
    assert [(v.rule, v.org_id) for v in waiting.violations] == [
        ("R-APP-MEMBER-CONSENT", institute.id)
    ]
    invitations = parsed(
        await ops.list_consortium_invitations.asyncio_detailed(institute.id, client=partner),
        m.ConsortiumInvitationPage,
    )
    [invitation] = invitations.items
    assert isinstance(invitation, m.ConsortiumInvitationOut)
    assert (invitation.application_id, invitation.lead_org_name, invitation.budget_share) == (
        application.id,
        university.name,
        "30.00",
    )
    accepted = parsed(
        await ops.accept_invitation.asyncio_detailed(
            application.id,
            institute.id,
            client=partner,
            body=m.AcceptInvitationIn(budget_share=invitation.budget_share),
        ),
        m.ConsortiumInvitationOut,
    )
    assert accepted.consent == m.ConsortiumConsent.ACCEPTED
    assert accepted.decided_by == partner_manager.id
    sent = parsed(
        await ops.submit_application.asyncio_detailed(
            application.id, client=solver, body=m.EmptyIn()
        ),
        m.ApplicationOut,
    )
    assert sent.status == m.ApplicationStatus.SUBMITTED
    assert sent.submitted_at is not None
    assert isinstance(sent.eligibility_report, m.EligibilityReportOut)
    assert sent.eligibility_report.eligible

    # Anyone sees it in the public catalogue, with its proposer.
    catalogue = parsed(
        await ops.public_listings.asyncio_detailed(client=await clients.anonymous(), q=marker),
        m.PublicListingPage,
    )
    assert [item.id for item in catalogue.items] == [lid]
    shown = catalogue.items[0]
    assert isinstance(shown, m.PublicListingOut)
    assert shown.status == m.ListingStatus.PUBLISHED
    assert isinstance(shown.proposer, m.PublicProposer)
    assert shown.proposer.name == org.name


async def test_a_refusal_comes_back_as_the_problem_model(clients: Clients, admin: User) -> None:
    m, ops = clients.generated.models, clients.generated.ops
    department = await clients.signed_in(factories.token_for(clients.app, admin))
    missing = uuid.uuid4()

    problem = parsed(
        await ops.read_listing.asyncio_detailed(missing, client=department),
        m.Problem,
        HTTPStatus.NOT_FOUND,
    )
    assert (problem.status, problem.code) == (404, m.ErrorCode.NOT_FOUND)
    assert problem.instance == f"/api/v1/listings/{missing}"

    unsigned = parsed(
        await ops.list_listings.asyncio_detailed(client=await clients.anonymous()),
        m.Problem,
        HTTPStatus.UNAUTHORIZED,
    )
    assert unsigned.code == m.ErrorCode.UNAUTHENTICATED
