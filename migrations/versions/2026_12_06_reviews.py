"""reviews: review rounds, expert assignments, the exclusions conflicts of interest made,
and the review weight each policy version holds

Revision ID: 20261206_0010
Revises: 20261129_0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

# Exact decimals: NUMERIC on PostgreSQL, an integer of the smallest unit on SQLite.
from jiebang_api.kit.db import ExactDecimal

revision: str = "20261206_0010"
down_revision: str | None = "20261129_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
ROUND_STATUSES = ("open", "closed", "recommendation_proposed", "recommendation_confirmed")
ASSIGNMENT_STATUSES = ("assigned", "scored", "declined")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(repr(v) for v in values) + ")"


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _references(table: str, *columns: tuple[str, str]) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            [column],
            [f"{target}.id"],
            name=op.f(f"fk_{table}_{column}_{target}"),
            ondelete="RESTRICT",
        )
        for column, target in columns
    ]


def upgrade() -> None:
    # 第九条（五） weighs neither criterion: 40 (qualification) / 60 (feasibility) is the
    # service's default, which each version holds and the department may change.
    with op.batch_alter_table("policy_version") as batch:
        batch.add_column(sa.Column("review_qualification_max", ExactDecimal(4, 1), nullable=True))
    policy_version = sa.table(
        "policy_version", sa.column("review_qualification_max", ExactDecimal(4, 1))
    )
    op.execute(policy_version.update().values(review_qualification_max=Decimal(40)))
    with op.batch_alter_table("policy_version") as batch:
        batch.alter_column(
            "review_qualification_max", existing_type=ExactDecimal(4, 1), nullable=False
        )
        batch.create_check_constraint(
            "review_weight_nonneg", sa.text("review_qualification_max >= 0")
        )
    op.create_table(
        "review_round",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("expert_user_ids", sa.JSON(), nullable=False),
        sa.Column("proposer_reviewer_user_ids", sa.JSON(), nullable=False),
        sa.Column("policy_version_id", sa.Uuid(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("recommendation", sa.JSON(), nullable=True),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("proposed_by", sa.Uuid(), nullable=True),
        sa.Column("proposed_at", TIMESTAMP, nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(_in("status", ROUND_STATUSES), name=op.f("ck_review_round_status")),
        *_references(
            "review_round", ("listing_id", "listing"), ("policy_version_id", "policy_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_round")),
        sa.UniqueConstraint("listing_id", name=op.f("uq_review_round_listing_id")),
    )
    op.create_table(
        "review_assignment",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("expert_user_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("total", ExactDecimal(4, 1), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        *_entity(),
        sa.CheckConstraint(
            _in("status", ASSIGNMENT_STATUSES), name=op.f("ck_review_assignment_status")
        ),
        sa.CheckConstraint(
            "total IS NULL OR total >= 0", name=op.f("ck_review_assignment_total_nonneg")
        ),
        *_references(
            "review_assignment",
            ("application_id", "application"),
            ("expert_user_id", "user_account"),
            ("round_id", "review_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignment")),
        sa.UniqueConstraint(
            "round_id",
            "expert_user_id",
            "application_id",
            name=op.f("uq_review_assignment_round_id_expert_user_id_application_id"),
        ),
    )
    op.create_index(
        "ix_review_assignment_expert", "review_assignment", ["expert_user_id", "created_at"]
    )
    op.create_index("ix_review_assignment_round_id", "review_assignment", ["round_id"])
    op.create_table(
        "review_exclusion",
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("expert_user_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("expert_org_id", sa.Uuid(), nullable=False),
        sa.Column("party_org_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        *_entity(),
        sa.CheckConstraint(
            _in("reason", ("same_organization", "same_ownership_tree")),
            name=op.f("ck_review_exclusion_reason"),
        ),
        sa.CheckConstraint(
            _in("role", ("applicant", "member", "proposer")), name=op.f("ck_review_exclusion_role")
        ),
        *_references(
            "review_exclusion",
            ("application_id", "application"),
            ("expert_org_id", "organization"),
            ("expert_user_id", "user_account"),
            ("party_org_id", "organization"),
            ("round_id", "review_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_exclusion")),
    )
    op.create_index(
        "ix_review_exclusion_round",
        "review_exclusion",
        ["round_id", "expert_user_id", "application_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_review_exclusion_round", table_name="review_exclusion")
    op.drop_table("review_exclusion")
    op.drop_index("ix_review_assignment_round_id", table_name="review_assignment")
    op.drop_index("ix_review_assignment_expert", table_name="review_assignment")
    op.drop_table("review_assignment")
    op.drop_table("review_round")
    with op.batch_alter_table("policy_version") as batch:
        batch.drop_constraint("review_weight_nonneg", type_="check")
        batch.drop_column("review_qualification_max")
