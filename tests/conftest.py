"""Fixtures shared by the whole suite: real PostgreSQL and Redis, an app, an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime import migrate
from roomtime.core.clock import FrozenClock
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.main import create_app
from roomtime.models import metadata
from roomtime.settings import (
    AppSettings,
    AuthSettings,
    DatabaseSettings,
    MailSettings,
    RedisSettings,
    Settings,
)
from tests.factories.auth import Caller, make_caller
from tests.services import ServiceUrls, test_services
from tests.support.s3 import S3Server, s3_server

TEST_JWT_SECRET = "test-secret-" + "x" * 40


@pytest.hookimpl(trylast=True)  # after the browser tests' conftest has marked them slow
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests (processes, races, browsers) first, in their usual order. The run ends
    when the last pytest-xdist worker does: handing out the long tests first keeps every
    worker busy to the end instead of leaving one with a two-minute test at the tail."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceUrls]:
    data_dir = Path(os.environ.get("DATA_DIR", ".data")).resolve()
    with test_services(data_dir) as found:
        migrate.upgrade(found.database_url)
        yield found


def make_settings(services: ServiceUrls, data_dir: Path, **sections: object) -> Settings:
    base: dict[str, object] = {
        "app": AppSettings(environment="test", data_dir=data_dir, log_format="json"),
        "database": DatabaseSettings(database_url=services.database_url, db_pool_size=5),
        "redis": RedisSettings(redis_url=services.redis_url, redis_key_prefix="rt-test"),
        "auth": AuthSettings(jwt_secret=TEST_JWT_SECRET, admin_emails="boss@example.com"),
        "mail": MailSettings(smtp_host=None),
    }
    base.update(sections)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(services, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean_db(engine: AsyncEngine) -> None:
    """Empty every table before the test (not after: a failing test leaves its data)."""
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis.redis_url or "")
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def session(engine: AsyncEngine, clean_db: None) -> AsyncIterator[AsyncSession]:
    async with create_sessionmaker(engine)() as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2030, 1, 7, 9, 0, tzinfo=UTC))  # a Monday


@pytest.fixture
async def app_client(
    settings: Settings, clean_db: None, redis: Redis
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client bound to a fresh app on the real databases (real clock)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.fixture
async def admin(session: AsyncSession, settings: Settings) -> Caller:
    return await make_caller(session, settings, role="admin", email="admin@example.com")


@pytest.fixture
async def member(session: AsyncSession, settings: Settings) -> Caller:
    return await make_caller(session, settings, role="user", email="member@example.com")


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3-compatible server as a real process, for the suite's S3 storage tests."""
    with s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as server:
        yield server
