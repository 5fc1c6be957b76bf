"""Migration 0017 gives the projects that exist already their agreement's milestones, and
points the sweep at the first one to fall due."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from test_stairway import MIGRATIONS, _row

from jiebang_api.kit.db import make_engine
from jiebang_api.kit.migrations import upgrade
from jiebang_api.models import Base

BEFORE = "20261207_0016"
TABLES = ["organization", "listing", "application", "agreement", "project"]
MILESTONES = [
    {"title": "中试", "due_on": "2028-03-31", "deliverable": "中试报告", "kpi": "良率95%"},
    {"title": "样机", "due_on": "2027-12-31", "deliverable": "样机", "kpi": "通过测试"},
]


def _fill(connection: Any, project_id: uuid.UUID) -> None:
    tables = sa.MetaData()
    tables.reflect(connection, only=TABLES)
    for table in tables.tables.values():  # the models' types: how values are bound
        for column in table.columns:
            if (declared := Base.metadata.tables[table.name].c.get(column.name)) is not None:
                column.type = declared.type
    t = tables.tables
    org, listing, application, agreement = (uuid.uuid4() for _ in range(4))
    money = Decimal("1000000.00")
    rows: list[tuple[str, dict[str, Any]]] = [
        ("organization", {"id": org, "type": "enterprise", "uscc": "91150000000000001X"}),
        ("listing", {"id": listing, "kind": "emergency", "status": "awarded"}),
        (
            "application",
            {"id": application, "listing_id": listing, "lead_org_id": org, "status": "selected"},
        ),
        (
            "agreement",
            {
                "id": agreement,
                "application_id": application,
                "listing_id": listing,
                "supply_org_id": org,
                "demand_org_id": None,
                "status": "signed",
                "agreement_amount": money,
                "total_rd_investment": money,
                "requested_subsidy": money,
                "duration_months": 24,
                "milestones": MILESTONES,
            },
        ),
        (
            "project",
            {
                "id": project_id,
                "agreement_id": agreement,
                "application_id": application,
                "listing_id": listing,
                "kind": "emergency",
                "supply_org_id": org,
                "lead_org_id": org,
                "status": "in_progress",
                "agreement_amount": money,
                "total_rd_investment": money,
                "requested_subsidy": money,
                "start_on": date(2027, 4, 1),
                "end_on": date(2029, 3, 31),
            },
        ),
    ]
    for name, given in rows:
        connection.execute(t[name].insert().values(_row(t[name], **given)))


async def test_existing_projects_get_their_agreement_s_milestones(empty_database: str) -> None:
    await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, BEFORE)
    engine = make_engine(empty_database, null_pool=True)
    project_id = uuid.uuid4()
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_fill, project_id)
        await asyncio.to_thread(upgrade, empty_database, MIGRATIONS, "head")
        milestone = Base.metadata.tables["project_milestone"]
        project = Base.metadata.tables["project"]
        async with engine.connect() as connection:
            found = (
                await connection.execute(
                    sa.select(
                        milestone.c.seq, milestone.c.title, milestone.c.due_on, milestone.c.status
                    )
                    .where(milestone.c.project_id == project_id)
                    .order_by(milestone.c.seq)
                )
            ).all()
            next_check = await connection.scalar(
                sa.select(project.c.next_check_at).where(project.c.id == project_id)
            )
    finally:
        await engine.dispose()
    assert [tuple(r) for r in found] == [
        (1, "中试", date(2028, 3, 31), "pending"),
        (2, "样机", date(2027, 12, 31), "pending"),
    ]
    # The end of 31 December 2027 in Shanghai.
    assert next_check == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
