"""The API, the job worker and `roomtime job run` build their infrastructure one way
(`open_infrastructure`): the same typed object, live on the real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import fields
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from roomtime import cli
from roomtime.core.clock import FrozenClock
from roomtime.core.redis.cache import RedisCache
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.jobs.registry import JOBS, Job, run_job
from roomtime.domains.notifications.service import Notifier
from roomtime.infrastructure import Infrastructure, infra_of
from roomtime.main import create_app
from roomtime.settings import Settings
from roomtime.worker import create_worker

pytestmark = pytest.mark.integration

PROBE = "probe-infrastructure"
EXPECTED_TYPES: dict[str, type] = {
    "settings": Settings,
    "engine": AsyncEngine,
    "sessionmaker": async_sessionmaker,
    "redis": Redis,
    "limiter": RateLimiter,
    "cache": RedisCache,
    "notifier": Notifier,
    "hold_locks": HoldLocks,
    "markers": InFlightMarkers,
}


def _shape(infra: Infrastructure) -> dict[str, type]:
    return {f.name: type(getattr(infra, f.name)) for f in fields(infra)}


async def _assert_live(infra: Infrastructure) -> None:
    async with infra.sessionmaker() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert await infra.redis.ping()


def _install_probe(monkeypatch: pytest.MonkeyPatch) -> list[Infrastructure]:
    """A job that records the Infrastructure of the context it runs with (installed after
    the worker is built: it has no schedule)."""
    seen: list[Infrastructure] = []

    async def probe(ctx: dict[str, Any]) -> dict[str, Any]:
        infra = infra_of(ctx)
        await _assert_live(infra)
        seen.append(infra)
        return {}

    monkeypatch.setitem(JOBS, PROBE, Job(PROBE, probe, "records its infrastructure"))
    return seen


async def _through_worker(
    settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> list[Infrastructure]:
    worker = create_worker(settings, clock)
    seen = _install_probe(monkeypatch)
    ctx: dict[str, Any] = {}
    try:
        await worker.on_startup(ctx)  # type: ignore[misc]
        await run_job(PROBE, ctx)
        await worker.on_shutdown(ctx)  # type: ignore[misc]
    finally:
        await worker.close()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # arq's, on the test's shared loop
            loop.remove_signal_handler(signum)
    return seen


async def test_app_worker_and_cli_build_the_same_infrastructure(
    settings: Settings, clock: FrozenClock, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        from_app = app.state.infra
        assert isinstance(from_app, Infrastructure)
        await _assert_live(from_app)
        # No second copy of any collaborator hangs on the app: the infrastructure is the one.
        assert not hasattr(app.state, "redis") and not hasattr(app.state, "notifier")
    probed = await _through_worker(settings, clock, monkeypatch)
    await cli._run_job(settings, PROBE, clock)

    from_worker, from_cli = probed
    for infra in (from_app, from_worker, from_cli):
        assert infra.settings is settings
        assert infra.clock is clock
        for name, expected in EXPECTED_TYPES.items():
            assert isinstance(getattr(infra, name), expected), name
    assert _shape(from_app) == _shape(from_worker) == _shape(from_cli)
    # Three processes' worth of infrastructure: nothing is shared between them.
    assert len({id(from_app.engine), id(from_worker.engine), id(from_cli.engine)}) == 3


def test_a_job_context_without_infrastructure_is_refused() -> None:
    with pytest.raises(TypeError, match="no Infrastructure"):
        infra_of({"settings": object()})
