"""0011_specialists: the role `specialist` is allowed; going back demotes specialists."""

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


def test_specialist_role_comes_and_goes_with_the_tables(services: ServiceUrls) -> None:
    url = asyncio.run(fresh_database(services, f"{TEST_DB_NAME}_specialists_migration"))
    migrate.upgrade(url, "0011_specialists")
    asyncio.run(
        _sql(
            url,
            "INSERT INTO user_account (email, password_hash, role) VALUES "
            "('pro@example.com', 'x', 'specialist'), ('boss@example.com', 'x', 'admin')",
        )
    )
    with pytest.raises(asyncpg.CheckViolationError):
        asyncio.run(
            _sql(
                url,
                "INSERT INTO user_account (email, password_hash, role) "
                "VALUES ('x@example.com', 'x', 'owner')",
            )
        )
    # Relative, so the test survives a re-chained history.
    migrate.downgrade(url, "0011_specialists-1")
    rows = asyncio.run(_sql(url, "SELECT email, role FROM user_account ORDER BY email"))
    assert [(r["email"], r["role"]) for r in rows] == [
        ("boss@example.com", "admin"),
        ("pro@example.com", "user"),
    ]
    tables = asyncio.run(
        _sql(url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'specialist%'")
    )
    assert tables == []
    migrate.upgrade(url)
