"""A primary and its streaming replica, both this suite's own (created with the PostgreSQL
binaries of this machine), and an app that writes to the one and reads from the other."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from roomtime import migrate
from roomtime.core import metrics
from roomtime.core.db import create_engine, create_sessionmaker
from roomtime.main import create_app
from roomtime.models import metadata
from roomtime.settings import DatabaseSettings, RedisSettings, Settings
from tests.conftest import make_settings
from tests.factories.auth import Caller, make_caller
from tests.services import ServiceUrls
from tests.support.pg_cluster import ReplicatedCluster, replicated_cluster

DATABASE = "roomtime"
_callers = itertools.count(1)
# Short, so a test that reads through a lag spends little time waiting for it.
WAIT_MS = 100


@pytest.fixture(scope="session")
def cluster() -> Iterator[ReplicatedCluster]:
    # Not under pytest's own temporary directory: the servers run as an unprivileged user
    # when the suite runs as root, and that directory is private to root.
    base = Path(tempfile.mkdtemp(prefix="rt-replica-"))
    try:
        with replicated_cluster(base / "cluster") as found:
            found.primary.sql(f"CREATE DATABASE {DATABASE}")
            migrate.upgrade(found.primary.url(DATABASE))
            found.wait_for_replay()
            yield found
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def replica_settings(
    cluster: ReplicatedCluster, services: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return make_settings(
        services,
        tmp_path_factory.mktemp("replica-data"),
        database=DatabaseSettings(
            database_url=cluster.primary.url(DATABASE),
            database_read_url=cluster.replica.url(DATABASE),
            database_read_wait_ms=WAIT_MS,
            db_pool_size=5,
        ),
        redis=RedisSettings(redis_url=services.redis_url, redis_key_prefix="rt-replica"),
    )


@pytest.fixture(scope="session")
async def primary_engine(replica_settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(replica_settings)
    yield engine
    await engine.dispose()


@dataclass
class ReplicaApp:
    client: httpx.AsyncClient
    cluster: ReplicatedCluster
    engine: AsyncEngine
    settings: Settings

    async def caller(self, role: str = "user", email: str | None = None) -> Caller:
        async with create_sessionmaker(self.engine)() as session:
            email = email or f"{role}-{next(_callers)}@example.com"
            return await make_caller(session, self.settings, role=role, email=email)

    async def resource(self, admin: Caller, **fields: Any) -> dict[str, Any]:
        body = {"name": "Aurora", "location": "HQ", "capacity": 4, **fields}
        r = await self.client.post("/resources", json=body, headers=admin.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def free_starts(
        self, resource_id: int, day: date, who: Caller | None = None
    ) -> tuple[list[datetime], str]:
        """The day's free slot starts, and X-Cache."""
        r = await self.client.get(
            f"/resources/{resource_id}/availability",
            params={"date": day.isoformat()},
            headers=who.headers if who else {},
        )
        assert r.status_code == 200, r.text
        starts = [datetime.fromisoformat(s["starts_at"]) for s in r.json()["slots"]]
        return starts, r.headers["X-Cache"]


async def _empty(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def replica_app(
    cluster: ReplicatedCluster,
    primary_engine: AsyncEngine,
    replica_settings: Settings,
    redis: Redis,
) -> AsyncIterator[ReplicaApp]:
    """A fresh app on the cluster: empty tables (replayed on the replica), a flushed Redis."""
    await _empty(primary_engine)
    cluster.wait_for_replay()
    app = create_app(replica_settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                client.app = app  # type: ignore[attr-defined]
                yield ReplicaApp(client, cluster, primary_engine, replica_settings)
    finally:
        # Whatever the test did to the replica, the next one finds it running and replaying.
        if not cluster.replica.running:
            cluster.replica.start()
        cluster.resume_replay()


def tomorrow_at(hour: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def reads(target: str, reason: str) -> float:
    """How many reads the process sent where, and why (roomtime_db_reads_total)."""
    value = metrics.REGISTRY.get_sample_value(
        "roomtime_db_reads_total", {"target": target, "reason": reason}
    )
    return value or 0.0


def all_reads() -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for family in metrics.REGISTRY.collect():
        if family.name != "roomtime_db_reads":
            continue
        for sample in family.samples:
            if sample.name == "roomtime_db_reads_total":
                found[(sample.labels["target"], sample.labels["reason"])] = sample.value
    return found
