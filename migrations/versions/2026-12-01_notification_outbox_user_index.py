"""Index the outbox by account and time: the hourly per-account mail cap counts a user's
messages of the last hour on every enqueue.

Revision ID: 0008_outbox_user_index
Revises: 0006_email_verification
Create Date: 2026-12-01 15:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_outbox_user_index"
down_revision: str | None = "0006_email_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_notification_outbox_user_created",
        "notification_outbox",
        ["user_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_user_created", table_name="notification_outbox")
