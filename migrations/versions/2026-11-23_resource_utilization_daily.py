"""Reports: the daily per-resource utilisation summary written by archive-bookings.

Revision ID: 0004_utilization
Revises: 0003_bookings
Create Date: 2026-11-23 16:56:19.812387+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_utilization"
down_revision: str | None = "0003_bookings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resource_utilization_daily",
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("booked_minutes", sa.Integer(), nullable=False),
        sa.Column("open_minutes", sa.Integer(), nullable=False),
        sa.Column("utilization_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bookings >= 0 AND booked_minutes >= 0 AND open_minutes >= 0",
            name=op.f("ck_resource_utilization_daily_counts"),
        ),
        sa.CheckConstraint(
            "utilization_pct BETWEEN 0 AND 100",
            name=op.f("ck_resource_utilization_daily_pct_range"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_utilization_daily_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "resource_id", "local_date", name=op.f("pk_resource_utilization_daily")
        ),
    )
    op.create_index(
        op.f("ix_resource_utilization_daily_local_date"),
        "resource_utilization_daily",
        ["local_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_resource_utilization_daily_local_date"), table_name="resource_utilization_daily"
    )
    op.drop_table("resource_utilization_daily")
