"""0006_email_verification: existing admins count as verified, other accounts do not."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from roomtime import migrate
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database

pytestmark = pytest.mark.integration


async def _sql(url: str, sql: str) -> list[asyncpg.Record]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def test_existing_admins_are_verified_and_users_are_not(services: ServiceUrls) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_verify_migration"))
    migrate.upgrade(url, "0005_audit_append_only")
    asyncio.run(
        _sql(
            url,
            "INSERT INTO user_account (email, password_hash, role, created_at) VALUES "
            "('admin@example.com', 'x', 'admin', '2030-01-01T00:00:00Z'), "
            "('ada@example.com', 'x', 'user', '2030-01-02T00:00:00Z')",
        )
    )
    migrate.upgrade(url)
    rows = asyncio.run(
        _sql(url, "SELECT email, role, created_at, email_verified_at FROM user_account")
    )
    by_email = {r["email"]: r for r in rows}
    admin, user = by_email["admin@example.com"], by_email["ada@example.com"]
    assert admin["role"] == "admin"  # keeps the role, and keeps working under the new rule
    assert admin["email_verified_at"] == admin["created_at"]
    assert user["email_verified_at"] is None
    migrate.downgrade(url, "0005_audit_append_only")
    columns = asyncio.run(
        _sql(
            url,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'user_account' AND column_name = 'email_verified_at'",
        )
    )
    assert columns == []
