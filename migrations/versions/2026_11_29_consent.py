"""consent: a named parent is a claim until its managers accept; memberships are invitations
until the invited user accepts (existing memberships were accepted)

Revision ID: 20261129_0009
Revises: 20261129_0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_0009"
down_revision: str | None = "20261129_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
# SQLite batch mode copies `membership` from its reflection; resolving its foreign keys would
# reflect `user_account` too, whose expression index SQLite cannot reflect (a warning).
MEMBERSHIP_REFLECTION = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(sa.Column("pending_parent_org_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("parent_claimed_at", TIMESTAMP, nullable=True))
        batch.create_foreign_key(
            op.f("fk_organization_pending_parent_org_id_organization"),
            "organization",
            ["pending_parent_org_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            op.f("ck_organization_not_own_pending_parent"),
            "pending_parent_org_id IS NULL OR pending_parent_org_id <> id",
        )
        batch.create_check_constraint(
            op.f("ck_organization_parent_claim"),
            "(pending_parent_org_id IS NULL) = (parent_claimed_at IS NULL)",
        )
        batch.create_index("ix_organization_pending_parent_org_id", ["pending_parent_org_id"])
    with op.batch_alter_table("membership", reflect_kwargs=MEMBERSHIP_REFLECTION) as batch:
        # Every membership made before invitations existed was taken up: accepted.
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="accepted")
        )
        batch.create_check_constraint(
            op.f("ck_membership_status"), "status IN ('invited', 'accepted')"
        )
    with op.batch_alter_table("membership", reflect_kwargs=MEMBERSHIP_REFLECTION) as batch:
        batch.alter_column("status", server_default=None)


def downgrade() -> None:
    # Invitations nobody accepted gave no access: they go, the accepted memberships stay.
    op.execute("DELETE FROM membership WHERE status <> 'accepted'")
    with op.batch_alter_table("membership", reflect_kwargs=MEMBERSHIP_REFLECTION) as batch:
        batch.drop_constraint(op.f("ck_membership_status"), type_="check")
        batch.drop_column("status")
    with op.batch_alter_table("organization") as batch:
        batch.drop_index("ix_organization_pending_parent_org_id")
        batch.drop_constraint(op.f("ck_organization_parent_claim"), type_="check")
        batch.drop_constraint(op.f("ck_organization_not_own_pending_parent"), type_="check")
        batch.drop_constraint(
            op.f("fk_organization_pending_parent_org_id_organization"), type_="foreignkey"
        )
        batch.drop_column("parent_claimed_at")
        batch.drop_column("pending_parent_org_id")
