"""Hold expiry kept on the slots side: `time_slot.hold_expires_at` and `seat_hold`.

Availability (R-14) counts a hold that has expired as free before the release job returns
it. It used to learn that by joining the booking table; the slots domain now records the
expiry itself when a hold takes slots (exclusive) or seats (shared), so its queries read
only its own tables. Existing pending bookings are copied over.

Revision ID: 0010_slot_hold_expiry
Revises: 0009_audit_request_id
Create Date: 2026-12-01 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_slot_hold_expiry"
down_revision: str | None = "0009_audit_request_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "time_slot", sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "seat_hold",
        sa.Column("booking_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seats > 0", name=op.f("ck_seat_hold_seats_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_seat_hold_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_seat_hold_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_seat_hold")),
    )
    op.create_index(
        op.f("ix_seat_hold_resource_id_starts_at"), "seat_hold", ["resource_id", "starts_at"]
    )
    op.execute(
        """
        UPDATE time_slot AS s SET hold_expires_at = b.expires_at
        FROM booking AS b
        WHERE b.id = s.booking_id AND s.status = 'held' AND b.status = 'pending'
        """
    )
    op.execute(
        """
        INSERT INTO seat_hold (booking_id, resource_id, starts_at, ends_at, seats, expires_at)
        SELECT id, resource_id, starts_at, ends_at, party_size, expires_at
        FROM booking
        WHERE status = 'pending' AND NOT is_exclusive AND expires_at IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seat_hold_resource_id_starts_at"), table_name="seat_hold")
    op.drop_table("seat_hold")
    op.drop_column("time_slot", "hold_expires_at")
