"""The migration chain: upgrade, downgrade to base and upgrade again; no drift from the models."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from roomtime import migrate
from roomtime.models import metadata
from tests.services import TEST_DB_NAME, ServiceUrls

pytestmark = pytest.mark.integration

DB = f"{TEST_DB_NAME}_migrations"
EXPECTED_TABLES = {
    "user_account",
    "refresh_token",
    "password_reset",
    "email_verification",
    "resource",
    "resource_opening_hours",
    "time_slot",
    "seat_hold",
    "booking",
    "file_upload",
    "audit_log",
    "notification_outbox",
    "notification",
    "idempotency_record",
    "resource_utilization_daily",
    "event",
    "specialist",
    "specialist_service",
}


def _plain_dsn(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _admin(services: ServiceUrls, sql: str) -> None:
    conn = await asyncpg.connect(_plain_dsn(services.admin_database_url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(_plain_dsn(url, DB))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows} - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def _autogenerate_diff(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(services: ServiceUrls) -> None:
    url = make_url(services.database_url).set(database=DB).render_as_string(hide_password=False)
    asyncio.run(_admin(services, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
    asyncio.run(_admin(services, f'CREATE DATABASE "{DB}"'))
    try:
        migrate.upgrade(url)
        assert asyncio.run(_tables(url)) == EXPECTED_TABLES
        migrate.downgrade(url, "base")
        assert asyncio.run(_tables(url)) == set()
        migrate.upgrade(url)
        assert asyncio.run(_tables(url)) == EXPECTED_TABLES
        assert asyncio.run(_autogenerate_diff(url)) == []
    finally:
        asyncio.run(_admin(services, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
