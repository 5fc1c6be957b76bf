"""Async factories for test data: accounts, organisations, memberships, credit records, tokens.

Every factory writes through the ORM in its own committed transaction and returns the row.
All factory users share one password (hashed once), so building many of them stays fast.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum.cn import uscc as stdnum_uscc

from jiebang_api.auth.tokens import SubjectKind
from jiebang_api.integration import signing
from jiebang_api.listings.search import search_text
from jiebang_api.models import (
    Agreement,
    Application,
    CreditRecord,
    Entrustment,
    Event,
    Listing,
    Membership,
    Organization,
    Project,
    ServiceClient,
    User,
    WebhookDelivery,
    WebhookSubscription,
)

PASSWORD = "factory-password-42"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

Sessions = async_sessionmaker[AsyncSession]


@lru_cache(maxsize=1)
def password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def valid_uscc(region: str = "150000") -> str:
    """A random code with valid check digits, registered in `region` (15… = Inner Mongolia)."""
    rng = random.Random()  # noqa: S311 - test data, not security
    while True:
        body = "91" + region + "".join(rng.choice(string.digits + "ABC") for _ in range(9))
        code = body + stdnum_uscc.calc_check_digit(body)
        if stdnum_uscc.is_valid(code):
            return code


async def _save(sessions: Sessions, row: Any) -> Any:
    async with sessions() as session:
        session.add(row)
        await session.commit()
    return row


async def create_user(
    sessions: Sessions, *, roles: tuple[str, ...] = (), username: str | None = None, **extra: Any
) -> User:
    name = username or unique("user")
    user = User(
        id=uuid.uuid4(),
        username=name,
        password_hash=password_hash(),
        display_name=extra.pop("display_name", name),
        email=extra.pop("email", None),
        roles=sorted(roles),
        is_active=extra.pop("is_active", True),
        **extra,
    )
    return await _save(sessions, user)


async def create_service_client(sessions: Sessions) -> ServiceClient:
    client = ServiceClient(
        id=uuid.uuid4(),
        client_id=unique("svc_"),
        secret_hash=password_hash(),
        name="plan system",
        roles=["integration"],
        is_active=True,
    )
    return await _save(sessions, client)


async def create_organization(
    sessions: Sessions, *, manager: User | None = None, **overrides: Any
) -> Organization:
    code = overrides.pop("uscc", None) or valid_uscc(overrides.pop("region", "150000"))
    org = Organization(
        id=uuid.uuid4(),
        name=overrides.pop("name", unique("单位")),
        uscc=code,
        region_code=code[2:8],
        in_region=code[2:4] == "15",
        type=overrides.pop("type", "enterprise"),
        verified=overrides.pop("verified", False),
        verified_flags=overrides.pop("verified_flags", []),
        **overrides,
    )
    await _save(sessions, org)
    if manager is not None:
        await add_member(sessions, org, manager, role="manager")
    return org


async def add_member(
    sessions: Sessions,
    org: Organization,
    user: User,
    *,
    role: str = "member",
    status: str = "accepted",
) -> Membership:
    """A membership, accepted unless `status="invited"` (an invitation not yet answered)."""
    membership = Membership(
        id=uuid.uuid4(), user_id=user.id, organization_id=org.id, role=role, status=status
    )
    return await _save(sessions, membership)


async def create_credit_record(
    sessions: Sessions,
    org: Organization,
    *,
    starts_on: date = date(2026, 1, 1),
    ends_on: date | None = None,
) -> CreditRecord:
    record = CreditRecord(
        id=uuid.uuid4(),
        organization_id=org.id,
        kind="serious_dishonesty",
        starts_on=starts_on,
        ends_on=ends_on,
        source="信用中国",
        reference=unique("ref-"),
    )
    return await _save(sessions, record)


def token_for(app: FastAPI, account: User | ServiceClient) -> str:
    """A valid access token for a user or service client, minted by the app's own codec."""
    kind = SubjectKind.USER if isinstance(account, User) else SubjectKind.SERVICE
    token, _ = app.state.token_codec.issue(account.id, kind, datetime.now(UTC))
    return str(token)


def bearer(app: FastAPI, account: User | ServiceClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, account)}"}


LISTING_TEXT: dict[str, Any] = {
    "title": "稀土永磁材料关键技术",
    "industry": "新材料",
    "background": "现有产品矫顽力不足。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": Decimal("15000000.00"),
    "demand_requirements": "提供中试线。",
    "supply_requirements": "具备研发团队。",
    "ip_ownership": "双方共有。",
    "benefit_sharing": "按投入比例。",
}


def listing_body(proposer: Organization | str, **overrides: Any) -> dict[str, Any]:
    """The JSON body of a technology-breakthrough listing proposed by `proposer` (or the
    organisation of that id) that passes the submission rules (for a verified proposer:
    `VERIFIED`)."""
    return {
        "kind": "tech_breakthrough",
        "proposer_org_id": proposer if isinstance(proposer, str) else str(proposer.id),
        **LISTING_TEXT,
        "total_rd_investment": str(LISTING_TEXT["total_rd_investment"]),
        **overrides,
    }


# What the department verified of an organisation the rules accept as a proposer or a lead.
VERIFIED_FLAGS = ["independent_legal_person", "high_tech", "pays_tax_in_region"]
VERIFIED: dict[str, Any] = {
    "verified": True,
    "verified_flags": VERIFIED_FLAGS,
    **dict.fromkeys(VERIFIED_FLAGS, True),
}


async def create_listing(
    sessions: Sessions, proposer: Organization | None, **overrides: Any
) -> Listing:
    """A listing row in any state (default draft), its search text filled in."""
    values = {**LISTING_TEXT, **overrides}
    listing = Listing(
        id=uuid.uuid4(),
        code=unique("JB-T-"),
        kind=values.pop("kind", "tech_breakthrough" if proposer else "emergency"),
        status=values.pop("status", "draft"),
        proposer_org_id=proposer.id if proposer else None,
        **values,
    )
    listing.search_text = search_text(listing.title, listing.background, listing.key_technologies)
    return await _save(sessions, listing)


async def create_published_listing(
    sessions: Sessions, proposer: Organization | None, *, days_open: int = 30, **overrides: Any
) -> Listing:
    now = datetime.now(UTC)
    closes = now + timedelta(days=days_open)
    return await create_listing(
        sessions,
        proposer,
        status="published",
        published_at=overrides.pop("published_at", now),
        application_opens_at=min(now, closes) - timedelta(days=1),
        application_closes_at=closes,
        next_check_at=closes,  # the window's end is its deadline (listings/deadlines.py)
        **overrides,
    )


def application_body(lead: Organization, **overrides: Any) -> dict[str, Any]:
    """The body of `POST /listings/{id}/applications`: `lead` alone, with a plan and
    declarations that pass the eligibility engine for a verified university lead."""
    return {
        "lead_org_id": str(lead.id),
        "lead_budget_share": "100",
        "plan": {
            "approach": "晶界扩散结合中试验证",
            "milestones": [{"title": "中试", "due_month": 12, "deliverable": "中试报告"}],
            "budget_total": "15000000.00",
            "team": [{"name": "王工", "title": "教授", "role": "技术负责人"}],
        },
        "declarations": {
            "has_transfer_team": True,
            "can_provide_funds": True,
            "can_provide_site": True,
            "market_channels": "区内整车企业",
        },
        **overrides,
    }


async def end_window(
    sessions: Sessions, listing_id: uuid.UUID, *, ago: timedelta = timedelta(hours=1)
) -> Listing:
    """Move a published listing's window end, and its deadline (`next_check_at`), `ago` into
    the past, as if time had passed; the stored status is left as it is."""
    async with sessions() as session:
        listing = await session.get(Listing, listing_id)
        assert listing is not None
        listing.application_closes_at = listing.next_check_at = datetime.now(UTC) - ago
        await session.commit()
    return listing


async def create_recommended_application(
    sessions: Sessions, listing: Listing, lead: Organization, *, rank: int = 1
) -> Application:
    """An application the confirmed recommendation ranked `rank` (its listing closed)."""
    return await _save(
        sessions,
        Application(
            id=uuid.uuid4(),
            listing_id=listing.id,
            lead_org_id=lead.id,
            status="recommended",
            recommendation_rank=rank,
            lead_budget_share=Decimal(100),
            members=[],
            plan={},
            declarations={},
            attachment_ids=[],
            submitted_at=datetime.now(UTC),
        ),
    )


def agreement_body(application_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """The body of `POST /agreements` with terms every rule accepts: T = 10,000,000,
    A = 30 % of T, S = 20 % of T, 24 months (within both kinds' limits)."""
    return {
        "application_id": str(application_id),
        "agreement_amount": "3000000.00",
        "total_rd_investment": "10000000.00",
        "requested_subsidy": "2000000.00",
        "start_on": "2027-04-01",
        "duration_months": 24,
        "payment_schedule": [
            {"seq": 1, "amount": "1000000.00", "due_on": "2027-04-15", "condition": "签约后"},
            {"seq": 2, "amount": "2000000.00", "due_on": "2028-04-15", "condition": "中试通过"},
        ],
        "ip_ownership": "新成果归需求方所有",
        "benefit_sharing": "产业化收益按 7:3 分配",
        "milestones": [
            {"title": "中试", "due_on": "2028-03-31", "deliverable": "中试报告", "kpi": "良率95%"}
        ],
        "budget_lines": [
            {"category": "key_tech_rd", "amount": "1500000.00"},
            {"category": "pilot_test", "amount": "500000.00"},
        ],
        **overrides,
    }


async def create_agreement(
    sessions: Sessions, application: Application, listing: Listing, **overrides: Any
) -> Agreement:
    """An agreement row on `agreement_body`'s terms between the sides of a technology
    breakthrough (the proposer demands, the lead supplies), draft unless overridden."""
    terms = agreement_body(application.id)
    del terms["application_id"]
    for name in ("agreement_amount", "total_rd_investment", "requested_subsidy"):
        terms[name] = Decimal(terms[name])
    terms["start_on"] = date.fromisoformat(terms["start_on"])
    return await _save(
        sessions,
        Agreement(
            id=uuid.uuid4(),
            application_id=application.id,
            listing_id=listing.id,
            demand_org_id=listing.proposer_org_id,
            supply_org_id=application.lead_org_id,
            **{"status": "draft", **terms, **overrides},
        ),
    )


async def create_project(
    sessions: Sessions,
    demand: Organization | None,
    supply: Organization,
    *,
    kind: str = "tech_breakthrough",
    **overrides: Any,
) -> Project:
    """A signed project between `demand` (None: an emergency listing's department) and
    `supply`, on `agreement_body`'s figures (A = 3,000,000, T = 10,000,000, S asked
    2,000,000), with its listing, application and signed agreement."""
    listing = await create_listing(sessions, demand, kind=kind, status="awarded")
    application = await create_recommended_application(sessions, listing, supply)
    agreement = await create_agreement(sessions, application, listing, status="signed")
    project = Project(
        id=uuid.uuid4(),
        code=unique("XM-T-")[:32],
        agreement_id=agreement.id,
        application_id=application.id,
        listing_id=listing.id,
        kind=kind,
        title=listing.title,
        demand_org_id=demand.id if demand else None,
        supply_org_id=supply.id,
        lead_org_id=supply.id,
        agreement_amount=agreement.agreement_amount,
        total_rd_investment=agreement.total_rd_investment,
        requested_subsidy=agreement.requested_subsidy,
        start_on=agreement.start_on,
        end_on=overrides.pop("end_on", agreement.start_on + timedelta(days=729)),
        status=overrides.pop("status", "in_progress"),
        signed_at=datetime.now(UTC),
        **overrides,
    )
    return await _save(sessions, project)


async def create_entrustment(
    sessions: Sessions, project: Project, agency: Organization, scope: list[str]
) -> Entrustment:
    """`project` entrusted to `agency` for `scope` (reports, acceptance, audit)."""
    entrustment = Entrustment(
        id=uuid.uuid4(), project_id=project.id, agency_org_id=agency.id, scope=scope
    )
    return await _save(sessions, entrustment)


HOOK_URL = "http://127.0.0.1:9/hook"  # allow-listed in tests; nothing listens there


async def create_subscription(
    sessions: Sessions, *, owner_type: str = "service", owner_id: str | None = None
) -> WebhookSubscription:
    """An active subscription to `project.created` at `HOOK_URL`, owned by `owner_id` (a
    service client of its own when None)."""
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        url=HOOK_URL,
        event_types=["project.created"],
        active=True,
        secret=signing.new_secret(),
        owner_type=owner_type,
        owner_id=owner_id or str(uuid.uuid4()),
    )
    return await _save(sessions, subscription)


async def create_delivery(
    sessions: Sessions, subscription: WebhookSubscription, *, status: str = "delivered"
) -> WebhookDelivery:
    """A delivery to `subscription` of a `project.created` event made for it (one attempt
    made)."""
    event = Event(
        id=uuid.uuid4(),
        type="project.created",
        resource_type="project",
        resource_id=str(uuid.uuid4()),
        payload={},
        occurred_at=datetime.now(UTC),
    )
    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        event_id=event.id,
        event_type=event.type,
        subscription_id=subscription.id,
        status=status,
        attempt_count=1,
    )
    async with sessions() as session:
        session.add(event)
        await session.flush()
        session.add(delivery)
        await session.commit()
    return delivery
