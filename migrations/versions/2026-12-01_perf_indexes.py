"""Indexes for the write path at 10^6 slots: a booking's slots, a user's live holds.

Confirm and cancel address a booking's slots by `time_slot.booking_id`, which had no
index: each was a sequential scan of every slot. The partial index leaves out the slots no
booking holds (most of them). A hold counts the user's live holds under their advisory lock;
(user_id, expires_at) over pending bookings makes that an exact range instead of a walk over
all the user's bookings.

Built CONCURRENTLY (outside a transaction), so a deployment with many slots keeps taking
bookings while it runs.

Revision ID: 0013_perf_indexes
Revises: 0012_events
Create Date: 2026-12-01 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_perf_indexes"
down_revision: str | None = "0012_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_time_slot_booking_id",
            "time_slot",
            ["booking_id"],
            unique=False,
            postgresql_where=sa.text("booking_id IS NOT NULL"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.create_index(
            "ix_booking_user_pending_expires_at",
            "booking",
            ["user_id", "expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_booking_user_pending_expires_at",
            table_name="booking",
            postgresql_concurrently=True,
            if_exists=True,
        )
        op.drop_index(
            "ix_time_slot_booking_id",
            table_name="time_slot",
            postgresql_concurrently=True,
            if_exists=True,
        )
