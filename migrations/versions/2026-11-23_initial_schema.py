"""Initial schema: every entity of SPEC §2, its constraints and indexes (R-10, R-11, R-13).

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:15:23.155919+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _resource()
    _user_account()
    _audit_log()
    _booking()
    _file_upload()
    _password_reset()
    _refresh_token()
    _resource_opening_hours()
    _time_slot()
    _foreign_keys_across_tables()


def _resource() -> None:
    op.create_table(
        "resource",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("file_id", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("slot_minutes", sa.SmallInteger(), server_default="60", nullable=False),
        sa.Column("hold_ttl_seconds", sa.Integer(), server_default="300", nullable=False),
        sa.Column("max_hold_slots", sa.SmallInteger(), server_default="8", nullable=False),
        sa.Column("booking_mode", sa.String(length=16), server_default="exclusive", nullable=False),
        sa.Column("cancel_deadline_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "booking_mode IN ('exclusive', 'shared')", name=op.f("ck_resource_booking_mode")
        ),
        sa.CheckConstraint(
            "cancel_deadline_minutes >= 0", name=op.f("ck_resource_cancel_deadline")
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_resource_capacity_positive")),
        sa.CheckConstraint(
            "hold_ttl_seconds BETWEEN 1 AND 86400", name=op.f("ck_resource_hold_ttl")
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_resource_name_not_blank")),
        sa.CheckConstraint("max_hold_slots >= 1", name=op.f("ck_resource_max_hold_slots")),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440 AND 1440 % slot_minutes = 0",
            name=op.f("ck_resource_slot_minutes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    op.create_index(
        op.f("ix_resource_is_active_name"), "resource", ["is_active", "name"], unique=False
    )
    op.create_index(op.f("ix_resource_location"), "resource", ["location"], unique=False)


def _user_account() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), server_default="user", nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("telegram_chat_id", sa.String(length=64), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("role IN ('user', 'admin')", name=op.f("ck_user_account_role")),
        sa.CheckConstraint(
            "email = lower(btrim(email))", name=op.f("ck_user_account_email_normalised")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
    )
    op.create_index(
        "uq_user_account_email_lower",
        "user_account",
        [sa.literal_column("lower(email)")],
        unique=True,
    )


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=True),
        sa.Column(
            "meta", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "ts", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["user_account.id"],
            name=op.f("fk_audit_log_actor_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action_ts"), "audit_log", ["action", "ts"], unique=False)
    op.create_index(
        op.f("ix_audit_log_actor_user_id_ts"), "audit_log", ["actor_user_id", "ts"], unique=False
    )
    op.create_index(
        op.f("ix_audit_log_entity_entity_id"), "audit_log", ["entity", "entity_id"], unique=False
    )
    op.create_index(op.f("ix_audit_log_ts"), "audit_log", ["ts"], unique=False)


def _booking() -> None:
    op.create_table(
        "booking",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("party_size", sa.Integer(), server_default="1", nullable=False),
        sa.Column("is_exclusive", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.text("int8range(resource_id, resource_id, '[]')"), "&&"),
            (sa.text("tstzrange(starts_at, ends_at)"), "&&"),
            where=sa.text("status IN ('pending', 'confirmed') AND is_exclusive"),
            using="gist",
            name="booking_no_overlap",
        ),
        sa.CheckConstraint(
            "status <> 'pending' OR expires_at IS NOT NULL", name=op.f("ck_booking_pending_expires")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'cancelled', 'expired', 'archived')",
            name=op.f("ck_booking_status"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_booking_ends_after_starts")),
        sa.CheckConstraint("party_size > 0", name=op.f("ck_booking_party_size_positive")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_booking_resource_id_resource"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_booking_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint(
            "user_id", "idempotency_key", name=op.f("uq_booking_user_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_booking_pending_expires_at",
        "booking",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        op.f("ix_booking_resource_id_starts_at"),
        "booking",
        ["resource_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_booking_starts_at_ends_at"), "booking", ["starts_at", "ends_at"], unique=False
    )
    op.create_index(
        op.f("ix_booking_user_id_created_at"), "booking", ["user_id", "created_at"], unique=False
    )


def _file_upload() -> None:
    op.create_table(
        "file_upload",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=True),
        sa.Column("resource_id", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_file_upload_size_non_negative")),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user_account.id"],
            name=op.f("fk_file_upload_owner_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_file_upload_resource_id_resource"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_upload")),
        sa.UniqueConstraint("path", name=op.f("uq_file_upload_path")),
    )
    op.create_index(
        op.f("ix_file_upload_resource_id"), "file_upload", ["resource_id"], unique=False
    )


def _password_reset() -> None:
    op.create_table(
        "password_reset",
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
            name=op.f("fk_password_reset_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"], unique=False)


def _refresh_token() -> None:
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("replaced_by_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("family_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["refresh_token.id"],
            name=op.f("fk_refresh_token_parent_id_refresh_token"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["refresh_token.id"],
            name=op.f("fk_refresh_token_replaced_by_id_refresh_token"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False
    )
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"], unique=False)


def _resource_opening_hours() -> None:
    op.create_table(
        "resource_opening_hours",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("opens_minute", sa.SmallInteger(), nullable=False),
        sa.Column("closes_minute", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "opens_minute >= 0 AND opens_minute < closes_minute AND closes_minute <= 1440",
            name=op.f("ck_resource_opening_hours_opens_before_closes"),
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_resource_opening_hours_weekday")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_opening_hours_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_opening_hours")),
        sa.UniqueConstraint(
            "resource_id",
            "weekday",
            "opens_minute",
            name=op.f("uq_resource_opening_hours_resource_id_weekday_opens_minute"),
        ),
    )


def _time_slot() -> None:
    op.create_table(
        "time_slot",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="available", nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("seats_taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('available', 'held', 'booked', 'blocked')", name=op.f("ck_time_slot_status")
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_time_slot_capacity_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_time_slot_ends_after_starts")),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity",
            name=op.f("ck_time_slot_seats_within_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_time_slot_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_slot")),
        sa.UniqueConstraint(
            "resource_id", "starts_at", name=op.f("uq_time_slot_resource_id_starts_at")
        ),
    )
    # resource <-> file_upload and time_slot <-> booking point at each other: these two
    # foreign keys can only be added once both tables exist.


def _foreign_keys_across_tables() -> None:
    """Foreign keys between tables created above, added once both exist."""
    op.create_foreign_key(
        op.f("fk_resource_file_id_file_upload"),
        "resource",
        "file_upload",
        ["file_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_time_slot_booking_id_booking"),
        "time_slot",
        "booking",
        ["booking_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_time_slot_booking_id_booking"), "time_slot", type_="foreignkey")
    op.drop_constraint(op.f("fk_resource_file_id_file_upload"), "resource", type_="foreignkey")
    op.drop_table("time_slot")
    op.drop_table("resource_opening_hours")
    op.drop_index(op.f("ix_refresh_token_user_id"), table_name="refresh_token")
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
    op.drop_index(op.f("ix_file_upload_resource_id"), table_name="file_upload")
    op.drop_table("file_upload")
    op.drop_index(op.f("ix_booking_user_id_created_at"), table_name="booking")
    op.drop_index(op.f("ix_booking_starts_at_ends_at"), table_name="booking")
    op.drop_index(op.f("ix_booking_resource_id_starts_at"), table_name="booking")
    op.drop_index(
        "ix_booking_pending_expires_at",
        table_name="booking",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("booking")
    op.drop_index(op.f("ix_audit_log_ts"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_entity_entity_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_user_id_ts"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action_ts"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("uq_user_account_email_lower", table_name="user_account")
    op.drop_table("user_account")
    op.drop_index(op.f("ix_resource_location"), table_name="resource")
    op.drop_index(op.f("ix_resource_is_active_name"), table_name="resource")
    op.drop_table("resource")
