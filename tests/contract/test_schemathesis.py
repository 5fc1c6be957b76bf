"""schemathesis drives every operation of the contract against the app, on every backend.

Statelessly, each operation gets positive and negative data as an anonymous caller, an
organisation manager and an administrator; where its path names a resource, it is also aimed at
one seeded in the state the operation acts on. Statefully, schemathesis follows the contract's
links from each create operation to the operations that use what it made, each scenario as the
administrator or the manager. Every default check runs, and
`valid_data_gets_a_documented_answer`; what `positive_data_acceptance` accepts of each operation
is read from the contract (`valid_data_statuses`). Finally, every operation with an id in its
path must have been answered 2xx at least once: else the fuzzing never got past "not found".
"""

from __future__ import annotations

import asyncio
import hashlib
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import initialize
from schemathesis import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from contract_guard import documented_codes
from factories import (
    HOOK_URL,
    add_member,
    application_body,
    bearer,
    create_agreement,
    create_delivery,
    create_entrustment,
    create_listing,
    create_organization,
    create_project,
    create_published_listing,
    create_recommended_application,
    create_service_client,
    create_subscription,
    create_user,
    listing_body,
)
from jiebang_api.main import create_app
from jiebang_api.models import (
    Acceptance,
    Application,
    Attachment,
    ChangeRequest,
    FundingDecision,
    Listing,
    MisconductCase,
    Objection,
    Payment,
    Project,
    ProjectReport,
    ReviewAssignment,
    ReviewRound,
    SpecialAudit,
)
from jiebang_api.projects import reports as projects_reports
from jiebang_api.settings import Environment, Settings

# Per operation, with a fixed seed: on SQLite, and fewer on PostgreSQL, which the external
# CLI run (`make contract-fuzz`) fuzzes again with its own 10 per operation and pass. Sized
# to keep the whole suite well under 15 minutes on the CI machine.
EXAMPLES_PER_OPERATION = {"sqlite": 12, "postgresql": 6}
# More, aimed at a seeded resource: enough that each operation on one acts at least once.
AIMED = {"sqlite": 25, "postgresql": 15}
ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi" / "openapi.yaml"
CONFIG = ROOT / "schemathesis.toml"
PROBLEM = "application/problem+json"
DOCUMENT = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
OPERATIONS = [
    (method.upper(), path, operation["operationId"])
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
# Operations whose path names a resource: each must be answered 2xx at least once.
WITH_ID = sorted(operation_id for _, path, operation_id in OPERATIONS if "{" in path)
# Who may act on a seeded or created resource (anyone else gets 401, or 404 as for a random id).
ACTORS = ("admin", "manager")
# Operations only a service client of the plan system's may take (role `integration`).
SERVICE_ONLY = {"import_organization", "import_listing", "import_application"}
PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"  # ASCII
# A unified social credit code of Inner Mongolia with its check digit (R-ORG-USCC).
USCC = st.text(alphabet="0123456789", min_size=9, max_size=9).map(
    lambda code: f"91150000{code}{stdnum_uscc.calc_check_digit(f'91150000{code}')}"
)


# What an operation may answer to schema-valid data: read from the document --------------------


@dataclass(frozen=True)
class Inexpressible:
    """A refusal of schema-valid data with `VALIDATION_FAILED` that the document cannot carry."""

    message: str  # how the English `detail`, or a violation's `message_en`, begins
    operations: tuple[str, ...]  # the operations that may give it
    why: str
    field: str | None = None  # the violation's `field`, when it must be this one


APPLICATION_BODIES = ("create_application", "update_application", "import_application")
# What the service refuses of schema-valid data with `VALIDATION_FAILED` and no JSON Schema
# keyword can say: a name of something that does not exist, a rule across fields, a bound
# relative to now, an opaque token. (Findings all the same: a code of their own would let
# clients tell them from malformed input.) A rule across fields that `if`/`then` can say (which
# fields a token grant needs, a listing's proposer by kind) is in the schema, not here. Anything
# else is a constraint missing from the schema.
INEXPRESSIBLE = (
    Inexpressible(
        "The cursor is not valid.",
        (
            "list_organizations",
            "list_listings",
            "list_applications",
            "public_listings",
            "list_consortium_invitations",
            "list_review_assignments",
            "list_negotiations",
            "public_notices",
            "list_objections",
            "list_projects",
            "list_reports",
            "public_announcements",
            "public_projects",
            "list_change_requests",
            "list_webhook_subscriptions",
            "list_webhook_deliveries",
        ),
        "an opaque token the service made",
    ),
    Inexpressible(
        "The URL",  # … host resolves to a refused address, does not resolve, port not valid …
        ("create_webhook_subscription", "update_webhook_subscription"),
        "where the host resolves to (the address guard), and a valid port",
        field="body.url",
    ),
    Inexpressible(
        "Only https URLs are allowed in production.",
        ("create_webhook_subscription", "update_webhook_subscription"),
        "the deployment's environment (the external run serves as `prod`), which one document "
        "for every environment does not carry",
        field="body.url",
    ),
    Inexpressible(
        "Listed twice.",
        ("create_webhook_subscription", "update_webhook_subscription"),
        "uniqueItems, which the service checks itself",
    ),
    *(
        Inexpressible(message, ("open_review_round",), why)
        for message, why in (
            ("Not an active user with the expert role.", "an existing expert"),
            ("Not a member of the proposer.", "a member of the listing's proposer"),
            ("Name the proposer's reviewers", "required by the listing's kind"),
            ("An emergency listing's round needs its criteria.", "by the listing's kind"),
            ("The criteria's maximum scores must add up to 100", "a sum across items"),
            ("A criterion key is repeated.", "a key unique across items"),
            ("Listed twice.", "uniqueItems, which the service checks itself"),
        )
    ),
    *(
        Inexpressible(message, ("recommend_without_review",), why)
        for message, why in (
            ("Not an application under review here.", "an application of the listing"),
            ("Listed twice.", "uniqueItems, which the service checks itself"),
        )
    ),
    *(
        Inexpressible(message, ("propose_recommendation",), why)
        for message, why in (
            ("Not among the round's results.", "an application the round ranked"),
            ("Listed twice.", "uniqueItems, which the service checks itself"),
        )
    ),
    *(
        Inexpressible(message, ("score_review_assignment",), "the round's own sheet")
        for message in ("The score of", "The sheet has no criterion")
    ),
    *(
        Inexpressible(message, ("put_calendar_year",), why)
        for message, why in (
            ("The date is not in", "the year in the path"),
            ("A working day in lieu is a Saturday or a Sunday.", "a date's weekday"),
            ("A day cannot be both off and worked.", "across the two lists"),
            ("Listed twice.", "uniqueItems, which the service checks itself"),
        )
    ),
    *(
        Inexpressible(message, ("create_agreement", "update_agreement"), "a sum across items")
        for message in ("The payment schedule adds up to", "The budget lines add up to")
    ),
    Inexpressible(
        "The password may not equal the username.",
        ("register", "create_user"),
        "a rule across two fields",
    ),
    Inexpressible(
        "ends_on is before starts_on.",
        ("add_credit_record", "close_misconduct_case"),
        "across two fields",
    ),
    Inexpressible(
        "The entrusted organisation must be a registered agency",
        ("entrust_project",),
        "an existing organisation of type agency",
        field="body.agency_org_id",
    ),
    Inexpressible("Listed twice.", ("entrust_project",), "uniqueItems, which the service checks"),
    Inexpressible(
        "A cleared case records no dishonesty.",
        ("close_misconduct_case",),
        "a rule across two fields",
        field="body.credit_record",
    ),
    Inexpressible(
        "A credit record goes to a party of the project",
        ("close_misconduct_case",),
        "an organisation of the project's",
        field="body.credit_record.org_id",
    ),
    *(
        Inexpressible(message, APPLICATION_BODIES, "across fields")
        for message in (
            "Budget shares must add up to 100",
            "The lead cannot also be a member.",
            "Members must be distinct.",
        )
    ),
    Inexpressible(
        "No such organisation.",
        ("create_application", "update_application", "check_eligibility", "import_application"),
        "an existing id",
    ),
    Inexpressible(
        "The payee must be the project's supply side.",
        ("record_payment",),
        "an organisation of the project's",
        field="body.payee_org_id",
    ),
    Inexpressible(
        "No event has this sequence",
        ("read_change_feed",),
        "an existing event's sequence (or 0)",
        field="query.after",
    ),
    Inexpressible(
        "The period cannot end before it starts.",
        ("submit_report",),
        "a bound set by another field",
        field="body.period_end",
    ),
    Inexpressible(
        "Milestone ",  # … is not one of the project's, … is updated more than once
        ("submit_report",),
        "the project's milestones, each once",
    ),
    Inexpressible(
        "A payment cannot exceed the agreement amount.",
        ("record_payment",),
        "a bound set by the project's agreement",
        field="body.amount",
    ),
    Inexpressible(
        "An emergency project's decision sets its first tranche",
        ("decide_funding",),
        "the project's kind, which the body does not carry",
        field="body.first_tranche",
    ),
    Inexpressible(
        "The first tranche follows the demand side's first payment",
        ("decide_funding",),
        "the project's kind, which the body does not carry",
        field="body.first_tranche",
    ),
    Inexpressible(
        "The first payment must be above 0 and at most the agreement amount.",
        ("calculate_funding",),
        "a bound set by another field",
    ),
    Inexpressible(
        "The sandbox clock may not drift",
        ("move_clock",),
        "a bound relative to the real time",
    ),
    Inexpressible(
        "The affiliation organisation does not exist.", ("create_user",), "an existing id"
    ),
    Inexpressible(
        "The parent organisation does not exist.",
        ("create_organization", "update_organization", "import_organization"),
        "an existing id",
    ),
    Inexpressible("No user has this username.", ("add_member",), "an existing username"),
    Inexpressible(
        "The proposer does not exist.", ("create_listing", "import_listing"), "an existing id"
    ),
    Inexpressible(
        "layout_fit is judged only on achievement-transfer listings",
        ("add_assessment",),
        "the listing's kind, which the body does not carry",
        field="body.layout_fit",
    ),
    Inexpressible(
        "Attachment ",  # … is not yours.
        (
            "create_listing",
            "update_listing",
            "create_application",
            "update_application",
            "record_negotiation",
            "file_objection",
            "request_acceptance",
            "record_acceptance_result",
            "submit_report",
        ),
        "existing uploads of the caller's",
        field="body.attachment_ids",
    ),
    Inexpressible(
        "Attachment ",
        ("record_payment",),
        "an existing upload of the caller's",
        field="body.proof_attachment_id",
    ),
    Inexpressible(
        "Attachment ",
        ("sign_agreement",),
        "an existing upload of the caller's",
        field="body.attachment_id",
    ),
    Inexpressible(
        "The new end date must be after the current end date",
        ("file_change_request",),
        "a bound set by the project's end date",
        field="body.new_end_on",
    ),
    Inexpressible(
        "Attachment ",
        ("file_change_request",),
        "existing uploads of the caller's",
        field="body.attachment_ids",
    ),
    Inexpressible(
        "Attachment ",
        ("record_special_audit",),
        "an existing upload of the caller's",
        field="body.report_attachment_id",
    ),
    Inexpressible(
        "Attachment ",
        ("record_recovery",),
        "an existing upload of the caller's",
        field="body.proof_attachment_id",
    ),
)


def _inexpressible(operation_id: str, problem: dict[str, Any]) -> bool:
    """Whether every reason the problem gives is one `INEXPRESSIBLE` lists for the operation."""
    reasons = [(v.get("field"), v.get("message_en", "")) for v in problem.get("violations", [])]
    return all(
        any(
            message.startswith(known.message)
            and operation_id in known.operations
            and known.field in (None, field)
            for known in INEXPRESSIBLE
        )
        for field, message in reasons or [(None, problem.get("detail", ""))]
    )


def valid_data_codes(operation_id: str, response: dict[str, Any]) -> set[str]:
    """The problem codes of a documented error that schema-valid data may earn: every one but
    `VALIDATION_FAILED`. A validation refusal of data the schema allows means the schema lacks
    a constraint (a pattern, a length, a format): it belongs in the document. Only what
    `INEXPRESSIBLE` lists for the operation may be refused so (the check matches each)."""
    codes = documented_codes(response)
    valid = codes - {"VALIDATION_FAILED"}
    if "VALIDATION_FAILED" in codes and any(operation_id in k.operations for k in INEXPRESSIBLE):
        valid.add("VALIDATION_FAILED")
    return valid


def valid_data_statuses(operation: dict[str, Any]) -> list[str]:
    """The statuses an operation may answer to schema-valid data: its documented 2xx and 3xx,
    and each documented 4xx with a code such data may earn (so 422 only where the operation
    names a rule it checks, e.g. `RULE_VIOLATION`). Never 400 (a body that cannot be read) nor
    5xx, whatever the document says."""
    return [
        status
        for status, response in operation["responses"].items()
        if status[0] in "23"
        or (
            status[0] == "4"
            and status != "400"
            and valid_data_codes(operation["operationId"], response)
        )
    ]


def schemathesis_config(document: dict[str, Any]) -> schemathesis.Config:
    """`schemathesis.toml` with one `[[operations]]` section per operation of `document`: the
    statuses `positive_data_acceptance` accepts of it (`valid_data_statuses`)."""
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    data["operations"] = [
        *data.get("operations", []),
        *(
            {
                "include-operation-id": operation["operationId"],
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": valid_data_statuses(operation)
                    }
                },
            }
            for item in document["paths"].values()
            for operation in item.values()
        ),
    ]
    return schemathesis.Config.from_dict(data)


@schemathesis.check
def valid_data_gets_a_documented_answer(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A problem's `code` is one the operation documents for the status it came with; and to
    schema-valid data only one `valid_data_codes` allows (never `VALIDATION_FAILED`, but for
    what `INEXPRESSIBLE` lists). `positive_data_acceptance` holds the statuses to
    `valid_data_statuses`."""
    content_type = response.headers.get("content-type", [""])[0]
    if not content_type.startswith(PROBLEM):
        return None
    raw = case.operation.definition.raw
    documented = raw["responses"].get(str(response.status_code))
    if documented is None:
        return None  # status_code_conformance reports it
    problem = response.json()
    code = problem.get("code")
    if code not in documented_codes(documented):
        raise AssertionError(
            f"{response.status_code} {code} is not documented for {case.operation.label} "
            f"(documented: {', '.join(sorted(documented_codes(documented)))})"
        )
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and (
        code not in valid_data_codes(raw["operationId"], documented)
        or (code == "VALIDATION_FAILED" and not _inexpressible(raw["operationId"], problem))
    ):
        raise AssertionError(
            f"Schema-valid data was refused with {response.status_code} {code}: the schema of "
            f"{case.operation.label} lacks the constraint the service checks."
        )
    return True


# The fuzzing database: the identities, and a resource in the state each operation acts on -----


@dataclass
class Fuzzing:
    schema: OpenApiSchema
    identities: dict[str, dict[str, str]]
    # operationId → path parameters naming a seeded resource the operation can act on
    path_parameters: dict[str, dict[str, str]]
    organization_id: str  # what any other operation on one organisation acts on
    # operationId → body members that let a request go through (an organisation of the
    # caller's, an existing username, budget shares that add up); the rest is generated
    members: dict[str, st.SearchStrategy[dict[str, Any]]]
    # operationId → the phases ("stateless", "stateful") in which it was answered 2xx
    backend: str = "sqlite"
    reached: dict[str, set[str]] = field(default_factory=dict)
    fuzzed: set[str] = field(default_factory=set)
    phases_run: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Seeded:
    identities: dict[str, dict[str, str]]
    path_parameters: dict[str, dict[str, str]]
    organization_id: str
    members: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _DomainSeeds:
    """One domain's seeded resources: each operation's path parameters, and the body fields
    it must be sent (what the fuzzer cannot know)."""

    path_parameters: dict[str, dict[str, str]]
    members: dict[str, dict[str, Any]]


async def _seed_reviews(sessions: Any, proposer: Any, manager: Any) -> _DomainSeeds:
    """A closed listing to open a round on (the manager reviews for the proposer), rounds open
    and closed, and assignments of the manager's to read, score and decline."""
    expert = await create_user(sessions, roles=("expert",))
    sheet = [{"key": "plan", "name_zh": "方案", "name_en": "Plan", "max_score": "100.0"}]

    async def closed_listing(kind: str = "tech_breakthrough") -> tuple[str, uuid.UUID]:
        emergency = kind == "emergency"
        listing = await create_listing(
            sessions, None if emergency else proposer, kind=kind, status="closed"
        )
        application = Application(
            id=uuid.uuid4(),
            listing_id=listing.id,
            lead_org_id=(await create_organization(sessions)).id,
            status="under_review",
            lead_budget_share=Decimal(100),
            members=[],
            plan={},
            declarations={},
            attachment_ids=[],
        )
        async with sessions() as session:
            session.add(application)
            await session.commit()
        return str(listing.id), application.id

    async def review_round(status: str) -> tuple[str, str]:
        listing_id, application_id = await closed_listing()
        round_ = ReviewRound(
            id=uuid.uuid4(),
            listing_id=uuid.UUID(listing_id),
            status=status,
            criteria=sheet,
            expert_user_ids=[str(manager.id)],
            proposer_reviewer_user_ids=[str(manager.id)],
            results=None if status == "open" else [],
            # An empty proposal: confirming it fails the listing (no application moves).
            recommendation=[] if status == "recommendation_proposed" else None,
            proposed_at=datetime.now(UTC) if status == "recommendation_proposed" else None,
        )
        assignment = ReviewAssignment(
            id=uuid.uuid4(),
            round_id=round_.id,
            expert_user_id=manager.id,
            application_id=application_id,
        )
        async with sessions() as session:
            session.add(round_)
            await session.flush()
            session.add(assignment)
            await session.commit()
        return str(round_.id), str(assignment.id)

    shown, read = await review_round("open")
    closing, _ = await review_round("open")
    closed, _ = await review_round("closed")
    proposing, _ = await review_round("closed")
    confirming, _ = await review_round("recommendation_proposed")
    scored, declined = (await review_round("open"))[1], (await review_round("open"))[1]
    opening, _ = await closed_listing()
    emergency, candidate = await closed_listing("emergency")
    return _DomainSeeds(
        {
            "open_review_round": {"listing_id": opening},
            "recommend_without_review": {"listing_id": emergency},
            "get_review_round": {"review_round_id": shown},
            "close_review_round": {"review_round_id": closing},
            "review_round_results": {"review_round_id": closed},
            "propose_recommendation": {"review_round_id": proposing},
            "confirm_recommendation": {"review_round_id": confirming},
            "get_review_assignment": {"review_assignment_id": read},
            "score_review_assignment": {"review_assignment_id": scored},
            "decline_review_assignment": {"review_assignment_id": declined},
        },
        {
            "open_review_round": {
                "criteria": None,
                "expert_user_ids": [str(expert.id)],
                "proposer_reviewer_user_ids": [str(manager.id)],
            },
            "score_review_assignment": {"scores": {"plan": "50.0"}},
            "propose_recommendation": {"application_ids": []},  # the round ranked none
            "recommend_without_review": {"application_ids": [str(candidate)]},
        },
    )


async def _seed_agreements(sessions: Any, proposer: Any) -> _DomainSeeds:
    """Recommended applications to the proposer's closed listings (the manager is the demand
    side): to negotiate, to draft an agreement for, and agreements to read, edit, waive on,
    confirm (a draft) and submit (confirmed by both sides)."""
    lead = await create_organization(sessions)

    async def recommended() -> tuple[Application, Listing]:
        listing = await create_listing(sessions, proposer, status="closed")
        return await create_recommended_application(sessions, listing, lead), listing

    async def agreement(**overrides: Any) -> str:
        return str((await create_agreement(sessions, *await recommended(), **overrides)).id)

    negotiating = str((await recommended())[0].id)
    drafting = str((await recommended())[0].id)
    now = datetime.now(UTC)
    both = {"demand_confirmed_at": now, "supply_confirmed_at": now}
    notice = {
        "status": "in_publicity",
        "publicity_starts_on": (now - timedelta(days=2)).date(),
        "publicity_ends_on": (now + timedelta(days=3)).date(),
        "objections_close_at": now + timedelta(days=4),
        **both,
    }
    objected = await agreement(**{**notice, "open_objections": 1})
    objection = Objection(
        agreement_id=uuid.UUID(objected),
        filer_name="王五",
        filer_kind="individual",
        contact="13700000000",
        grounds="异议",
        attachment_ids=[],
    )
    signed = await create_agreement(sessions, *await recommended(), status="signed", **both)
    project = Project(
        code=f"XM-FUZZ-{uuid.uuid4().hex[:8]}",
        agreement_id=signed.id,
        application_id=signed.application_id,
        listing_id=signed.listing_id,
        kind="tech_breakthrough",
        title="项目",
        demand_org_id=signed.demand_org_id,
        supply_org_id=signed.supply_org_id,
        lead_org_id=signed.supply_org_id,
        agreement_amount=signed.agreement_amount,
        total_rd_investment=signed.total_rd_investment,
        requested_subsidy=signed.requested_subsidy,
        start_on=signed.start_on,
        end_on=signed.start_on + timedelta(days=700),
        status="in_progress",
        signed_at=now,
    )
    async with sessions() as session:
        session.add_all([objection, project])
        await session.commit()
    return _DomainSeeds(
        {
            "record_negotiation": {"application_id": negotiating},
            "list_negotiations": {"application_id": negotiating},
            "get_agreement": {"agreement_id": await agreement()},
            "agreement_history": {"agreement_id": await agreement()},
            "update_agreement": {"agreement_id": await agreement()},
            "waive_rule": {"agreement_id": await agreement()},
            "confirm_agreement": {"agreement_id": await agreement()},
            "submit_agreement": {"agreement_id": await agreement(status="confirmed", **both)},
            "return_agreement": {"agreement_id": await agreement(status="submitted", **both)},
            "approve_agreement": {"agreement_id": await agreement(status="submitted", **both)},
            "abandon_agreement": {"agreement_id": await agreement()},
            "decide_case_by_case": {"agreement_id": await agreement()},
            "agreement_signatures": {"agreement_id": await agreement()},
            "sign_agreement": {"agreement_id": await agreement(status="publicity_passed", **both)},
            "public_notice": {"notice_id": await agreement(**notice)},
            "file_objection": {"notice_id": await agreement(**notice)},
            "resolve_objection": {"objection_id": str(objection.id)},
            "get_project": {"project_id": str(project.id)},
        },
        {
            "create_agreement": {"application_id": drafting},
            "approve_agreement": {"skip_notice": False},  # a technology breakthrough's
        },
    )


async def _seed_funding(sessions: Any, proposer: Any, manager: Any) -> _DomainSeeds:
    """Projects whose demand side is the proposer (the manager records its payments): one to
    decide on, one whose first tranche is due, and a payment to verify."""
    supply = await create_organization(sessions)

    async def project(**overrides: Any) -> Project:
        made: Project = await create_project(sessions, proposer, supply, **overrides)
        return made

    scan = Attachment(
        filename="回单.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        storage_key=f"fuzz/{uuid.uuid4().hex}",
        uploaded_by=manager.id,
    )
    due = await project(subsidy=Decimal("1000000.00"))
    verifying = await project()
    async with sessions() as session:
        session.add(scan)
        await session.flush()
        session.add(FundingDecision(project_id=due.id, subsidy=Decimal("1000000.00")))
        for target, status in ((due, "accepted"), (verifying, "submitted")):
            session.add(
                Payment(
                    project_id=target.id,
                    instalment_seq=1,
                    amount=Decimal("1000000.00"),
                    paid_on=date(2027, 4, 15),
                    payee_org_id=supply.id,
                    proof_attachment_id=scan.id,
                    status=status,
                )
            )
        await session.commit()
        payment = await session.scalar(select(Payment.id).where(Payment.project_id == verifying.id))
    shown = str((await project()).id)
    return _DomainSeeds(
        {
            "decide_funding": {"project_id": str((await project()).id)},
            "project_funding": {"project_id": shown},
            "record_payment": {"project_id": shown},
            "list_payments": {"project_id": shown},
            "verify_payment": {"payment_id": str(payment)},
            "disburse": {"project_id": str(due.id)},
            "list_disbursements": {"project_id": shown},
            "project_history": {"project_id": shown},
            "public_project": {"project_id": shown},
        },
        {
            "record_payment": {
                "payee_org_id": str(supply.id),
                "proof_attachment_id": str(scan.id),
                "amount": "1000.00",
            },
            "decide_funding": {"subsidy": "1000000.00", "first_tranche": None},
        },
    )


async def _seed_management(sessions: Any, proposer: Any) -> _DomainSeeds:
    """Projects whose demand side is the proposer (the manager requests acceptance): one with
    an entrustment to revoke, one awaiting its acceptance result, one suspended by an open
    misconduct case; an agency to entrust."""
    supply = await create_organization(sessions)
    agency = await create_organization(sessions, type="agency")

    async def project(**overrides: Any) -> Project:
        made: Project = await create_project(sessions, proposer, supply, **overrides)
        return made

    entrusted, awaiting = await project(), await project(status="acceptance_requested")
    suspended = await project(status="suspended", suspended_from="in_progress")
    entrustment = await create_entrustment(sessions, entrusted, agency, ["audit"])
    case = MisconductCase(
        id=uuid.uuid4(),
        project_id=suspended.id,
        allegation="举报",
        source="来信",
        status="open",
    )
    async with sessions() as session:
        session.add(case)
        session.add(
            Acceptance(project_id=awaiting.id, summary="申请验收", requested_at=datetime.now(UTC))
        )
        await session.commit()
    shown = await project()
    return _DomainSeeds(
        {
            "entrust_project": {"project_id": str(shown.id)},
            "list_entrustments": {"project_id": str(entrusted.id)},
            "revoke_entrustment": {
                "project_id": str(entrusted.id),
                "entrustment_id": str(entrustment.id),
            },
            "request_acceptance": {"project_id": str((await project()).id)},
            "project_acceptance": {"project_id": str(awaiting.id)},
            "record_acceptance_result": {"project_id": str(awaiting.id)},
            "open_misconduct_case": {"project_id": str(shown.id)},
            "list_misconduct_cases": {"project_id": str(suspended.id)},
            "close_misconduct_case": {"case_id": str(case.id)},
        },
        {
            "entrust_project": {"agency_org_id": str(agency.id)},
            "request_acceptance": {"attachment_ids": []},
            "record_acceptance_result": {"attachment_ids": []},
            "close_misconduct_case": {"credit_record": None},
        },
    )


async def _seed_changes(sessions: Any, proposer: Any, manager: Any) -> _DomainSeeds:
    """Projects whose demand side is the proposer (the manager acts for it): one to file a
    change on, requests to read, consent to (filed by the supply side), approve and reject,
    and terminating projects to audit, to recover from and to write off."""
    supply = await create_organization(sessions)
    scan = Attachment(
        filename="审计报告.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        storage_key=f"fuzz/{uuid.uuid4().hex}",
        uploaded_by=manager.id,
    )
    async with sessions() as session:
        session.add(scan)
        await session.commit()

    async def project(**overrides: Any) -> Project:
        made: Project = await create_project(sessions, proposer, supply, **overrides)
        return made

    async def change(status: str) -> str:
        target = await project()
        request = ChangeRequest(
            project_id=target.id,
            kind="termination",
            reason_category="force_majeure",
            description="不可抗力",
            end_on_at_filing=target.end_on,
            attachment_ids=[],
            status=status,
            filed_by_side="supply",
        )
        async with sessions() as session:
            session.add(request)
            await session.commit()
        return str(request.id)

    async def terminating(*, audited: bool) -> str:
        target = await project(subsidy=Decimal(1000000), disbursed=Decimal(300000))
        async with sessions() as session:
            row = await session.get(Project, target.id)
            row.status = "terminating"
            if audited:
                session.add(
                    SpecialAudit(
                        project_id=target.id,
                        disbursed=Decimal(300000),
                        audited_eligible_spending=Decimal(120000),
                        recovery_due=Decimal(180000),
                        recovered=Decimal(0),
                        auditor="事务所",
                        report_attachment_id=scan.id,
                    )
                )
            await session.commit()
        return str(target.id)

    shown = await change("awaiting_consent")
    async with sessions() as session:
        shown_project = await session.scalar(
            select(ChangeRequest.project_id).where(ChangeRequest.id == uuid.UUID(shown))
        )
    return _DomainSeeds(
        {
            "file_change_request": {"project_id": str((await project()).id)},
            "list_change_requests": {"project_id": str(shown_project)},
            "get_change_request": {"change_request_id": shown},
            "consent_change_request": {"change_request_id": await change("awaiting_consent")},
            "approve_change_request": {"change_request_id": await change("awaiting_approval")},
            "reject_change_request": {"change_request_id": await change("awaiting_consent")},
            "record_special_audit": {"project_id": await terminating(audited=False)},
            "record_recovery": {"project_id": await terminating(audited=True)},
            "write_off_recovery": {"project_id": await terminating(audited=True)},
            "project_recovery": {"project_id": await terminating(audited=True)},
        },
        {
            "file_change_request": {
                "kind": "termination",
                "reason_category": "force_majeure",
                "new_end_on": None,
                "attachment_ids": [],
            },
            "record_special_audit": {"report_attachment_id": str(scan.id)},
            "record_recovery": {"amount": "1.00", "proof_attachment_id": str(scan.id)},
        },
    )


async def _seed_reports(sessions: Any, proposer: Any) -> _DomainSeeds:
    """A running project whose demand side is the proposer (the manager reports), its subsidy
    paid in full, with a milestone; a report to read and one to review."""
    supply = await create_organization(sessions)
    project = await create_project(
        sessions, proposer, supply, subsidy=Decimal("1000000.00"), disbursed=Decimal("1000000.00")
    )
    async with sessions() as session:
        row = await session.get(Project, project.id)
        agreed = [{"title": "中试", "due_on": "2028-03-31", "deliverable": "报告", "kpi": "达标"}]
        await projects_reports.plan(session, row, agreed)
        made = [
            ProjectReport(
                project_id=project.id,
                kind="progress",
                period_start=date(2027, 4, 1),
                period_end=date(2027, 9, 30),
                summary="第一阶段完成。",
                milestone_updates=[],
                expenditures=[],
                attachment_ids=[],
                submitted_on=date(2027, 10, 8),
            )
            for _ in range(2)
        ]
        session.add_all(made)
        await session.commit()
    shown = {"project_id": str(project.id)}
    return _DomainSeeds(
        {
            "list_milestones": shown,
            "submit_report": shown,
            "list_reports": shown,
            "get_report": {"report_id": str(made[0].id)},
            "review_report": {"report_id": str(made[1].id)},
        },
        {"submit_report": {"milestone_updates": [], "attachment_ids": []}},
    )


HOOK = HOOK_URL  # allow-listed for the fuzzing; never called


async def _seed_webhooks(sessions: Any) -> _DomainSeeds:
    """Subscriptions (of a service client outside the fuzzing: the administrator sees all)
    to read, edit, delete and rotate."""

    async def subscription() -> str:
        return str((await create_subscription(sessions)).id)

    async def delivery() -> str:
        """A delivered delivery (of an event made here) to send again."""
        return str((await create_delivery(sessions, await create_subscription(sessions))).id)

    return _DomainSeeds(
        {
            **{
                name: {"subscription_id": await subscription()}
                for name in (
                    "get_webhook_subscription",
                    "update_webhook_subscription",
                    "delete_webhook_subscription",
                    "rotate_webhook_secret",
                    "list_webhook_deliveries",
                )
            },
            "redeliver_webhook": {"delivery_id": await delivery()},
        },
        {
            "create_webhook_subscription": {"url": HOOK},
            "update_webhook_subscription": {"url": HOOK},
        },
    )


async def _seed_imports(sessions: Any, proposer: Any, applicant: Any) -> _DomainSeeds:
    """References for the plan system's imports (the first request makes the record, later
    ones repeat or change it), a listing open for a long while to apply to, and the bodies'
    members that name what the fuzzer cannot know."""
    listing = await create_published_listing(sessions, proposer, days_open=3650)
    code = "91150000MA0N77777"
    return _DomainSeeds(
        {
            "import_organization": {"uscc": code + stdnum_uscc.calc_check_digit(code)},
            "import_listing": {"external_ref": "FUZZ-LISTING-1"},
            "import_application": {"external_ref": "FUZZ-APPLICATION-1"},
        },
        {
            "import_organization": {"parent_org_id": None},
            "import_listing": listing_body(proposer, attachment_ids=[]),
            "import_application": {
                "listing_id": str(listing.id),
                "lead_org_id": str(applicant.id),
                "members": [],
                "lead_budget_share": "100",
            },
        },
    )


async def _seed(app: FastAPI) -> Seeded:
    sessions = app.state.sessionmaker
    admin = await create_user(sessions, roles=("admin",))
    manager = await create_user(sessions)
    newcomer, leaver = await create_user(sessions), await create_user(sessions)
    english = {"Accept-Language": "en"}  # problems are told apart by their English message
    identities = {
        "anonymous": {**english},
        "admin": {**english, **bearer(app, admin)},
        "manager": {**english, **bearer(app, manager)},
        "integration": {**english, **bearer(app, await create_service_client(sessions))},
    }
    # The organisation the organisation operations act on (they edit it at random).
    org = await create_organization(sessions, manager=manager)
    await add_member(sessions, org, leaver)
    # A proposer that passes the submission rules, and an applicant that passes eligibility.
    proposer = await create_organization(
        sessions, manager=manager, type="enterprise", independent_legal_person=True
    )
    applicant = await create_organization(
        sessions, manager=manager, type="university", verified=True, partner_4_8_n=True
    )
    # A consortium member the manager answers for (R-APP-MEMBER-CONSENT).
    partner = await create_organization(sessions, manager=manager, type="research_institute")

    # Consent to membership and ownership: an invitation of each actor's to an organisation per
    # answering operation; claims of fresh organisations to be a subsidiary of `org` (its
    # manager answers), and one of an organisation of the manager's on a fresh one (withdrawn).
    inviting = {
        name: await create_organization(sessions)
        for name in ("accept_membership_invitation", "decline_membership_invitation")
    }
    for inviter in inviting.values():
        for invitee in (admin, manager):
            await add_member(sessions, inviter, invitee, status="invited")
    claimed = {"pending_parent_org_id": org.id, "parent_claimed_at": datetime.now(UTC)}
    claimants = {
        name: await create_organization(sessions, **claimed)
        for name in ("accept_subsidiary_claim", "decline_subsidiary_claim")
    }
    claiming = await create_organization(
        sessions,
        manager=manager,
        pending_parent_org_id=(await create_organization(sessions)).id,
        parent_claimed_at=datetime.now(UTC),
    )

    async def listing(status: str, **overrides: Any) -> str:
        owner = overrides.pop("proposer", proposer)
        return str((await create_listing(sessions, owner, status=status, **overrides)).id)

    async def published() -> str:
        return str((await create_published_listing(sessions, proposer)).id)

    shown = await published()  # read, never changed
    listings = {
        "read_listing": shown,
        "list_assessments": shown,
        "listing_history": shown,
        "public_listing": shown,
        "create_application": shown,
        "update_listing": await listing("draft"),
        "add_assessment": await listing("under_assessment"),
        "submit_listing": await listing("draft"),
        "screen_listing": await listing("submitted"),
        "approve_listing": await listing("draft", proposer=None),  # emergency: approved at once
        "reject_listing": await listing("submitted"),
        "return_listing": await listing("submitted"),
        "confirm_listing": await listing("approved"),
        "publish_listing": await listing("confirmed"),
        "close_listing": await published(),
        "withdraw_listing": await listing("draft"),
        "cancel_listing": await listing("draft"),
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

        async def draft_application(**overrides: Any) -> str:  # on a listing of its own
            response = await http.post(
                f"/api/v1/listings/{await published()}/applications",
                json=application_body(applicant, **overrides),
                headers=identities["manager"],
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        consortium = {
            "lead_budget_share": "70",
            "members": [{"org_id": str(partner.id), "role": "合作方", "budget_share": "30"}],
        }
        invitations = {
            name: await draft_application(**consortium)
            for name in ("accept_invitation", "decline_invitation")
        }

        applications = {
            name: await draft_application()
            for name in (
                "read_application",
                "update_application",
                "submit_application",
                "withdraw_application",
            )
        }
        reviews = await _seed_reviews(sessions, proposer, manager)
        agreements = await _seed_agreements(sessions, proposer)
        funding = await _seed_funding(sessions, proposer, manager)
        management = await _seed_management(sessions, proposer)
        changes = await _seed_changes(sessions, proposer, manager)
        project_reports = await _seed_reports(sessions, proposer)
        webhooks = await _seed_webhooks(sessions)
        imported = await _seed_imports(sessions, proposer, applicant)
        uploaded = await http.post(
            "/api/v1/attachments",
            files={"file": ("需求说明.pdf", PDF, "application/pdf")},
            headers=identities["manager"],
        )
        assert uploaded.status_code == 201, uploaded.text
        attachment = str(uploaded.json()["id"])
    await app.state.engine.dispose()

    path_parameters: dict[str, dict[str, str]] = {
        **{name: {"listing_id": value} for name, value in listings.items()},
        **{name: {"application_id": value} for name, value in applications.items()},
        **{
            name: {"application_id": value, "org_id": str(partner.id)}
            for name, value in invitations.items()
        },
        "read_attachment": {"attachment_id": attachment},
        "download_attachment": {"attachment_id": attachment},
        "remove_member": {"organization_id": str(org.id), "user_id": str(leaver.id)},
        **{name: {"organization_id": str(o.id)} for name, o in inviting.items()},
        **{
            name: {"organization_id": str(org.id), "claimant_id": str(o.id)}
            for name, o in claimants.items()
        },
        "withdraw_parent_claim": {"organization_id": str(claiming.id)},
        **reviews.path_parameters,
        **agreements.path_parameters,
        **funding.path_parameters,
        **management.path_parameters,
        **changes.path_parameters,
        **project_reports.path_parameters,
        **webhooks.path_parameters,
        **imported.path_parameters,
    }
    # Alone, with no attachments: members and attachments name what the fuzzer cannot know.
    alone = {"members": [], "lead_budget_share": "100", "attachment_ids": []}
    members: dict[str, dict[str, Any]] = {
        "add_member": {"username": newcomer.username},
        "create_application": {"lead_org_id": str(applicant.id), **alone},
        "update_application": alone,
        "accept_invitation": {"budget_share": "30.00"},  # the share the invitation shows
        "sign_agreement": {"attachment_id": attachment},  # the manager's upload
        "file_objection": {"attachment_ids": []},
        # Only the stateful phase creates with these (its links start from what they make).
        "create_organization": {"uscc": USCC, "parent_org_id": None},
        "create_listing": {
            "kind": st.sampled_from(["tech_breakthrough", "achievement_transfer"]),
            "proposer_org_id": str(proposer.id),
            "attachment_ids": [],
        },
        "upload_attachment": {"file": PDF.decode()},  # binary parts are generated as text
        # A window open now (R-LIST-WINDOW): random ones mostly lie in the past.
        "publish_listing": {
            "application_opens_at": datetime.now(UTC).isoformat(),
            "application_closes_at": (datetime.now(UTC) + timedelta(days=3650)).isoformat(),
        },
        **reviews.members,
        **agreements.members,
        **funding.members,
        **management.members,
        **changes.members,
        **project_reports.members,
        **webhooks.members,
        **imported.members,
    }
    return Seeded(identities, path_parameters, str(org.id), members)


@pytest.fixture(scope="session")
def fuzzing(
    backend: str, database_factory: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Fuzzing:
    # A database of its own: the fuzzer moves the sandbox clock and edits at random.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.TEST,
        database_url=database_factory(),
        database_null_pool=True,
        storage_dir=tmp_path_factory.mktemp("fuzzed-files"),
        login_failure_limit="100000/minute",
        registration_limit="100000/minute",
        objection_limit="100000/minute",
        webhook_allowed_addresses=["127.0.0.1"],
        webhook_resolve_names=False,  # no made-up name is sent to a DNS resolver
    )
    app = create_app(settings)
    seeded = asyncio.run(_seed(app))
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=schemathesis_config(app.openapi())
    )
    members = {
        name: st.fixed_dictionaries(
            {
                key: value if isinstance(value, st.SearchStrategy) else st.just(value)
                for key, value in values.items()
            }
        )
        for name, values in seeded.members.items()
    }
    return Fuzzing(
        schema, seeded.identities, seeded.path_parameters, seeded.organization_id, members, backend
    )


def _seeded_path(fuzzing: Fuzzing, operation: schemathesis.APIOperation) -> dict[str, str] | None:
    """Path parameters naming a seeded resource this operation can act on, if any."""
    names = {parameter.name for parameter in operation.path_parameters}
    found = fuzzing.path_parameters.get(operation.definition.raw["operationId"])
    if found is None and names == {"organization_id"}:
        found = {"organization_id": fuzzing.organization_id}
    return found


def _with_members(case: schemathesis.Case, members: dict[str, Any]) -> schemathesis.Case:
    """The case with these body members set (schema-valid values: the case stays positive)."""
    if isinstance(case.body, dict):
        case.body = {**case.body, **members}
    return case


def _record_reach(fuzzing: Fuzzing, phase: str) -> Callable[..., None]:
    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
    ) -> None:
        if 200 <= response.status_code < 300:
            operation_id = case.operation.definition.raw["operationId"]
            fuzzing.reached.setdefault(operation_id, set()).add(phase)

    return after_call


# Stateless: every operation on its own -------------------------------------------------------


def test_every_contract_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(
    ("method", "path", "operation_id"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_operation_honours_the_contract(
    fuzzing: Fuzzing, method: str, path: str, operation_id: str
) -> None:
    operation = fuzzing.schema[path][method]
    runs = [
        (
            st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            ),
            sorted(fuzzing.identities),
            EXAMPLES_PER_OPERATION[fuzzing.backend],
        )
    ]
    if real := _seeded_path(fuzzing, operation):
        # Also aimed at a seeded resource in the state the operation acts on, by the callers
        # who may act on it (to anyone else it does not exist, as a random id).
        aimed = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real)
        if (members := fuzzing.members.get(operation_id)) is not None:
            aimed = st.builds(_with_members, aimed, members)
        actors = ("integration",) if operation_id in SERVICE_ONLY else ACTORS
        runs.append((aimed, actors, AIMED[fuzzing.backend]))
    hook = fuzzing.schema.hooks.register_hook_with_name(
        _record_reach(fuzzing, "stateless"), "after_call"
    )
    try:
        for cases, callers, examples in runs:
            _fuzz(fuzzing, cases, callers, examples)
    finally:
        fuzzing.schema.hooks.unregister(hook)
    fuzzing.fuzzed.add(operation_id)


def _fuzz(
    fuzzing: Fuzzing,
    cases: st.SearchStrategy[schemathesis.Case],
    callers: Sequence[str],
    examples: int,
) -> None:
    @given(case=cases, who=st.sampled_from(callers))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def honours(case: schemathesis.Case, who: str) -> None:
        case.call_and_validate(headers=fuzzing.identities[who])

    honours()


# Stateful: sequences that follow the links ---------------------------------------------------

# Derandomized like the stateless phase, so that a run is repeatable: the same contract and
# code draw the same scenarios (a random run once met a false "created resource not found").
SCENARIOS = 60
STEPS_PER_SCENARIO = 12
# Runs started afresh after Hypothesis found the API's state changed under a replayed prefix.
RESTARTS = 10


def test_linked_operations_honour_the_contract(fuzzing: Fuzzing) -> None:
    identities = fuzzing.identities

    def flatmap_case(
        context: schemathesis.HookContext, case: schemathesis.Case
    ) -> st.SearchStrategy[schemathesis.Case]:
        """Half the schema-valid requests that have members to set get them: a create then
        makes something for the links to follow (a random proposer or USCC never would)."""
        members = fuzzing.members.get(case.operation.definition.raw["operationId"])
        if members is None or case.meta is None or not case.meta.generation.mode.is_positive:
            return st.just(case)
        return st.one_of(st.just(case), st.builds(_with_members, st.just(case), members))

    hooks = [
        fuzzing.schema.hooks.register_hook_with_name(flatmap_case, "flatmap_case"),
        fuzzing.schema.hooks.register_hook_with_name(
            _record_reach(fuzzing, "stateful"), "after_call"
        ),
    ]

    class Workflow(fuzzing.schema.as_state_machine()):  # type: ignore[misc]
        """The links' sequences. Each scenario acts as one identity: to anyone else, what it
        made may well not exist, and `ensure_resource_availability` would call that lost."""

        who = ACTORS[0]
        scenarios = 0

        @initialize(who=st.sampled_from(ACTORS))
        def act_as(self, who: str) -> None:
            self.who = who

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": identities[self.who]}

        def teardown(self) -> None:
            type(self).scenarios += 1
            super().teardown()

    # The stateless phase may have moved the sandbox clock years away.
    asyncio.run(_reset_clock(fuzzing))
    try:
        for _ in range(RESTARTS):
            if Workflow.scenarios >= SCENARIOS:
                break
            try:
                Workflow.run(
                    settings=settings(
                        max_examples=SCENARIOS - Workflow.scenarios,
                        stateful_step_count=STEPS_PER_SCENARIO,
                        deadline=None,
                        database=None,
                        phases=[Phase.generate],
                        derandomize=True,
                        suppress_health_check=list(HealthCheck),
                    )
                )
                break
            except FlakyStrategyDefinition:
                # A scenario Hypothesis replayed met another state (what a create made before
                # now conflicts): the rules it may draw differ. Go on with a fresh run.
                continue
    finally:
        for hook in hooks:
            fuzzing.schema.hooks.unregister(hook)
    assert Workflow.scenarios >= SCENARIOS / 2, f"only {Workflow.scenarios} scenarios ran"
    fuzzing.phases_run.add("stateful")


async def _reset_clock(fuzzing: Fuzzing) -> None:
    transport = httpx.ASGITransport(app=fuzzing.schema.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/api/v1/sandbox/clock", json={"reset": True}, headers=fuzzing.identities["admin"]
        )
        assert response.status_code == 200, response.text


# Reach: the fuzzing got past "not found" -------------------------------------------------------

# Operations with an id in their path that no fuzzing here answers 2xx, and why.
UNREACHABLE: dict[str, str] = {}


def test_every_operation_on_a_resource_was_answered_2xx(fuzzing: Fuzzing) -> None:
    if fuzzing.fuzzed != {operation_id for _, _, operation_id in OPERATIONS} or (
        "stateful" not in fuzzing.phases_run
    ):
        pytest.skip("needs the whole module's fuzzing to have run first (on this backend)")
    reached = set(fuzzing.reached) & set(WITH_ID)
    missed = sorted(set(WITH_ID) - reached - set(UNREACHABLE))
    assert not missed, f"reached {len(reached)}/{len(WITH_ID)}; never 2xx: {', '.join(missed)}"
    assert not reached & set(UNREACHABLE), "reached now, so no longer unreachable"
