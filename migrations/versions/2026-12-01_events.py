"""Events with seats (R-36): the event table, a hidden shared resource per event, and
bookings that say which event they are for.

`booking.event_id` carries the one-live-booking-per-user-and-event rule as a partial unique
index, so the database refuses a second pending or confirmed booking whatever the code did.
`resource.is_hidden` marks the resources events own: never listed, never held directly.
An event's image is its hidden resource's file (R-27), so it needs no column here.

Revision ID: 0012_events
Revises: 0011_specialists
Create Date: 2026-12-01 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_events"
down_revision: str | None = "0011_specialists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "resource",
        sa.Column("is_hidden", sa.Boolean(), server_default="false", nullable=False),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_description", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("total_seats", sa.Integer(), nullable=True),
        sa.Column("booking_ttl_minutes", sa.Integer(), nullable=False),
        sa.Column("payment_info", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_event_ends_after_starts")),
        sa.CheckConstraint(
            "total_seats IS NULL OR total_seats >= 1", name=op.f("ck_event_total_seats_positive")
        ),
        sa.CheckConstraint(
            "booking_ttl_minutes BETWEEN 1 AND 1440", name=op.f("ck_event_booking_ttl")
        ),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f("ck_event_status")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_event_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_event_resource_id_resource"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_event_resource_id")),
    )
    op.create_index(op.f("ix_event_starts_at"), "event", ["starts_at"], unique=False)
    op.add_column("booking", sa.Column("event_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_booking_event_id_event"),
        "booking",
        "event",
        ["event_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index(op.f("ix_booking_event_id"), "booking", ["event_id"], unique=False)
    op.create_index(
        "uq_booking_one_live_per_event",
        "booking",
        ["user_id", "event_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'confirmed') AND event_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_booking_one_live_per_event",
        table_name="booking",
        postgresql_where=sa.text("status IN ('pending', 'confirmed') AND event_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_booking_event_id"), table_name="booking")
    op.drop_constraint(op.f("fk_booking_event_id_event"), "booking", type_="foreignkey")
    op.drop_column("booking", "event_id")
    op.drop_index(op.f("ix_event_starts_at"), table_name="event")
    op.drop_table("event")
    op.drop_column("resource", "is_hidden")
