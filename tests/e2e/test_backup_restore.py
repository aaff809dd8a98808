"""The backup and restore of docs/operations.md ("Backups and restore"), run as written:
pg_dump in the custom format, pg_restore into a new empty database, and the copy holds the
same rows and the same guards."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime._embedded_bin import client_env
from roomtime.core.clock import FrozenClock
from roomtime.models import metadata
from roomtime.settings import Settings
from tests.factories.auth import make_caller
from tests.factories.resources import make_resource, occupy
from tests.services import TEST_DB_NAME, ServiceUrls, fresh_database
from tests.support.pg_cluster import find_bin_dir

pytestmark = pytest.mark.slow

_TABLES = [t.name for t in metadata.sorted_tables] + ["alembic_version"]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in _TABLES}
    finally:
        await conn.close()


async def _fetch(dsn: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


def _run(tool: Path, *args: str) -> None:
    result = subprocess.run(
        [str(tool), *args], capture_output=True, text=True, env=client_env(), check=False
    )
    assert result.returncode == 0, f"{tool.name}: {result.stderr}"


async def test_a_pg_dump_restores_into_an_identical_database(
    services: ServiceUrls,
    session: AsyncSession,
    settings: Settings,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    ada = await make_caller(session, settings, email="ada@example.com")
    room = await make_resource(session, clock)
    start = clock() + timedelta(days=1, hours=1)
    booking = await occupy(
        session,
        user_id=ada.user.id,
        resource_id=room.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    major = int(await session.scalar(text("SHOW server_version_num")) or 0) // 10_000
    bin_dir = find_bin_dir(("pg_dump", "pg_restore"), major=major)
    assert bin_dir is not None, f"no pg_dump/pg_restore of PostgreSQL {major} on this machine"

    source = _libpq(services.database_url)
    dump = tmp_path / "roomtime.dump"
    _run(bin_dir / "pg_dump", "--format=custom", f"--file={dump}", source)
    restored = f"{TEST_DB_NAME}_restored"
    target = _libpq(await fresh_database(services, restored))
    try:
        await _restore_and_compare(bin_dir, dump, source, target, booking.id)
    finally:
        admin = await asyncpg.connect(_libpq(services.admin_database_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        finally:
            await admin.close()


async def _restore_and_compare(
    bin_dir: Path, dump: Path, source: str, target: str, booking_id: int
) -> None:
    _run(
        bin_dir / "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={target}",
        str(dump),
    )

    counts = await _counts(source)
    assert counts["booking"] == 1 and counts["time_slot"] > 0
    assert await _counts(target) == counts
    row = f"SELECT * FROM booking WHERE id = {booking_id}"
    assert await _fetch(target, row) == await _fetch(source, row)
    # The guards came back too: the exclusion constraint that forbids overlapping bookings.
    guards = "SELECT conname FROM pg_constraint WHERE contype = 'x' ORDER BY conname"
    assert await _fetch(target, guards) == await _fetch(source, guards) != []
