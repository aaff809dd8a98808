"""audit_log.request_id holds the 128 characters the request-id middleware keeps.

It was 64, so an `X-Request-ID` of 65–128 characters (accepted and echoed, as documented)
made every audited write fail. Widening a varchar rewrites nothing; narrowing it back cuts
longer ids to 64 so the downgrade cannot fail on rows written since.

Revision ID: 0009_audit_request_id
Revises: 0008_outbox_user_index
Create Date: 2026-12-01 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_request_id"
down_revision: str | None = "0008_outbox_user_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "audit_log",
        "request_id",
        type_=sa.String(length=128),
        existing_type=sa.String(length=64),
        existing_nullable=True,
    )


def downgrade() -> None:
    op.alter_column(
        "audit_log",
        "request_id",
        type_=sa.String(length=64),
        existing_type=sa.String(length=128),
        existing_nullable=True,
        postgresql_using="left(request_id, 64)",
    )
