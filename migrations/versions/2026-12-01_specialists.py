"""Specialists and their services (SPEC R-34); the role `specialist`.

A specialist is a user whose working hours are a resource (their calendar); services belong
to a specialist and have a duration that is a whole number of the calendar's slots.

Revision ID: 0011_specialists
Revises: 0010_in_app_notifications
Create Date: 2026-12-01 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_specialists"
down_revision: str | None = "0010_in_app_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLE = "ck_user_account_role"


def upgrade() -> None:
    op.drop_constraint(op.f(_ROLE), "user_account", type_="check")
    op.create_check_constraint(
        op.f(_ROLE), "user_account", "role IN ('user', 'admin', 'specialist')"
    )
    op.create_table(
        "specialist",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("length(btrim(display_name)) > 0", name=op.f("ck_specialist_name")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_specialist_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_specialist_resource_id_resource"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist")),
        sa.UniqueConstraint("user_id", name=op.f("uq_specialist_user_id")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_specialist_resource_id")),
    )
    op.create_table(
        "specialist_service",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("specialist_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 1440", name=op.f("ck_specialist_service_duration")
        ),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_specialist_service_price")),
        sa.CheckConstraint(
            "length(btrim(name)) > 0", name=op.f("ck_specialist_service_name_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialist.id"],
            name=op.f("fk_specialist_service_specialist_id_specialist"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_service")),
    )
    op.create_index(
        op.f("ix_specialist_service_specialist_id"),
        "specialist_service",
        ["specialist_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_specialist_service_specialist_id"), table_name="specialist_service")
    op.drop_table("specialist_service")
    op.drop_table("specialist")
    # Without the role, a specialist is an ordinary user again.
    op.execute("UPDATE user_account SET role = 'user' WHERE role = 'specialist'")
    op.drop_constraint(op.f(_ROLE), "user_account", type_="check")
    op.create_check_constraint(op.f(_ROLE), "user_account", "role IN ('user', 'admin')")
