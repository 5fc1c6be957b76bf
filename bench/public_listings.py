"""Benchmark: the public catalogue with a filter and a keyword, page 1 versus page 500.

Builds a fresh PostgreSQL database with 100,000 listings (dropped at the end), then times the
catalogue query through the service layer: page 1, and page 500 reached by following
`next_cursor` (keyset pagination should make both cost about the same).

    .venv/bin/python bench/public_listings.py [--rows 100000] [--admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from jiebang_api.kit.db import make_engine, make_sessionmaker
from jiebang_api.kit.migrations import upgrade
from jiebang_api.listings import service as listings_service

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
INDUSTRIES = ["新材料", "现代煤化工", "新能源", "生物医药", "稀土功能材料", "现代农牧业"]
WORDS = ["稀土", "永磁", "氢能", "煤制烯烃", "光伏", "储能", "乳业", "草种", "疫苗", "石墨烯"]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fill(dsn: str, rows: int) -> None:
    rng = random.Random(20261128)
    now = datetime.now(UTC)
    records = []
    for n in range(rows):
        # About 60% 新材料 and half of all titles about 稀土: ~30,000 rows match the filter.
        words = ["稀土" if rng.random() < 0.5 else rng.choice(WORDS[1:]), rng.choice(WORDS[1:])]
        title = f"{words[0]}{words[1]}关键技术攻关{n}"
        background = f"围绕{words[1]}产业链开展研发，第{n}号需求。"
        opens = now - timedelta(days=rng.randint(1, 300))
        records.append(
            (
                uuid.uuid4(),
                f"JB-B-{n:07d}",
                "tech_breakthrough",
                "published",
                title,
                "新材料" if rng.random() < 0.6 else rng.choice(INDUSTRIES[1:]),
                background,
                "[]",
                "[]",
                "[]",
                "[]",
                opens,
                opens + timedelta(days=rng.randint(30, 400)),
                opens,
                f"{title}\n{background}",
                1,
                now,
                now,
            )
        )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "ALTER TABLE listing DROP CONSTRAINT ck_listing_proposer_unless_emergency"
        )
        await connection.copy_records_to_table(
            "listing",
            records=records,
            columns=[
                "id",
                "code",
                "kind",
                "status",
                "title",
                "industry",
                "background",
                "key_technologies",
                "ip_records",
                "attachment_ids",
                "eligibility_warnings",
                "application_opens_at",
                "application_closes_at",
                "published_at",
                "search_text",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        await connection.execute("ANALYZE listing")
        matching = await connection.fetchval(
            "SELECT count(*) FROM listing WHERE industry = '新材料' AND search_text ILIKE '%稀土%'"
        )
        print(f"{matching} listings match industry=新材料 and q=稀土")
    finally:
        await connection.close()


async def _time_pages(url: str, industry: str, keyword: str, target: int) -> dict[int, list[float]]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    timings: dict[int, list[float]] = {1: [], target: []}
    now = datetime.now(UTC)
    try:
        async with sessions() as session:
            cursor = None
            cursors: dict[int, str | None] = {}
            for page in range(1, target + 1):
                cursors[page] = cursor
                result = await listings_service.public_catalogue(
                    session,
                    now=now,
                    kind=None,
                    status=None,
                    industry=industry,
                    q=keyword,
                    opens_before=None,
                    closes_after=None,
                    cursor=cursor,
                    limit=20,
                )
                cursor = result.next_cursor
                if cursor is None and page < target:
                    raise SystemExit(f"only {page} pages match; use more rows")
        for _ in range(7):
            for page in (1, target):
                async with sessions() as session:
                    started = time.perf_counter()
                    await listings_service.public_catalogue(
                        session,
                        now=now,
                        kind=None,
                        status=None,
                        industry=industry,
                        q=keyword,
                        opens_before=None,
                        closes_after=None,
                        cursor=cursors[page],
                        limit=20,
                    )
                    timings[page].append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    name = f"jiebang_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(args.admin_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url, MIGRATIONS)
        started = time.perf_counter()
        await _fill(_dsn(url), args.rows)
        print(f"loaded {args.rows} listings in {time.perf_counter() - started:.1f} s")
        timings = await _time_pages(url, "新材料", "稀土", 500)
        for page, values in timings.items():
            print(
                f"page {page:>3}: median {statistics.median(values):7.2f} ms, "
                f"min {min(values):7.2f} ms, max {max(values):7.2f} ms (industry=新材料, q=稀土)"
            )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
