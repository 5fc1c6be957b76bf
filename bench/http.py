"""Benchmark over HTTP: the service against a raw ceiling and a plain FastAPI reference.

Builds a throwaway PostgreSQL database `jiebang_bench_<random>` with the catalogue of
bench/public_listings.py (100,000 listings by default, same distribution) plus a proposer
organisation whose manager owns one published listing, and mints that manager a token with
the service's own `TokenCodec`. Then starts three servers on loopback, each with one uvicorn
worker (--workers N for N) and the server settings of `jiebang-api serve` (bench/serve_app.py):

  service    jiebang_api.asgi:app, JIEBANG_ENV=prod, log level WARNING, limits opened up
  ceiling    bench/ceiling_app.py: raw Starlette + asyncpg, the service's SQL, same JSON
  reference  bench/reference_app.py: plain FastAPI + SQLAlchemy ORM + pydantic response_model

checks that each case answers the same JSON from all three (and, at the end, that every
audit chain verifies), and drives each case with wrk, interleaved (service, ceiling,
reference, then again), a warm-up before every measured run. Prints per case the medians of
requests/s, p50 and p99, the ratios to the ceiling, each server's peak resident memory, and
the CPU (in cores) of the server, of PostgreSQL, of wrk and of everything else on the machine
(other people's work: noise; --wait-quiet waits for a quiet machine first). Servers and the
database are removed on exit, Ctrl-C and SIGTERM included.

Cases (--cases): catalogue_p1, catalogue_p500, catalogue_all, public_one, me, listing_read,
listing_create. --variants adds servers to the same interleaved rounds for A/B in one run:
service_uvloop, ceiling_uvloop, reference_uvloop (uvloop + httptools), ceiling_tx (reads in
BEGIN/COMMIT as the service does), service_info_log (JIEBANG_LOG_LEVEL=INFO). With
--profile-dir, py-spy records the service under the --profile-cases loads afterwards
(summarise with bench/profile_summary.py); --rounds 0 only profiles.

    .venv/bin/python bench/http.py [--rows 100000] [--duration 10] [--warmup 3]
        [--connections 64] [--threads 2] [--rounds 2] [--cases catalogue_p1,me,...] [--workers N]
        [--loop auto|asyncio|uvloop] [--http h11|httptools] [--variants service_uvloop,...]
        [--ceiling-tx] [--service-env JIEBANG_X=V] [--wait-quiet 300] [--profile-dir DIR]

The default run takes about 10 minutes (7 cases x 3 servers x 2 rounds x 13 s, and the load);
a run estimated over 20 minutes is refused. Needs wrk (apt-get install wrk), and py-spy
(pip install 'py-spy>=0.4,<0.5') for --profile-dir.
Smoke run: `.venv/bin/python bench/http.py --rows 1000 --duration 2 --warmup 1 --rounds 1`.
"""

from __future__ import annotations

import os
import sys

# This module is named `http`: keep its folder from shadowing the standard library's `http`
# (the folder stays importable, last, for public_listings).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE] + [_HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import public_listings  # noqa: E402  (bench/public_listings.py: the catalogue loader)
from sqlalchemy.engine import make_url  # noqa: E402

from jiebang_api.auth.tokens import SubjectKind, TokenCodec  # noqa: E402
from jiebang_api.kit.db import make_engine, make_sessionmaker  # noqa: E402
from jiebang_api.kit.migrations import upgrade  # noqa: E402
from jiebang_api.models import Listing, Membership, Organization, User  # noqa: E402
from jiebang_api.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "migrations"
SERVE_APP = Path(__file__).resolve().parent / "serve_app.py"
APPS = ("service", "ceiling", "reference")


@dataclass(frozen=True)
class AppSpec:
    """One server: which app, and what differs from the run's settings."""

    name: str
    app: str  # service, ceiling or reference
    loop: str | None = None  # None: the run's --loop
    http: str | None = None  # None: the run's --http
    env: tuple[tuple[str, str], ...] = ()
    ceiling_tx: bool | None = None  # None: the run's --ceiling-tx


# Extra servers measured in the same interleaved rounds (--variants), for A/B in one run.
VARIANTS = {
    "service_uvloop": AppSpec("service_uvloop", "service", loop="uvloop", http="httptools"),
    "ceiling_uvloop": AppSpec("ceiling_uvloop", "ceiling", loop="uvloop", http="httptools"),
    "reference_uvloop": AppSpec("reference_uvloop", "reference", loop="uvloop", http="httptools"),
    "ceiling_tx": AppSpec("ceiling_tx", "ceiling", ceiling_tx=True),
    "service_info_log": AppSpec(
        "service_info_log", "service", env=(("JIEBANG_LOG_LEVEL", "INFO"),)
    ),
}
INDUSTRY, KEYWORD, DEEP_PAGE = "新材料", "稀土", 500
FILTER = "industry=" + urllib.parse.quote(INDUSTRY) + "&q=" + urllib.parse.quote(KEYWORD)
POOL_SIZE = 10  # the service's default JIEBANG_DATABASE_POOL_SIZE (and as many overflow)
CREATE_BODY = {
    "kind": "tech_breakthrough",
    "proposer_org_id": None,  # the bench proposer's
    "title": "稀土永磁材料高矫顽力制备关键技术",
    "industry": "新材料",
    "background": "企业现有产品矫顽力不足，制约高端电机应用。",
    "key_technologies": [{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
    "time_requirement_months": 24,
    "total_rd_investment": "15000000.00",
    "demand_requirements": "提供中试线与测试条件。",
    "supply_requirements": "具备稀土永磁研发团队。",
    "ip_ownership": "新产生知识产权归双方共有。",
    "benefit_sharing": "按投入比例分享收益。",
    "ip_records": [],
    "attachment_ids": [],
}
# Fields of a created listing that differ from one create to the next.
VOLATILE = {"id", "code", "created_at", "updated_at"}


@dataclass
class Dataset:
    database: str
    url: str  # SQLAlchemy URL (postgresql+asyncpg://)
    dsn: str  # libpq DSN (postgresql://)
    secret: str
    token: str
    org_id: uuid.UUID
    user_id: uuid.UUID
    listing_id: uuid.UUID  # the proposer's published listing
    matching: int


@dataclass
class Case:
    name: str
    title: str
    method: str
    path: str
    auth: bool = False
    body: dict[str, Any] | None = None


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non2xx: int
    socket_errors: int
    rss_mib: float | None = None
    server_cpu: float = 0.0  # the server process's CPU, in cores (1.0 = one core busy)
    postgres_cpu: float = 0.0  # every postgres process's, in cores
    machine_cpu: float = 0.0  # the whole machine's, in cores
    wrk_cpu: float = 0.0  # wrk's, in cores

    @property
    def other_cpu(self) -> float:
        """What else ran on the machine meanwhile (other people's work: noise)."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.postgres_cpu - self.wrk_cpu)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class State:
    """What cleanup must remove."""

    admin_dsn: str
    database: str | None = None
    servers: list[Server] = field(default_factory=list)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workdir: Path | None = None


# ------------------------------------------------------------------------------------------
# The data set
# ------------------------------------------------------------------------------------------


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def service_settings(url: str, secret: str, storage: Path) -> dict[str, str]:
    """The service's environment: production, quiet logs, limits opened up, a day-long token."""
    return {
        "JIEBANG_ENV": "prod",
        "JIEBANG_DATABASE_URL": url,
        "JIEBANG_JWT_SECRET": secret,
        "JIEBANG_ACCESS_TOKEN_TTL_SECONDS": "86400",
        "JIEBANG_LOG_LEVEL": "WARNING",
        "JIEBANG_LOGIN_FAILURE_LIMIT": "1000000/second",
        "JIEBANG_LOGIN_ADDRESS_LIMIT": "1000000/second",
        "JIEBANG_REGISTRATION_LIMIT": "1000000/second",
        "JIEBANG_STORAGE_DIR": str(storage),
    }


async def build_dataset(state: State, admin_url: str, rows: int, storage: Path) -> Dataset:
    name = f"jiebang_bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(state.admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        state.database = name
    finally:
        await admin.close()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    await public_listings._fill(_dsn(url), rows)

    # The proposer: an organisation, its manager, and one published listing of theirs, older
    # than every catalogue row (page 1 of the catalogue is unchanged by it).
    now = datetime.now(UTC)
    org_id, user_id, listing_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = make_engine(url, null_pool=True)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(
                Organization(
                    id=org_id,
                    name="内蒙古稀土新材料基准有限公司",
                    uscc="91150100MA0BENCH01",
                    region_code="150100",
                    in_region=True,
                    type="enterprise",
                    independent_legal_person=True,
                    high_tech=True,
                    tech_based=True,
                )
            )
            await session.flush()
            session.add(
                User(
                    id=user_id,
                    username="bench_manager",
                    password_hash="not-a-hash: this account never signs in",
                    display_name="基准测试经理",
                    email="bench@example.org",
                    roles=[],
                    is_active=True,
                )
            )
            await session.flush()
            session.add(
                Membership(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    organization_id=org_id,
                    role="manager",
                    status="accepted",
                )
            )
            opens = now - timedelta(days=400)
            session.add(
                Listing(
                    id=listing_id,
                    code="JB-BENCH-TB-0001",
                    kind="tech_breakthrough",
                    status="published",
                    proposer_org_id=org_id,
                    title="稀土永磁材料高矫顽力制备关键技术",
                    industry=INDUSTRY,
                    background="企业现有产品矫顽力不足，制约高端电机应用。",
                    key_technologies=[{"name": "晶界扩散", "target_metrics": "矫顽力≥25 kOe"}],
                    time_requirement_months=24,
                    total_rd_investment=Decimal("15000000.00"),
                    demand_requirements="提供中试线与测试条件。",
                    supply_requirements="具备稀土永磁研发团队。",
                    ip_ownership="新产生知识产权归双方共有。",
                    benefit_sharing="按投入比例分享收益。",
                    ip_records=[],
                    attachment_ids=[],
                    eligibility_warnings=[],
                    confirmed_at=opens - timedelta(days=2),
                    confirmed_by=user_id,
                    application_opens_at=opens,
                    application_closes_at=now + timedelta(days=365),
                    published_at=opens - timedelta(days=1),
                    search_text="稀土永磁材料高矫顽力制备关键技术\n企业现有产品矫顽力不足。",
                )
            )
            await session.commit()
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(_dsn(url))
    try:
        # Settle the table now, so autovacuum does not wake up in the middle of a measurement.
        await connection.execute("VACUUM ANALYZE")
        matching = await connection.fetchval(
            "SELECT count(*) FROM listing WHERE industry = $1 AND search_text ILIKE $2",
            INDUSTRY,
            f"%{KEYWORD}%",
        )
    finally:
        await connection.close()
    print(f"database {name}: {rows} listings loaded in {time.perf_counter() - started:.1f} s")

    secret = secrets.token_urlsafe(48)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{
            k.removeprefix("JIEBANG_").lower(): v
            for k, v in service_settings(url, secret, storage).items()
        },
    )
    token, _ = TokenCodec(settings).issue(user_id, SubjectKind.USER, datetime.now(UTC))
    return Dataset(name, url, _dsn(url), secret, token, org_id, user_id, listing_id, matching)


# ------------------------------------------------------------------------------------------
# Servers
# ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_servers(
    state: State,
    data: Dataset,
    specs: list[AppSpec],
    loop: str,
    http: str,
    ceiling_tx: bool,
    service_env: dict[str, str] | None = None,
    workers: int = 1,
) -> dict[str, Server]:
    assert state.workdir is not None
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("JIEBANG_", "BENCH_"))}
    servers: dict[str, Server] = {}
    for spec in specs:
        name = spec.name
        env = dict(base_env)
        if spec.app == "service":
            env.update(service_settings(data.url, data.secret, state.workdir / "files"))
            env.update(service_env or {})
        else:
            tx = ceiling_tx if spec.ceiling_tx is None else spec.ceiling_tx
            env.update(
                BENCH_DSN=data.dsn,
                BENCH_URL=data.url,
                BENCH_POOL_SIZE=str(POOL_SIZE),
                BENCH_JWT_SECRET=data.secret,
                BENCH_CEILING_TX="1" if tx else "",
            )
        env.update(dict(spec.env))
        port = _free_port()
        log = state.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(SERVE_APP),
                    spec.app,
                    "--port",
                    str(port),
                    "--loop",
                    spec.loop or loop,
                    "--http",
                    spec.http or http,
                    "--workers",
                    str(workers),
                ],
                cwd=state.workdir,  # no stray .env is read
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop them
            )
        server = Server(name, port, process, log)
        state.servers.append(server)
        servers[name] = server
    probe = f"/api/v1/public/listings/{data.listing_id}"
    for server in servers.values():
        deadline = time.monotonic() + 60
        while True:
            if server.process.poll() is not None:
                raise SystemExit(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
            try:
                if (
                    httpx.get(f"http://127.0.0.1:{server.port}{probe}", timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"{server.name} did not come up:\n{server.log.read_text()[-3000:]}"
                )
            time.sleep(0.2)
    return servers


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server with --workers N: the manager and its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a server: the process and its workers."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += cpu_seconds(member)
        except (OSError, IndexError):
            continue
    return total


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a server: the process and its workers."""
    total = 0.0
    for member in process_tree(pid):
        try:
            total += rss_mib(member)
        except (OSError, RuntimeError):
            continue
    return total


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of each postgres process, by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def postgres_cpu_since(before: dict[int, float]) -> float:
    """CPU that postgres processes used since `before` (those that ended meanwhile aside)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())


def machine_cpu_seconds() -> float:
    """Busy CPU of the whole machine (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


def children_cpu_seconds() -> float:
    """CPU of the children this process has waited for (wrk, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for_quiet(limit: float, seconds: float) -> None:
    """Wait (at most `seconds`) until the machine is nearly idle: under `limit` cores busy."""
    deadline = time.monotonic() + seconds
    while True:
        before = machine_cpu_seconds()
        time.sleep(3)
        busy = (machine_cpu_seconds() - before) / 3
        if busy < limit:
            print(f"machine quiet: {busy:.2f} cores busy")
            return
        if time.monotonic() > deadline:
            print(f"machine still busy ({busy:.2f} cores by others): measuring anyway")
            return


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# ------------------------------------------------------------------------------------------
# Cases and their equality across apps
# ------------------------------------------------------------------------------------------


def deep_cursor(service: Server, pages: int) -> tuple[str | None, int]:
    """The cursor of page `pages` of the filtered catalogue (next_cursor followed pages-1
    times), or of the last page when there are fewer."""
    cursor: str | None = None
    page = 1
    with httpx.Client(base_url=f"http://127.0.0.1:{service.port}", timeout=10) as client:
        while page < pages:
            query = FILTER + (f"&cursor={cursor}" if cursor else "")
            answer = client.get(f"/api/v1/public/listings?{query}")
            answer.raise_for_status()
            following = answer.json()["next_cursor"]
            if following is None:
                break
            cursor, page = following, page + 1
    return cursor, page


def make_cases(data: Dataset, cursor: str | None, page: int) -> dict[str, Case]:
    body = {**CREATE_BODY, "proposer_org_id": str(data.org_id)}
    deep = f"/api/v1/public/listings?{FILTER}" + (f"&cursor={cursor}" if cursor else "")
    cases = [
        Case(
            "catalogue_p1",
            f"GET catalogue {INDUSTRY}+{KEYWORD}, page 1",
            "GET",
            f"/api/v1/public/listings?{FILTER}",
        ),
        Case("catalogue_p500", f"GET catalogue {INDUSTRY}+{KEYWORD}, page {page}", "GET", deep),
        Case("catalogue_all", "GET catalogue, no filter, page 1", "GET", "/api/v1/public/listings"),
        Case(
            "public_one",
            "GET one public listing",
            "GET",
            f"/api/v1/public/listings/{data.listing_id}",
        ),
        Case("me", "GET /me (bearer)", "GET", "/api/v1/me", auth=True),
        Case(
            "listing_read",
            "GET a listing as its proposer (bearer)",
            "GET",
            f"/api/v1/listings/{data.listing_id}",
            auth=True,
        ),
        Case(
            "listing_create",
            "POST a tech_breakthrough draft (bearer)",
            "POST",
            "/api/v1/listings",
            auth=True,
            body=body,
        ),
    ]
    return {c.name: c for c in cases}


def _headers(case: Case, data: Dataset) -> dict[str, str]:
    headers = {}
    if case.auth:
        headers["Authorization"] = f"Bearer {data.token}"
    if case.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<varies>" if k in VOLATILE else _normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _first_difference(a: Any, b: Any, where: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{where}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}: only in {'first' if key in a else 'second'}"
            found = _first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def check_same_answers(
    cases: dict[str, Case], servers: dict[str, Server], data: Dataset
) -> dict[str, str]:
    """One response of each case from each app: the status and the JSON (volatile fields of
    a created listing aside) must be the service's. Returns per case what was found."""
    verdicts: dict[str, str] = {}
    for case in cases.values():
        answers: dict[str, tuple[int, Any, int]] = {}
        for name, server in servers.items():
            response = httpx.request(
                case.method,
                f"http://127.0.0.1:{server.port}{case.path}",
                headers=_headers(case, data),
                content=json.dumps(case.body, ensure_ascii=False).encode() if case.body else None,
                timeout=10,
            )
            answers[name] = (
                response.status_code,
                _normalise(response.json()),
                len(response.content),
            )
        status, reference_json, size = answers["service"]
        if status >= 300:
            raise SystemExit(f"{case.name}: the service answered {status}: {reference_json}")
        notes = []
        for name in ("ceiling", "reference"):
            other_status, other_json, other_size = answers[name]
            difference = _first_difference(reference_json, other_json)
            if other_status != status or difference:
                raise SystemExit(
                    f"{case.name}: {name} differs from the service: status {other_status} vs "
                    f"{status}; {difference}"
                )
            notes.append(f"{name} {other_size} B")
        verdicts[case.name] = f"same JSON from all three (service {size} B, {', '.join(notes)})"
    return verdicts


# ------------------------------------------------------------------------------------------
# wrk
# ------------------------------------------------------------------------------------------

LUA_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d," ..
    "\"status\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"timeout\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def lua_script(case: Case, data: Dataset, directory: Path) -> Path:
    lines = [f'wrk.method = "{case.method}"']
    for name, value in _headers(case, data).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if case.body is not None:
        body = json.dumps(case.body, ensure_ascii=False)
        lines.append(f"wrk.body = [==[{body}]==]")
    path = directory / f"{case.name}.lua"
    path.write_text("\n".join(lines) + "\n" + LUA_DONE, encoding="utf-8")
    return path


def wrk(
    state: State,
    server: Server,
    case: Case,
    script: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
) -> Run:
    """One wrk run; the server's peak resident memory is sampled meanwhile."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}{case.path}",
    ]
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            try:
                peak[0] = max(peak[0], tree_rss_mib(server.process.pid))
            except (OSError, RuntimeError):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = (
        time.monotonic(),
        tree_cpu_seconds(server.process.pid),
        postgres_cpu(),
        machine_cpu_seconds(),
        children_cpu_seconds(),
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    state.children.append(process)
    try:
        output, _ = process.communicate(timeout=seconds + 30)
    finally:
        stop.set()
        sampler.join()
        if process.poll() is None:  # interrupted: wrk stops with us
            process.terminate()
            process.wait(timeout=10)
        state.children.remove(process)
    wall = time.monotonic() - began[0]
    server_cpu = (tree_cpu_seconds(server.process.pid) - began[1]) / wall
    database_cpu = postgres_cpu_since(began[2]) / wall
    machine_cpu = (machine_cpu_seconds() - began[3]) / wall
    wrk_cpu = (children_cpu_seconds() - began[4]) / wall
    text = output.decode(errors="replace")
    found = re.search(r"^BENCH (\{.*\})$", text, re.MULTILINE)
    if process.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({process.returncode}):\n{text}")
    numbers = json.loads(found.group(1))
    sockets = sum(numbers[k] for k in ("connect", "read", "write", "timeout"))
    return Run(
        rps=numbers["requests"] / (numbers["duration_us"] / 1e6),
        p50_ms=numbers["p50_us"] / 1000,
        p99_ms=numbers["p99_us"] / 1000,
        requests=numbers["requests"],
        non2xx=numbers["status"],
        socket_errors=sockets,
        rss_mib=peak[0] or None,
        server_cpu=server_cpu,
        postgres_cpu=database_cpu,
        machine_cpu=machine_cpu,
        wrk_cpu=wrk_cpu,
    )


def py_spy(
    state: State, server: Server, seconds: float, output: Path, rate: int
) -> subprocess.Popen[bytes]:
    """py-spy recording the server: every thread (the thread pool's included), only samples
    that hold the GIL (time spent running Python, not waiting for the CPU, the GIL or I/O)."""
    executable = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    process = subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(server.process.pid),
            "--duration",
            str(round(seconds)),
            "--rate",
            str(rate),
            "--format",
            "speedscope",
            "--output",
            str(output),
            "--nonblocking",
            "--gil",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    state.children.append(process)
    return process


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def median_run(runs: list[Run]) -> Run:
    return Run(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        requests=sum(r.requests for r in runs),
        non2xx=sum(r.non2xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        rss_mib=max((r.rss_mib for r in runs if r.rss_mib), default=None),
        server_cpu=statistics.median(r.server_cpu for r in runs),
        postgres_cpu=statistics.median(r.postgres_cpu for r in runs),
        machine_cpu=statistics.median(r.machine_cpu for r in runs),
        wrk_cpu=statistics.median(r.wrk_cpu for r in runs),
    )


async def check_connections(admin_dsn: str, specs: list[AppSpec], workers: int = 1) -> None:
    """Refuse to start servers whose pools could exhaust PostgreSQL's max_connections (other
    people's databases share it): a SQLAlchemy pool keeps POOL_SIZE idle connections, the
    ceiling's closes its idle ones, and the app under load may open 2 * POOL_SIZE."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        limit = int(await admin.fetchval("SHOW max_connections"))
        used = int(await admin.fetchval("SELECT count(*) FROM pg_stat_activity"))
    finally:
        await admin.close()
    idle = workers * sum(1 if s.app == "ceiling" else POOL_SIZE for s in specs)
    needed = idle + workers * 2 * POOL_SIZE
    if used + needed > limit - 10:
        raise SystemExit(
            f"{len(specs)} servers may hold {needed} connections; {used} of max_connections="
            f"{limit} are in use: use fewer --variants"
        )


async def verify_audit(url: str) -> str:
    """Every audit chain checks out: the ceiling and the reference write links the service's
    verifier accepts."""
    from jiebang_api.audit import service as audit

    engine = make_engine(url, null_pool=True)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await audit.verify(session)
    finally:
        await engine.dispose()
    if report.broken is not None:
        raise SystemExit(f"audit chain broken: {report.broken}")
    return f"{report.entries} entries in {report.chains} chains verified"


def print_table(case: Case, results: dict[str, list[Run]]) -> None:
    medians = {name: median_run(runs) for name, runs in results.items()}
    print(f"\n{case.name}: {case.title}")
    print(f"  {case.method} {case.path[:110]}")
    print(
        f"  {'app':<16} {'rps':>7} {'p50 ms':>8} {'p99 ms':>8} {'rps per round':>16} "
        f"{'errors':>6} {'peak RSS':>9} {'CPU app/pg/wrk/other':>21}"
    )
    for name in results:
        m = medians[name]
        rounds = "/".join(f"{r.rps:.0f}" for r in results[name])
        rss = f"{m.rss_mib:.0f} MiB" if m.rss_mib else "-"
        cpu = f"{m.server_cpu:.2f}/{m.postgres_cpu:.2f}/{m.wrk_cpu:.2f}/{m.other_cpu:.2f}"
        print(
            f"  {name:<16} {m.rps:>7.0f} {m.p50_ms:>8.2f} {m.p99_ms:>8.2f} {rounds:>16} "
            f"{m.non2xx + m.socket_errors:>6} {rss:>9} {cpu:>21}"
        )
    ceiling = medians["ceiling"]
    print(
        f"  service/ceiling rps {medians['service'].rps / ceiling.rps:.2f}, "
        f"reference/ceiling rps {medians['reference'].rps / ceiling.rps:.2f}, "
        f"service p99 / ceiling p99 {medians['service'].p99_ms / ceiling.p99_ms:.1f}"
    )
    for name in sorted(medians.keys() - set(APPS)):
        base = medians[VARIANTS[name].app]
        print(
            f"  {name}/{VARIANTS[name].app}: rps {medians[name].rps / base.rps:.2f}, "
            f"p99 {medians[name].p99_ms / base.p99_ms:.2f}"
        )


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def cleanup(state: State) -> None:
    for process in list(state.children):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
    for server in state.servers:
        stop_process(server.process)
    if state.database:

        async def drop() -> None:
            admin = await asyncpg.connect(state.admin_dsn)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{state.database}" WITH (FORCE)')
            finally:
                await admin.close()

        asyncio.run(drop())
        print(f"database {state.database} dropped")
    if state.workdir:
        for _ in range(3):  # a server's last write may race the first attempt
            shutil.rmtree(state.workdir, ignore_errors=True)
            if not state.workdir.exists():
                break
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="catalogue listings")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up before each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds per case (0: only profile)"
    )
    parser.add_argument("--cases", default="all", help="comma-separated names, or all")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 9),
        metavar="N",
        help="uvicorn worker processes of every server (serve --workers N)",
    )
    parser.add_argument(
        "--loop",
        default="auto",
        choices=["auto", "asyncio", "uvloop"],
        help="the event loop of all three servers; auto (uvloop when installed) is serve's",
    )
    parser.add_argument("--http", default="h11", choices=["h11", "httptools"])
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be nearly idle",
    )
    parser.add_argument(
        "--variants",
        default="",
        help=f"extra servers in the same rounds, comma-separated: {', '.join(VARIANTS)}",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="JIEBANG_X=VALUE",
        help="a setting of the service to change (e.g. JIEBANG_LOG_LEVEL=INFO); repeatable",
    )
    parser.add_argument(
        "--ceiling-tx",
        action="store_true",
        help="the ceiling wraps reads in BEGIN/COMMIT as the service does (default: it does not)",
    )
    parser.add_argument("--profile-dir", type=Path, help="py-spy speedscope files go here")
    parser.add_argument("--profile-cases", default="catalogue_p1,me")
    parser.add_argument("--profile-seconds", type=float, default=12.0)
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s")
    parser.add_argument(
        "--profile-app",
        default="service",
        choices=["service", "ceiling", "reference"],
        help="the server py-spy records",
    )
    parser.add_argument(
        "--admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    if args.duration > 15 or args.profile_seconds > 15:
        parser.error("each wrk run is at most 15 s")
    unknown_variants = {v for v in args.variants.split(",") if v} - set(VARIANTS)
    if unknown_variants:
        parser.error(f"unknown variants {sorted(unknown_variants)}")
    case_count = 7 if args.cases == "all" else len(args.cases.split(","))
    servers_count = len(APPS) + len([v for v in args.variants.split(",") if v])
    estimate = case_count * servers_count * args.rounds * (max(1, args.duration) + args.warmup)
    estimate += 90 + (2 * args.profile_seconds if args.profile_dir else 0) + args.wait_quiet
    if estimate > 20 * 60:
        parser.error(f"the run would take about {estimate / 60:.0f} minutes: at most 20")
    if not shutil.which("wrk"):
        parser.error("wrk is missing: apt-get install wrk")

    state = State(
        admin_dsn=_dsn(args.admin_url), workdir=Path(tempfile.mkdtemp(prefix="jiebang-bench-"))
    )

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started with SIGINT ignored
    started = time.monotonic()
    try:
        if args.wait_quiet:
            wait_for_quiet(0.3, args.wait_quiet)
        data = asyncio.run(build_dataset(state, args.admin_url, args.rows, state.workdir / "files"))
        print(
            f"{data.matching} listings match industry={INDUSTRY} and q={KEYWORD} "
            "(the proposer's included)"
        )
        extra_env = dict(item.split("=", 1) for item in args.service_env)
        specs = [AppSpec(name, name) for name in APPS]
        specs += [VARIANTS[v] for v in args.variants.split(",") if v]
        asyncio.run(check_connections(state.admin_dsn, specs, args.workers))
        servers = start_servers(
            state, data, specs, args.loop, args.http, args.ceiling_tx, extra_env, args.workers
        )
        if extra_env:
            print(f"service settings changed: {extra_env}")
        print(
            "servers: "
            + ", ".join(f"{s.name} :{s.port} pid {s.process.pid}" for s in servers.values())
            + f" ({args.workers} uvicorn worker(s) each, loop={args.loop}, http={args.http}; "
            + f"ceiling reads {'in' if args.ceiling_tx else 'without'} BEGIN/COMMIT)"
        )
        cursor, page = deep_cursor(servers["service"], DEEP_PAGE)
        if page < DEEP_PAGE:
            print(f"only {page} pages match: the deep-page case reads page {page}")
        cases = make_cases(data, cursor, page)
        chosen = list(cases) if args.cases == "all" else args.cases.split(",")
        unknown = set(chosen) - set(cases)
        if unknown:
            raise SystemExit(f"unknown cases {sorted(unknown)}; known: {', '.join(cases)}")
        for name, verdict in check_same_answers(
            {n: cases[n] for n in chosen}, servers, data
        ).items():
            print(f"  {name}: {verdict}")
        scripts = state.workdir / "lua"
        scripts.mkdir()
        idle = {s.name: tree_rss_mib(s.process.pid) for s in servers.values()}
        print("idle RSS: " + ", ".join(f"{n} {v:.0f} MiB" for n, v in idle.items()))
        print(
            f"wrk: {args.connections} connections, {args.threads} threads, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s measured per run, "
            f"{args.rounds} interleaved rounds; medians shown; "
            "CPU in cores: the app's process / all postgres processes / wrk / everything else on "
            "the machine (others' work: noise)"
        )
        for name in chosen if args.rounds > 0 else []:
            case = cases[name]
            script = lua_script(case, data, scripts)
            results: dict[str, list[Run]] = {app: [] for app in servers}
            for _ in range(args.rounds):
                for app in servers:
                    if args.warmup > 0:
                        wrk(
                            state,
                            servers[app],
                            case,
                            script,
                            seconds=args.warmup,
                            connections=args.connections,
                            threads=args.threads,
                        )
                    results[app].append(
                        wrk(
                            state,
                            servers[app],
                            case,
                            script,
                            seconds=args.duration,
                            connections=args.connections,
                            threads=args.threads,
                        )
                    )
            print_table(case, results)
        verified = asyncio.run(verify_audit(data.url))
        print(f"\naudit chains (service, ceiling and reference writes): {verified}")
        print(
            f"service RSS: idle {idle['service']:.0f} MiB, "
            f"after the runs {tree_rss_mib(servers['service'].process.pid):.0f} MiB"
        )
        if args.profile_dir:
            args.profile_dir.mkdir(parents=True, exist_ok=True)
            for name in args.profile_cases.split(","):
                case = cases[name]
                script = lua_script(case, data, scripts)
                output = args.profile_dir / f"{name}.{args.profile_app}.speedscope.json"
                profiled = servers[args.profile_app]
                spy = py_spy(state, profiled, args.profile_seconds, output, args.profile_rate)
                run = wrk(
                    state,
                    profiled,
                    case,
                    script,
                    seconds=args.profile_seconds,
                    connections=args.connections,
                    threads=args.threads,
                )
                spy_output, _ = spy.communicate(timeout=60)
                state.children.remove(spy)
                print(f"profiled {name}: {run.rps:.0f} rps under py-spy -> {output}")
                if spy.returncode != 0:
                    print(spy_output.decode(errors="replace")[-2000:])
        print(
            "server logs: "
            + ", ".join(f"{s.name} {s.log.stat().st_size / 1024:.0f} KiB" for s in servers.values())
        )
        print(f"\ntotal {time.monotonic() - started:.0f} s")
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not stop cleanup
        cleanup(state)


if __name__ == "__main__":
    main()
