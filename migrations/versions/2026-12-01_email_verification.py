"""Email verification (SPEC R-33): user_account.email_verified_at and email_verification tokens.

Existing accounts: administrators count as verified (their addresses were chosen by an
operator, through the seed, the CLI or ADMIN_EMAILS, and they must keep working when
REQUIRE_VERIFIED_EMAIL is on); every other account starts unverified, because nobody ever
proved it owns its address. Such a user asks for a link with POST /auth/verify/resend.

Revision ID: 0006_email_verification
Revises: 0005_audit_append_only
Create Date: 2026-12-01 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_email_verification"
down_revision: str | None = "0005_audit_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE user_account SET email_verified_at = created_at WHERE role = 'admin'")
    op.create_table(
        "email_verification",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_email_verification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verification")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_verification_token_hash")),
    )
    op.create_index(
        op.f("ix_email_verification_user_id"), "email_verification", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_email_verification_user_id"), table_name="email_verification")
    op.drop_table("email_verification")
    op.drop_column("user_account", "email_verified_at")
