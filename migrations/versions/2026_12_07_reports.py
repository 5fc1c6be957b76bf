"""reports: a project's milestones (copied from its agreement, existing projects included),
the progress and expenditure reports of its sides and their review (第十三条, 第十四条), and
on the project the moment its next milestone falls due (`next_check_at`, for the sweep)

Revision ID: 20261207_0017
Revises: 20261207_0016
Create Date: 2026-12-07
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261207_0017"
down_revision: str | None = "20261207_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = ExactDecimal(18, 2)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _project(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["project.id"],
        name=op.f(f"fk_{table}_project_id_project"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("next_check_at", TIMESTAMP, nullable=True))
        batch.create_index("ix_project_next_check_at", ["next_check_at"])
    op.create_table(
        "project_milestone",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("deliverable", sa.Text(), nullable=False),
        sa.Column("kpi", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("last_progress", sa.String(16), nullable=True),
        sa.Column("last_note", sa.Text(), nullable=True),
        sa.Column("last_report_id", sa.Uuid(), nullable=True),
        sa.Column("overdue_recorded_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint("seq > 0", name=op.f("ck_project_milestone_seq_positive")),
        sa.CheckConstraint(
            "status IN ('pending', 'met')", name=op.f("ck_project_milestone_status")
        ),
        sa.CheckConstraint(
            "last_progress IS NULL OR last_progress IN ('met', 'on_track', 'delayed')",
            name=op.f("ck_project_milestone_last_progress"),
        ),
        _project("project_milestone"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestone")),
        sa.UniqueConstraint("project_id", "seq", name=op.f("uq_project_milestone_project_id_seq")),
    )
    op.create_table(
        "project_report",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("milestone_updates", sa.JSON(), nullable=False),
        sa.Column("expenditures", sa.JSON(), nullable=False),
        sa.Column("spent", MONEY, nullable=False, server_default="0"),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("review_outcome", sa.String(16), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(
            "kind IN ('progress', 'expenditure')", name=op.f("ck_project_report_kind")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_project_report_period")),
        sa.CheckConstraint("spent >= 0", name=op.f("ck_project_report_spent")),
        sa.CheckConstraint(
            "kind = 'expenditure' OR spent = 0", name=op.f("ck_project_report_spent_on_expenditure")
        ),
        sa.CheckConstraint(
            "review_outcome IS NULL OR review_outcome IN ('accepted', 'needs_revision')",
            name=op.f("ck_project_report_review_outcome"),
        ),
        _project("project_report"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_report")),
    )
    op.create_index("ix_project_report_project", "project_report", ["project_id", "created_at"])
    _backfill()


def _due_at(due_on: date) -> datetime:
    """The end of the due day in Shanghai, in UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def _backfill() -> None:
    """The milestones of the projects that exist already, from their agreements, and the
    moment the first of them falls due (none on a finished project)."""
    bind = op.get_bind()
    project = sa.table(
        "project",
        sa.column("id", sa.Uuid()),
        sa.column("agreement_id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("next_check_at", TIMESTAMP),
    )
    agreement = sa.table(
        "agreement", sa.column("id", sa.Uuid()), sa.column("milestones", sa.JSON())
    )
    milestone = sa.table(
        "project_milestone",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", sa.Uuid()),
                ("version", sa.Integer()),
                ("created_at", TIMESTAMP),
                ("updated_at", TIMESTAMP),
                ("project_id", sa.Uuid()),
                ("seq", sa.Integer()),
                ("title", sa.String()),
                ("due_on", sa.Date()),
                ("deliverable", sa.Text()),
                ("kpi", sa.Text()),
                ("status", sa.String()),
            )
        ),
    )
    rows = bind.execute(
        sa.select(project.c.id, project.c.status, agreement.c.milestones).join(
            agreement, agreement.c.id == project.c.agreement_id
        )
    ).all()
    now = datetime.now(UTC)
    for project_id, status, agreed in rows:
        planned = [
            {
                "id": uuid.uuid4(),
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "project_id": project_id,
                "seq": seq,
                "title": str(item["title"])[:200],
                "due_on": date.fromisoformat(str(item["due_on"])),
                "deliverable": str(item["deliverable"]),
                "kpi": str(item["kpi"]),
                "status": "pending",
            }
            for seq, item in enumerate(agreed or [], start=1)
        ]
        if not planned:
            continue
        bind.execute(sa.insert(milestone), planned)
        if status not in ("completed", "closed", "terminated"):
            first = min(_due_at(m["due_on"]) for m in planned)
            bind.execute(
                sa.update(project).where(project.c.id == project_id).values(next_check_at=first)
            )


def downgrade() -> None:
    op.drop_index("ix_project_report_project", table_name="project_report")
    op.drop_table("project_report")
    op.drop_table("project_milestone")
    with op.batch_alter_table("project") as batch:
        batch.drop_index("ix_project_next_check_at")
        batch.drop_column("next_check_at")
