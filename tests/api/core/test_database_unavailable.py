"""PostgreSQL out of reach is a 503 with Retry-After that a client may retry, never a 500:
refused connections, too many clients, a backend terminated under a request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from roomtime.core.clock import FrozenClock
from roomtime.core.contention import database_unreachable
from roomtime.main import create_app
from roomtime.settings import DatabaseSettings
from tests.conftest import make_settings
from tests.factories.resources import make_resource
from tests.services import TEST_DB_NAME, ServiceUrls
from tests.support.processes import closed_port

pytestmark = pytest.mark.api

LIMITED_ROLE = f"{TEST_DB_NAME}_no_connections"


def _admin_dsn(services: ServiceUrls) -> str:
    url = make_url(services.admin_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def role_without_connections(services: ServiceUrls) -> AsyncIterator[str]:
    """A database URL for a role PostgreSQL refuses every connection to, as it does when
    max_connections is reached (SQLSTATE 53300, `too many connections`)."""
    admin = await asyncpg.connect(_admin_dsn(services))
    try:
        await admin.execute(f'DROP ROLE IF EXISTS "{LIMITED_ROLE}"')
        await admin.execute(f'CREATE ROLE "{LIMITED_ROLE}" LOGIN CONNECTION LIMIT 0')
        url = make_url(services.database_url).set(username=LIMITED_ROLE, password=None)
        yield url.render_as_string(hide_password=False)
        await admin.execute(f'DROP ROLE IF EXISTS "{LIMITED_ROLE}"')
    finally:
        await admin.close()


async def _get(services: ServiceUrls, tmp_path: Path, database_url: str) -> httpx.Response:
    settings = make_settings(
        services, tmp_path, database=DatabaseSettings(database_url=database_url)
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/resources")


def _assert_retryable_503(response: httpx.Response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and "asyncpg" not in response.text


async def test_too_many_clients_is_a_retryable_503(
    services: ServiceUrls, tmp_path: Path, role_without_connections: str
) -> None:
    response = await _get(services, tmp_path, role_without_connections)
    _assert_retryable_503(response, "database_unavailable")


async def test_refused_connection_is_a_retryable_503(services: ServiceUrls, tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/roomtime"
    response = await _get(services, tmp_path, url)
    _assert_retryable_503(response, "dependency_unavailable")


async def test_a_terminated_backend_counts_as_unreachable_and_a_bad_statement_does_not(
    services: ServiceUrls,
) -> None:
    engine = create_async_engine(services.database_url)
    try:
        async with engine.connect() as victim, engine.connect() as admin:
            pid = (await victim.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as terminated:
                await victim.execute(text("SELECT 1"))
        assert database_unreachable(terminated.value)
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as bad:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert not database_unreachable(bad.value)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "path",
    # A day of its own each time: a cached day would not reach PostgreSQL.
    ["/resources/{id}", "/resources/{id}/availability?date=2030-01-1{n}", "/resources?q=Room"],
)
async def test_a_backend_terminated_under_a_prepared_read_is_a_retryable_503(
    app_client: httpx.AsyncClient,
    engine: AsyncEngine,
    session: AsyncSession,
    clock: FrozenClock,
    path: str,
) -> None:
    # These reads run on the asyncpg connection directly (core.prepared), past SQLAlchemy's
    # own error handling: a lost connection must still be `database_unavailable`.
    room = await make_resource(session, clock)
    first = await app_client.get(path.format(id=room.id, n=0))
    assert first.status_code == 200  # the app's pool holds a connection
    async with engine.connect() as admin:
        await admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    await engine.dispose()  # the suite's own pooled connections were terminated too
    _assert_retryable_503(
        await app_client.get(path.format(id=room.id, n=1)), "database_unavailable"
    )
    # The dead connection left the pool.
    assert (await app_client.get(path.format(id=room.id, n=2))).status_code == 200
