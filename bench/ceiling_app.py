"""The ceiling of bench/http.py: raw Starlette + asyncpg answering what the service answers.

The same SQL statements as the service for each case (read from the service with
JIEBANG_DATABASE_ECHO=true; the repositories are src/jiebang_api/listings/repository.py,
src/jiebang_api/auth/repository.py, organizations/repository.py, audit/repository.py and the
inserts of listings/service.py `create`, audit/service.py `record` and outbox/service.py
`add`), and the same JSON (fields, order and values) built by hand from the rows: no ORM, no
pydantic, no dependency injection, no middleware. The token is verified once with the
service's library (python-jose) and claims.

Reads run each statement on a pooled connection without BEGIN/COMMIT (set BENCH_CEILING_TX=1
to wrap each request's statements in a transaction as the service does); the create runs its
statements in one transaction, as the service does. The pool has as many connections as the
service's (BENCH_POOL_SIZE, and as many again), and no pre-ping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from jose import JWTError, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from jiebang_api.listings.enums import ListingKind
from jiebang_api.listings.workflow import ListingStatus, machine

DSN = os.environ.get("BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "10"))
READ_TX = os.environ.get("BENCH_CEILING_TX", "") == "1"
SECRET = os.environ.get("BENCH_JWT_SECRET", "")
PUBLIC = ["awarded", "closed", "failed", "published"]
LIMIT_DEFAULT = 20

LISTING_COLUMNS = (
    "code, kind, status, proposer_org_id, title, industry, background, key_technologies, "
    "transfer_content, transfer_form, application_direction, industrial_effect, "
    "transfer_service, time_requirement_months, total_rd_investment, demand_requirements, "
    "supply_requirements, ip_ownership, benefit_sharing, ip_records, attachment_ids, "
    "confirmed_at, confirmed_by, application_opens_at, application_closes_at, published_at, "
    "next_check_at, eligibility_warnings, search_text, id, version, created_at, updated_at"
)


PUBLIC_COLUMNS = (
    "listing.id, listing.code, listing.kind, listing.status, listing.proposer_org_id, "
    "listing.title, listing.industry, listing.background, listing.key_technologies, "
    "listing.transfer_content, listing.transfer_form, listing.application_direction, "
    "listing.industrial_effect, listing.transfer_service, listing.time_requirement_months, "
    "listing.total_rd_investment, listing.demand_requirements, listing.supply_requirements, "
    "listing.ip_ownership, listing.benefit_sharing, listing.ip_records, "
    "listing.application_opens_at, listing.application_closes_at, listing.published_at, "
    "organization.name AS proposer_name"
)
PUBLIC_FROM = "listing LEFT OUTER JOIN organization ON organization.id = listing.proposer_org_id"


def catalogue_sql(industry: bool, q: bool, after: bool) -> str:
    """The service's catalogue statement (listings/repository.py `public_page`): the public
    columns with the proposer's name, only the conditions asked for, parameters in order
    (statuses, then industry, pattern, cursor)."""
    where = ["listing.status IN ($1, $2, $3, $4)"]
    n = 4
    if industry:
        n += 1
        where.append(f"listing.industry = ${n}")
    if q:
        n += 1
        where.append(f"listing.search_text ILIKE ${n} ESCAPE '\\'")
    if after:
        where.append(
            f"(listing.published_at, listing.id) < (${n + 1}::timestamptz, ${n + 2}::uuid)"
        )
        n += 2
    return (
        f"SELECT {PUBLIC_COLUMNS} FROM {PUBLIC_FROM} WHERE {' AND '.join(where)} "
        f"ORDER BY listing.published_at DESC, listing.id DESC LIMIT ${n + 1}"
    )


CATALOGUE = {
    (i, q, a): catalogue_sql(i, q, a)
    for i in (False, True)
    for q in (False, True)
    for a in (False, True)
}
SQL_PUBLIC_ONE = (
    f"SELECT {PUBLIC_COLUMNS} FROM {PUBLIC_FROM} "
    "WHERE listing.status IN ($2, $3, $4, $5) AND listing.id = $1"
)
SQL_LISTING = f"SELECT {LISTING_COLUMNS} FROM listing WHERE id = $1"
SQL_USER = (
    "SELECT username, password_hash, display_name, email, roles, affiliation_org_id, is_active, "
    "id, version, created_at, updated_at FROM user_account WHERE id = $1"
)
SQL_MEMBERSHIPS = (
    "SELECT membership.user_id, membership.organization_id, membership.role, membership.id, "
    "membership.version, membership.created_at, membership.updated_at, organization.name, "
    "organization.uscc, organization.region_code, organization.in_region, organization.type, "
    "organization.independent_legal_person, organization.central_enterprise_branch, "
    "organization.pays_tax_in_region, organization.high_tech, organization.tech_based, "
    "organization.large_influential, organization.partner_4_8_n, "
    "organization.strategic_agreement, organization.parent_org_id, organization.verified, "
    "organization.verified_flags, organization.verified_at, organization.verified_by, "
    "organization.id AS id_1, organization.version AS version_1, "
    "organization.created_at AS created_at_1, organization.updated_at AS updated_at_1 "
    "FROM membership JOIN organization ON organization.id = membership.organization_id "
    "WHERE membership.user_id = $1 ORDER BY organization.name, organization.id"
)
SQL_ORGANIZATION = (
    "SELECT name, uscc, region_code, in_region, type, independent_legal_person, "
    "central_enterprise_branch, pays_tax_in_region, high_tech, tech_based, large_influential, "
    "partner_4_8_n, strategic_agreement, parent_org_id, verified, verified_flags, verified_at, "
    "verified_by, id, version, created_at, updated_at FROM organization WHERE id = $1"
)
SQL_NEXT_NUMBER = (
    "INSERT INTO code_counter (scope, year, value, updated_at) VALUES ($1, $2, 1, $3) "
    "ON CONFLICT (scope, year) DO UPDATE SET value = (code_counter.value + 1) "
    "RETURNING code_counter.value"
)
SQL_INSERT_LISTING = (
    "INSERT INTO listing (code, kind, status, proposer_org_id, title, industry, background, "
    "key_technologies, transfer_content, transfer_form, application_direction, "
    "industrial_effect, transfer_service, time_requirement_months, total_rd_investment, "
    "demand_requirements, supply_requirements, ip_ownership, benefit_sharing, ip_records, "
    "attachment_ids, confirmed_at, confirmed_by, application_opens_at, application_closes_at, "
    "published_at, next_check_at, eligibility_warnings, search_text, id, version, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, $14, "
    "$15, $16, $17, $18, $19, $20::json, $21::json, $22, $23, $24, $25, $26, $27, $28::json, "
    "$29, $30, $31, $32, $33)"
)
SQL_LAST_AUDIT = (
    "SELECT id, resource_type, resource_id, resource_seq, action, actor_type, actor_id, "
    "from_state, to_state, reason, request_id, data, changes, occurred_at, prev_hash, hash "
    "FROM audit_entry WHERE resource_type = $1 AND resource_id = $2 "
    "ORDER BY resource_seq DESC LIMIT 1"
)
SQL_INSERT_AUDIT = (
    "INSERT INTO audit_entry (id, resource_type, resource_id, resource_seq, action, actor_type, "
    "actor_id, from_state, to_state, reason, request_id, data, changes, occurred_at, "
    "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::json, "
    "$13::json, $14, $15, $16)"
)
SQL_INSERT_EVENT = (
    "INSERT INTO event (id, type, resource_type, resource_id, payload, occurred_at, request_id) "
    "VALUES ($1, $2, $3, $4, $5::json, $6, $7) RETURNING sequence"
)

# What each state allows next, by kind: a constant table (the service computes it per row).
ALLOWED = {
    (kind.value, status.value): machine(kind).allowed_operations(status)
    for kind in ListingKind
    for status in ListingStatus
}
# The audit hash covers these, in this order (src/jiebang_api/audit/chain.py).
HASHED_FIELDS = (
    "id",
    "resource_type",
    "resource_id",
    "resource_seq",
    "action",
    "actor_type",
    "actor_id",
    "from_state",
    "to_state",
    "reason",
    "request_id",
    "data",
    "occurred_at",
)
AUDIT_IGNORED = {"id", "version", "created_at", "updated_at", "search_text"}
CODE_LETTERS = {"tech_breakthrough": "TB", "achievement_transfer": "AT", "emergency": "EM"}
TEXT_FIELDS = (
    "title",
    "industry",
    "background",
    "transfer_content",
    "transfer_form",
    "application_direction",
    "industrial_effect",
    "transfer_service",
    "demand_requirements",
    "supply_requirements",
    "ip_ownership",
    "benefit_sharing",
)
CENT = Decimal("0.01")
SHANGHAI = ZoneInfo("Asia/Shanghai")

pool: asyncpg.Pool | None = None


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------


def instant(value: datetime | None) -> str | None:
    """As pydantic writes an aware UTC instant: ISO 8601 with `Z`."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status, headers, media_type="application/json")


def problem(status: int, code: str) -> Response:
    return answer({"type": "about:blank", "status": status, "code": code}, status)


def effective_status(row: asyncpg.Record, now: datetime) -> str:
    closes = row["application_closes_at"]
    if row["status"] == "published" and closes is not None and now >= closes:
        return "closed"
    return str(row["status"])


def public_out(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    proposer_id, name = row["proposer_org_id"], row["proposer_name"]
    return {
        "id": str(row["id"]),
        "code": row["code"],
        "kind": row["kind"],
        "status": effective_status(row, now),
        "proposer": {"id": str(proposer_id), "name": name} if proposer_id and name else None,
        "title": row["title"],
        "industry": row["industry"],
        "background": row["background"],
        "key_technologies": json.loads(row["key_technologies"]),
        "transfer_content": row["transfer_content"],
        "transfer_form": row["transfer_form"],
        "application_direction": row["application_direction"],
        "industrial_effect": row["industrial_effect"],
        "transfer_service": row["transfer_service"],
        "time_requirement_months": row["time_requirement_months"],
        "total_rd_investment": money(row["total_rd_investment"]),
        "demand_requirements": row["demand_requirements"],
        "supply_requirements": row["supply_requirements"],
        "ip_ownership": row["ip_ownership"],
        "benefit_sharing": row["benefit_sharing"],
        "ip_records": json.loads(row["ip_records"]),
        "application_opens_at": instant(row["application_opens_at"]),
        "application_closes_at": instant(row["application_closes_at"]),
        "published_at": instant(row["published_at"]),
    }


def listing_out(row: Any, now: datetime) -> dict[str, Any]:
    """ListingOut; `row` is a record or a dict of the same columns (JSON as text)."""
    status = effective_status(row, now)
    proposer_id = row["proposer_org_id"]
    return {
        "id": str(row["id"]),
        "code": row["code"],
        "kind": row["kind"],
        "status": status,
        "allowed_actions": ALLOWED[row["kind"], status],
        "proposer_org_id": str(proposer_id) if proposer_id else None,
        "title": row["title"],
        "industry": row["industry"],
        "background": row["background"],
        "key_technologies": json.loads(row["key_technologies"]),
        "transfer_content": row["transfer_content"],
        "transfer_form": row["transfer_form"],
        "application_direction": row["application_direction"],
        "industrial_effect": row["industrial_effect"],
        "transfer_service": row["transfer_service"],
        "time_requirement_months": row["time_requirement_months"],
        "total_rd_investment": money(row["total_rd_investment"]),
        "demand_requirements": row["demand_requirements"],
        "supply_requirements": row["supply_requirements"],
        "ip_ownership": row["ip_ownership"],
        "benefit_sharing": row["benefit_sharing"],
        "ip_records": json.loads(row["ip_records"]),
        "attachment_ids": json.loads(row["attachment_ids"]),
        "confirmed_at": instant(row["confirmed_at"]),
        "application_opens_at": instant(row["application_opens_at"]),
        "application_closes_at": instant(row["application_closes_at"]),
        "published_at": instant(row["published_at"]),
        "eligibility_warnings": json.loads(row["eligibility_warnings"]),
        "version": row["version"],
        "created_at": instant(row["created_at"]),
        "updated_at": instant(row["updated_at"]),
    }


# ------------------------------------------------------------------------------------------
# Cursors (src/jiebang_api/kit/pagination.py)
# ------------------------------------------------------------------------------------------


def encode_cursor(at: datetime, id_: uuid.UUID) -> str:
    raw = json.dumps([at.isoformat(), str(id_)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, uuid.UUID]:
    at, id_ = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    parsed = datetime.fromisoformat(at)
    if parsed.tzinfo is None:
        raise ValueError("naive cursor")
    return parsed, uuid.UUID(id_)


# ------------------------------------------------------------------------------------------
# Connections and the caller
# ------------------------------------------------------------------------------------------


@asynccontextmanager
async def connection(transaction: bool) -> AsyncIterator[asyncpg.Connection]:
    assert pool is not None
    async with pool.acquire() as conn:
        if transaction:
            async with conn.transaction():
                yield conn
        else:
            yield conn


def claims_of(request: Request) -> uuid.UUID | None:
    """The user id of a valid bearer token (one verification), else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
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
            return None
        return uuid.UUID(claims["sub"])
    except (JWTError, KeyError, ValueError):
        return None


async def principal(
    conn: asyncpg.Connection, user_id: uuid.UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """The user and its memberships (the two statements of the service's `principal_for`)."""
    user = await conn.fetchrow(SQL_USER, user_id)
    if user is None or not user["is_active"]:
        return None
    return user, await conn.fetch(SQL_MEMBERSHIPS, user_id)


# ------------------------------------------------------------------------------------------
# Operations
# ------------------------------------------------------------------------------------------


async def public_listings(request: Request) -> Response:
    now = datetime.now(UTC)
    query = request.query_params
    industry, q, cursor = query.get("industry"), query.get("q"), query.get("cursor")
    limit = int(query.get("limit", LIMIT_DEFAULT))
    pattern = None
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    arguments: list[Any] = [*PUBLIC]
    if industry:
        arguments.append(industry)
    if pattern:
        arguments.append(pattern)
    if cursor:
        try:
            arguments += decode_cursor(cursor)
        except (ValueError, TypeError):
            return problem(422, "VALIDATION_FAILED")
    arguments.append(limit + 1)
    async with connection(READ_TX) as conn:
        rows = await conn.fetch(CATALOGUE[bool(industry), bool(pattern), bool(cursor)], *arguments)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit and items and items[-1]["published_at"] is not None:
        next_cursor = encode_cursor(items[-1]["published_at"], items[-1]["id"])
    return answer({"items": [public_out(r, now) for r in items], "next_cursor": next_cursor})


async def public_listing(request: Request) -> Response:
    now = datetime.now(UTC)
    listing_id = uuid.UUID(request.path_params["listing_id"])
    async with connection(READ_TX) as conn:
        row = await conn.fetchrow(SQL_PUBLIC_ONE, listing_id, *PUBLIC)
    if row is None:
        return problem(404, "NOT_FOUND")
    return answer(public_out(row, now))


async def me(request: Request) -> Response:
    user_id = claims_of(request)
    if user_id is None:
        return problem(401, "UNAUTHENTICATED")
    async with connection(READ_TX) as conn:
        found = await principal(conn, user_id)  # the service's get_principal
        if found is None:
            return problem(401, "UNAUTHENTICATED")
        # The service's `me` reads the user and the memberships again: the same statements.
        found = await principal(conn, user_id)
    assert found is not None
    user, memberships = found
    roles = set(json.loads(user["roles"])) | ({"org_member"} if memberships else set())
    return answer(
        {
            "kind": "user",
            "user": {
                "id": str(user["id"]),
                "username": user["username"],
                "display_name": user["display_name"],
                "email": user["email"],
                "roles": json.loads(user["roles"]),
                "affiliation_org_id": str(user["affiliation_org_id"])
                if user["affiliation_org_id"]
                else None,
                "is_active": user["is_active"],
                "created_at": instant(user["created_at"]),
            },
            "service_client": None,
            "roles": sorted(roles),
            "memberships": [
                {
                    "organization_id": str(m["organization_id"]),
                    "organization_name": m["name"],
                    "role": m["role"],
                }
                for m in memberships
            ],
        }
    )


async def read_listing(request: Request) -> Response:
    now = datetime.now(UTC)
    user_id = claims_of(request)
    if user_id is None:
        return problem(401, "UNAUTHENTICATED")
    listing_id = uuid.UUID(request.path_params["listing_id"])
    async with connection(READ_TX) as conn:
        found = await principal(conn, user_id)
        if found is None:
            return problem(401, "UNAUTHENTICATED")
        row = await conn.fetchrow(SQL_LISTING, listing_id)
    _, memberships = found
    orgs = {m["organization_id"] for m in memberships}
    if row is None or row["proposer_org_id"] not in orgs:
        return problem(404, "NOT_FOUND")
    return answer(listing_out(row, now), headers={"ETag": f'"{row["version"]}"'})


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return json.loads(json.dumps(value, default=str))


def _hash(fields: dict[str, Any], prev_hash: str | None) -> str:
    """audit/chain.py `entry_hash`: canonical JSON of the hashed fields, then the previous hash."""
    body = {}
    for name in HASHED_FIELDS:
        value = fields.get(name)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        elif isinstance(value, uuid.UUID):
            value = str(value)
        body[name] = value
    if fields.get("changes") is not None:
        body["changes"] = fields["changes"]
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    digest.update((prev_hash or "").encode())
    return digest.hexdigest()


def _valid_text(value: Any, maximum: int) -> bool:
    return value is None or (
        isinstance(value, str) and 0 < len(value) <= maximum and "\x00" not in value
    )


async def create_listing(request: Request) -> Response:
    now = datetime.now(UTC)
    user_id = claims_of(request)
    if user_id is None:
        return problem(401, "UNAUTHENTICATED")
    try:
        body = json.loads(await request.body())
        kind = body["kind"]
        proposer = uuid.UUID(body["proposer_org_id"])
        months = body.get("time_requirement_months")
        investment = body.get("total_rd_investment")
        ok = (
            kind in ("tech_breakthrough", "achievement_transfer")
            and isinstance(body.get("title"), str)
            and all(_valid_text(body.get(f), 20_000) for f in TEXT_FIELDS)
            and (months is None or (type(months) is int and 1 <= months <= 120))
            and isinstance(body.get("key_technologies", []), list)
            and isinstance(body.get("ip_records", []), list)
            and not body.get("attachment_ids")
        )
        amount = Decimal(investment) if investment is not None else None
    except (ValueError, KeyError, TypeError, ArithmeticError):
        ok = False
    if not ok:
        return problem(422, "VALIDATION_FAILED")
    request_id = uuid.uuid4().hex
    listing_id = uuid.uuid4()
    year = now.astimezone(SHANGHAI).year
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        found = await principal(conn, user_id)
        if found is None:
            return problem(401, "UNAUTHENTICATED")
        if proposer not in {m["organization_id"] for m in found[1]}:
            return problem(403, "PERMISSION_DENIED")
        if await conn.fetchrow(SQL_ORGANIZATION, proposer) is None:
            return problem(422, "VALIDATION_FAILED")
        scope = f"JB-{CODE_LETTERS[kind]}"
        number = await conn.fetchval(SQL_NEXT_NUMBER, scope, year, now)
        key_technologies = [
            {"name": t["name"], "target_metrics": t["target_metrics"]}
            for t in body.get("key_technologies", [])
        ]
        row: dict[str, Any] = {
            "code": f"JB-{year}-{CODE_LETTERS[kind]}-{number:04d}",
            "kind": kind,
            "status": "draft",
            "proposer_org_id": proposer,
            **{f: body.get(f) for f in TEXT_FIELDS},
            "key_technologies": key_technologies,
            "time_requirement_months": months,
            "total_rd_investment": amount,
            "ip_records": body.get("ip_records", []),
            "attachment_ids": [],
            "confirmed_at": None,
            "confirmed_by": None,
            "application_opens_at": None,
            "application_closes_at": None,
            "published_at": None,
            "next_check_at": None,
            "eligibility_warnings": [],
            "id": listing_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        search = [row["title"] or "", row["background"] or ""]
        for tech in key_technologies:
            search += [str(tech.get("name", "")), str(tech.get("target_metrics", ""))]
        await conn.execute(
            SQL_INSERT_LISTING,
            row["code"],
            kind,
            "draft",
            proposer,
            row["title"],
            row["industry"],
            row["background"],
            _json(key_technologies),
            row["transfer_content"],
            row["transfer_form"],
            row["application_direction"],
            row["industrial_effect"],
            row["transfer_service"],
            months,
            amount,
            row["demand_requirements"],
            row["supply_requirements"],
            row["ip_ownership"],
            row["benefit_sharing"],
            _json(row["ip_records"]),
            "[]",
            None,
            None,
            None,
            None,
            None,
            None,
            "[]",
            "\n".join(p for p in search if p),
            listing_id,
            1,
            now,
            now,
        )
        # The audit entry: the chain's last link, then the new one (audit/service.py `record`).
        previous = await conn.fetchrow(SQL_LAST_AUDIT, "listing", str(listing_id))
        changes = {
            k: {"old": None, "new": _to_json(v)}
            for k, v in row.items()
            if k not in AUDIT_IGNORED and v is not None and k != "eligibility_warnings"
        }
        fields: dict[str, Any] = {
            "id": uuid.uuid4(),
            "resource_type": "listing",
            "resource_id": str(listing_id),
            "resource_seq": previous["resource_seq"] + 1 if previous else 1,
            "action": "listing.create",
            "actor_type": "user",
            "actor_id": str(user_id),
            "from_state": None,
            "to_state": "draft",
            "reason": None,
            "request_id": request_id,
            "data": {"code": row["code"]},
            "occurred_at": now,
            "changes": changes,
        }
        prev_hash = previous["hash"] if previous else None
        await conn.execute(
            SQL_INSERT_AUDIT,
            fields["id"],
            "listing",
            fields["resource_id"],
            fields["resource_seq"],
            fields["action"],
            "user",
            fields["actor_id"],
            None,
            "draft",
            None,
            request_id,
            _json(fields["data"]),
            _json(changes),
            now,
            prev_hash,
            _hash(fields, prev_hash),
        )
        # The outbox row; its sequence comes from the database (outbox/service.py `add`).
        payload = {
            "occurred_at": now.isoformat(),
            "listing_id": str(listing_id),
            "code": row["code"],
            "kind": kind,
            "status": "draft",
            "from_status": None,
        }
        await conn.fetchval(
            SQL_INSERT_EVENT,
            uuid.uuid4(),
            "listing.created",
            "listing",
            str(listing_id),
            _json(payload),
            now,
            request_id,
        )
    out = {
        **row,
        "key_technologies": _json(key_technologies),
        "ip_records": _json(row["ip_records"]),
        "attachment_ids": "[]",
        "eligibility_warnings": "[]",
    }
    return answer(
        listing_out(out, now),
        201,
        {"Location": f"/api/v1/listings/{listing_id}", "ETag": '"1"'},
    )


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global pool
    # As many connections as the service's pool at most (pool size and as many overflow); idle
    # ones are closed after 10 s, so that several servers fit in max_connections (the
    # warm-up before each measured run opens them again).
    pool = await asyncpg.create_pool(
        DSN, min_size=1, max_size=2 * POOL_SIZE, max_inactive_connection_lifetime=10
    )
    try:
        yield
    finally:
        await pool.close()


def _route(path: str, endpoint: Callable[[Request], Any], method: str) -> Route:
    return Route(path, endpoint, methods=[method])


app = Starlette(
    routes=[
        _route("/api/v1/public/listings", public_listings, "GET"),
        _route("/api/v1/public/listings/{listing_id}", public_listing, "GET"),
        _route("/api/v1/me", me, "GET"),
        _route("/api/v1/listings/{listing_id}", read_listing, "GET"),
        _route("/api/v1/listings", create_listing, "POST"),
    ],
    lifespan=lifespan,
)
