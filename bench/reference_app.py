"""The reference of bench/http.py: a plain FastAPI + SQLAlchemy ORM app, written the usual way.

One `AsyncSession` per request (an async generator dependency), the service's ORM models
(jiebang_api.models), a pydantic `response_model` per operation (its own plain models with
the service's field names and order), an async dependency for the caller that verifies the
token once, no middleware, no custom route class. The statements are those the service
issues (the same ORM queries: see bench/ceiling_app.py for the list); the engine has the
service's pool size, without pre-ping. Answers the same JSON as the service for each case.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from jose import JWTError, jwt
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from jiebang_api.audit.chain import entry_hash
from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus, machine
from jiebang_api.models import (
    AuditEntry,
    CodeCounter,
    Event,
    Listing,
    Membership,
    Organization,
    User,
)

URL = os.environ.get("BENCH_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "10"))
SECRET = os.environ.get("BENCH_JWT_SECRET", "")
PUBLIC = ["awarded", "closed", "failed", "published"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE_LETTERS = {"tech_breakthrough": "TB", "achievement_transfer": "AT", "emergency": "EM"}

engine = create_async_engine(URL, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
Sessions = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


# ------------------------------------------------------------------------------------------
# Response and request models
# ------------------------------------------------------------------------------------------


class KeyTechnology(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    target_metrics: str = Field(min_length=1, max_length=2000)


class IpRecord(BaseModel):
    kind: Literal["invention_patent", "utility_model", "software_copyright", "other"]
    number: str
    title: str
    holder: str


class Proposer(BaseModel):
    id: uuid.UUID
    name: str


class PublicListing(BaseModel):
    id: uuid.UUID
    code: str
    kind: str
    status: str
    proposer: Proposer | None
    title: str
    industry: str | None
    background: str | None
    key_technologies: list[KeyTechnology]
    transfer_content: str | None
    transfer_form: str | None
    application_direction: str | None
    industrial_effect: str | None
    transfer_service: str | None
    time_requirement_months: int | None
    total_rd_investment: Decimal | None
    demand_requirements: str | None
    supply_requirements: str | None
    ip_ownership: str | None
    benefit_sharing: str | None
    ip_records: list[IpRecord]
    application_opens_at: datetime | None
    application_closes_at: datetime | None
    published_at: datetime | None


class PublicPage(BaseModel):
    items: list[PublicListing]
    next_cursor: str | None


class ListingOut(BaseModel):
    id: uuid.UUID
    code: str
    kind: str
    status: str
    allowed_actions: list[str]
    proposer_org_id: uuid.UUID | None
    title: str
    industry: str | None
    background: str | None
    key_technologies: list[KeyTechnology]
    transfer_content: str | None
    transfer_form: str | None
    application_direction: str | None
    industrial_effect: str | None
    transfer_service: str | None
    time_requirement_months: int | None
    total_rd_investment: Decimal | None
    demand_requirements: str | None
    supply_requirements: str | None
    ip_ownership: str | None
    benefit_sharing: str | None
    ip_records: list[IpRecord]
    attachment_ids: list[str]
    confirmed_at: datetime | None
    application_opens_at: datetime | None
    application_closes_at: datetime | None
    published_at: datetime | None
    eligibility_warnings: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    roles: list[str]
    affiliation_org_id: uuid.UUID | None
    is_active: bool
    created_at: datetime


class MembershipOut(BaseModel):
    organization_id: uuid.UUID
    organization_name: str
    role: str


class MeOut(BaseModel):
    kind: str
    user: UserOut | None
    service_client: None
    roles: list[str]
    memberships: list[MembershipOut]


Text = Annotated[str | None, Field(min_length=1, max_length=20_000)]


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ListingKind
    proposer_org_id: uuid.UUID | None = None
    title: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(None, max_length=100)
    background: Text = None
    key_technologies: list[KeyTechnology] = Field(default_factory=list, max_length=50)
    transfer_content: Text = None
    transfer_form: str | None = Field(None, max_length=200)
    application_direction: Text = None
    industrial_effect: Text = None
    transfer_service: Text = None
    time_requirement_months: int | None = Field(None, ge=1, le=120)
    total_rd_investment: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    demand_requirements: Text = None
    supply_requirements: Text = None
    ip_ownership: Text = None
    benefit_sharing: Text = None
    ip_records: list[IpRecord] = Field(default_factory=list, max_length=100)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=0)


# ------------------------------------------------------------------------------------------
# Dependencies
# ------------------------------------------------------------------------------------------


async def get_session() -> AsyncIterator[AsyncSession]:
    async with Sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@dataclass
class Caller:
    user: User
    memberships: list[tuple[Membership, Organization]]


async def load_caller(session: AsyncSession, user_id: uuid.UUID) -> Caller | None:
    """The user and its memberships: the two statements of the service's `principal_for`."""
    user = (await session.execute(select(User).where(User.id == user_id))).scalar_one_or_none()
    if user is None or not user.is_active:
        return None
    statement = (
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    )
    return Caller(user, [(m, o) for m, o in (await session.execute(statement)).all()])


async def get_caller(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Caller:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401)
    try:
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience="jiebang-api",
            issuer="jiebang-api",
            options={
                "leeway": 30,
                "require_exp": True,
                "require_iat": True,
                "require_iss": True,
                "require_aud": True,
                "require_sub": True,
            },
        )
        if claims.get("typ") != "access" or claims.get("knd") != "user":
            raise HTTPException(401)
        user_id = uuid.UUID(claims["sub"])
    except (JWTError, KeyError, ValueError):
        raise HTTPException(401) from None
    caller = await load_caller(session, user_id)
    if caller is None:
        raise HTTPException(401)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


# ------------------------------------------------------------------------------------------
# Operations
# ------------------------------------------------------------------------------------------


def status_of(listing: Listing, now: datetime) -> str:
    closes = listing.application_closes_at
    if listing.status == "published" and closes is not None and now >= closes:
        return "closed"
    return listing.status


def columns(listing: Listing) -> dict[str, Any]:
    return {c.key: getattr(listing, c.key) for c in Listing.__table__.columns}


def public_item(listing: Listing, now: datetime, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    name = names.get(listing.proposer_org_id) if listing.proposer_org_id else None
    return {
        **columns(listing),
        "status": status_of(listing, now),
        "proposer": {"id": listing.proposer_org_id, "name": name} if name else None,
    }


def listing_item(listing: Listing, now: datetime) -> dict[str, Any]:
    status = status_of(listing, now)
    allowed = machine(ListingKind(listing.kind)).allowed_operations(ListingStatus(status))
    return {**columns(listing), "status": status, "allowed_actions": allowed}


async def names_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    statement = select(Organization.id, Organization.name).where(Organization.id.in_(list(ids)))
    return {id_: name for id_, name in (await session.execute(statement)).all()}


def encode_cursor(at: datetime, id_: uuid.UUID) -> str:
    import base64

    raw = json.dumps([at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, uuid.UUID]:
    import base64

    at, id_ = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return datetime.fromisoformat(at), uuid.UUID(id_)


@app.get("/api/v1/public/listings", response_model=PublicPage)
async def public_listings(
    session: SessionDep,
    industry: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    now = datetime.now(UTC)
    statement = select(Listing).where(Listing.status.in_(PUBLIC))
    if industry:
        statement = statement.where(Listing.industry == industry)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Listing.search_text.ilike(f"%{escaped}%", escape="\\"))
    if cursor:
        try:
            at, id_ = decode_cursor(cursor)
        except (ValueError, TypeError):
            raise HTTPException(422) from None
        from sqlalchemy import literal, tuple_

        statement = statement.where(
            tuple_(Listing.published_at, Listing.id)
            < tuple_(literal(at, Listing.published_at.type), literal(id_, Listing.id.type))
        )
    statement = statement.order_by(Listing.published_at.desc(), Listing.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(statement)).all())
    items = rows[:limit]
    names = await names_of(session, {x.proposer_org_id for x in items if x.proposer_org_id})
    next_cursor = None
    if len(rows) > limit and items and items[-1].published_at is not None:
        next_cursor = encode_cursor(items[-1].published_at, items[-1].id)
    return {"items": [public_item(x, now, names) for x in items], "next_cursor": next_cursor}


@app.get("/api/v1/public/listings/{listing_id}", response_model=PublicListing)
async def public_listing(listing_id: uuid.UUID, session: SessionDep) -> Any:
    now = datetime.now(UTC)
    statement = select(Listing).where(Listing.id == listing_id, Listing.status.in_(PUBLIC))
    listing = (await session.execute(statement)).scalar_one_or_none()
    if listing is None:
        raise HTTPException(404)
    names = await names_of(session, {listing.proposer_org_id} if listing.proposer_org_id else set())
    return public_item(listing, now, names)


@app.get("/api/v1/me", response_model=MeOut)
async def read_me(session: SessionDep, caller: CallerDep) -> Any:
    # The service reads the user and the memberships again here: the same statements.
    again = await load_caller(session, caller.user.id)
    assert again is not None
    roles = set(again.user.roles) | ({"org_member"} if again.memberships else set())
    return {
        "kind": "user",
        "user": again.user,
        "service_client": None,
        "roles": sorted(roles),
        "memberships": [
            {"organization_id": o.id, "organization_name": o.name, "role": m.role}
            for m, o in again.memberships
        ],
    }


@app.get("/api/v1/listings/{listing_id}", response_model=ListingOut)
async def read_listing(
    listing_id: uuid.UUID, session: SessionDep, caller: CallerDep, response: Response
) -> Any:
    now = datetime.now(UTC)
    listing = await session.get(Listing, listing_id)
    if listing is None or listing.proposer_org_id not in {o.id for _, o in caller.memberships}:
        raise HTTPException(404)
    response.headers["ETag"] = f'"{listing.version}"'
    return listing_item(listing, now)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


@app.post("/api/v1/listings", response_model=ListingOut, status_code=201)
async def create_listing(
    body: ListingIn, session: SessionDep, caller: CallerDep, response: Response
) -> Any:
    now = datetime.now(UTC)
    if body.kind is ListingKind.EMERGENCY or body.proposer_org_id is None:
        raise HTTPException(422)
    if body.proposer_org_id not in {o.id for _, o in caller.memberships}:
        raise HTTPException(403)
    if await session.get(Organization, body.proposer_org_id) is None:
        raise HTTPException(422)
    year = now.astimezone(SHANGHAI).year
    letters = CODE_LETTERS[body.kind.value]
    counter = (
        insert(CodeCounter)
        .values(scope=f"JB-{letters}", year=year, value=1)
        .on_conflict_do_update(
            index_elements=["scope", "year"], set_={"value": CodeCounter.value + 1}
        )
        .returning(CodeCounter.value)
    )
    number = int((await session.execute(counter)).scalar_one())
    data = body.model_dump(mode="python", exclude={"attachment_ids"})
    data["key_technologies"] = [t.model_dump() for t in body.key_technologies]
    data["ip_records"] = [r.model_dump() for r in body.ip_records]
    data["kind"] = body.kind.value
    listing = Listing(
        id=uuid.uuid4(),
        code=f"JB-{year}-{letters}-{number:04d}",
        status="draft",
        attachment_ids=[],
        **data,
    )
    parts = [listing.title or "", listing.background or ""]
    for tech in listing.key_technologies:
        parts += [tech["name"], tech["target_metrics"]]
    listing.search_text = "\n".join(p for p in parts if p)
    # What the service's audit listener notes for a new row: its non-null columns.
    changes = {
        c.key: {"old": None, "new": _plain(getattr(listing, c.key))}
        for c in Listing.__table__.columns
        if c.key not in {"id", "version", "created_at", "updated_at", "search_text"}
        and getattr(listing, c.key) is not None
    }
    session.add(listing)
    await session.flush()
    last = (
        await session.execute(
            select(AuditEntry)
            .where(AuditEntry.resource_type == "listing", AuditEntry.resource_id == str(listing.id))
            .order_by(AuditEntry.resource_seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    request_id = uuid.uuid4().hex
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "resource_type": "listing",
        "resource_id": str(listing.id),
        "resource_seq": last.resource_seq + 1 if last else 1,
        "action": "listing.create",
        "actor_type": "user",
        "actor_id": str(caller.user.id),
        "from_state": None,
        "to_state": "draft",
        "reason": None,
        "request_id": request_id,
        "data": {"code": listing.code},
        "occurred_at": now,
        "changes": changes,
    }
    prev_hash = last.hash if last else None
    session.add(AuditEntry(**fields, prev_hash=prev_hash, hash=entry_hash(fields, prev_hash)))
    await session.flush()
    payload = {
        "occurred_at": now.isoformat(),
        "listing_id": str(listing.id),
        "code": listing.code,
        "kind": listing.kind,
        "status": "draft",
        "from_status": None,
    }
    session.add(
        Event(
            type="listing.created",
            resource_type="listing",
            resource_id=str(listing.id),
            payload=payload,
            occurred_at=now,
            request_id=request_id,
        )
    )
    await session.flush()
    await session.commit()
    response.headers["Location"] = f"/api/v1/listings/{listing.id}"
    response.headers["ETag"] = f'"{listing.version}"'
    return listing_item(listing, now)
