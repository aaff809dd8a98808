"""The audit trail is append-only: UPDATE and DELETE of audit_log rows are refused.

A trigger rather than REVOKE, because the application may connect as the table's owner (the
embedded and development setups do), and an owner keeps its privileges. TRUNCATE (test
isolation, a deliberate purge by an operator) is a different statement and is not blocked.
Accounts are deactivated, never deleted, so the foreign key's ON DELETE SET NULL never fires.

Revision ID: 0005_audit_append_only
Revises: 0004_utilization
Create Date: 2026-11-23 17:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_audit_append_only"
down_revision: str | None = "0004_utilization"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_is_append_only()")
