"""The job worker: arq runs the registry's periodic jobs on their JOBS_*_CRON schedules.

Any number of workers may run against one Redis: arq gives each scheduled run a
deterministic id and lets one worker enqueue and start it, and every job is idempotent
besides, so a duplicate could change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from arq.cron import CronJob
from arq.worker import Function, Worker, func
from prometheus_client import start_http_server
from sqlalchemy.exc import SQLAlchemyError

# Every domain's tables in the metadata: a job flushes rows whose foreign keys point at
# tables of domains this process never imports otherwise (`booking.event_id`).
from roomtime import models as _all_models  # noqa: F401
from roomtime._embedded_bin import death_signal_preexec
from roomtime.core import metrics, queue
from roomtime.core.clock import Clock, utcnow
from roomtime.core.cron import Schedule, parse_schedule
from roomtime.core.redis.client import ping
from roomtime.core.tasks import cancel_and_wait
from roomtime.domains.jobs.context import bind_infrastructure
from roomtime.domains.jobs.registry import JOBS, JobFunction, run_job
from roomtime.domains.notifications import service as notifications_service
from roomtime.infrastructure import Infrastructure, open_infrastructure
from roomtime.settings import Settings

log = structlog.get_logger(__name__)

STOP_TIMEOUT_SECONDS = 20


def _runner(name: str) -> JobFunction:
    async def run(ctx: dict[str, Any]) -> dict[str, Any]:
        return await run_job(name, ctx)

    run.__qualname__ = f"run_{name.replace('-', '_')}"
    return run


async def _run_named(ctx: dict[str, Any], name: str) -> dict[str, Any]:
    """Enqueued by hand (`enqueue_job("<prefix>:run-job", "reconcile")`): run a job now."""
    return await run_job(name, ctx)


def longest_gap_seconds(schedule: Schedule, max_runs: int = 5000) -> float:
    """The longest wait between two scheduled times over eight days (enough to see a
    weekend): what the alert on a late job compares the time since its last success with.
    Walks minutes rather than asking arq for each next time, which takes seconds per job."""

    def matches(values: frozenset[int] | None, value: int) -> bool:
        return values is None or value in values

    seconds = sorted(schedule.second) if schedule.second is not None else list(range(60))
    minute = datetime(2026, 1, 1, tzinfo=UTC)
    times: list[float] = []
    for _ in range(8 * 24 * 60):
        if (
            matches(schedule.minute, minute.minute)
            and matches(schedule.hour, minute.hour)
            and matches(schedule.day, minute.day)
            and matches(schedule.month, minute.month)
            and matches(schedule.weekday, minute.weekday())
        ):
            base = minute.timestamp()
            times.extend(base + second for second in seconds)
            if len(times) > max_runs:
                break
        minute += timedelta(minutes=1)
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def cron_jobs(settings: Settings) -> list[CronJob]:
    prefix = settings.redis.redis_key_prefix
    jobs = []
    for name in JOBS:
        schedule = parse_schedule(settings.jobs.schedule(name))
        if schedule is not None:
            metrics.job_scheduled(name, longest_gap_seconds(schedule))
            jobs.append(
                queue.cron_job(
                    prefix,
                    name,
                    _runner(name),
                    schedule,
                    timeout_seconds=settings.jobs.jobs_timeout_seconds,
                )
            )
    return jobs


def create_worker(settings: Settings, clock: Clock = utcnow) -> Worker:
    """A worker for the running event loop (arq binds its signal handlers to it)."""
    if not settings.redis.redis_url:
        raise RuntimeError("REDIS_URL is not set (roomtime dev starts an embedded one)")
    prefix = settings.redis.redis_key_prefix
    scheduled = cron_jobs(settings)
    # arq opens and closes the context in two callbacks; the stack spans them.
    resources = contextlib.AsyncExitStack()

    async def startup(ctx: dict[str, Any]) -> None:
        infra = await resources.enter_async_context(open_infrastructure(settings, clock))
        bind_infrastructure(ctx, infra)
        resources.enter_context(_metrics_endpoint(settings))
        sampler = asyncio.create_task(_sample_forever(infra))
        resources.push_async_callback(cancel_and_wait, sampler)
        log.info("worker_started", pid=os.getpid(), jobs=[j.name for j in scheduled])

    async def shutdown(ctx: dict[str, Any]) -> None:
        await resources.aclose()
        log.info("worker_stopped", pid=os.getpid())

    on_demand: Function = func(_run_named, name=f"{prefix}:run-job")
    return Worker(
        functions=[on_demand],
        cron_jobs=scheduled,
        redis_settings=queue.redis_settings(
            settings.redis.redis_url, timeout_seconds=settings.redis.redis_socket_timeout_seconds
        ),
        queue_name=queue.queue_name(prefix),
        health_check_key=queue.health_check_key(prefix),
        on_startup=startup,
        on_shutdown=shutdown,
        job_timeout=settings.jobs.jobs_timeout_seconds,
        max_tries=1,
        timezone=UTC,  # schedules are UTC whatever the machine's zone
        handle_signals=True,
    )


@contextlib.contextmanager
def _metrics_endpoint(settings: Settings) -> Iterator[None]:
    """The worker's own /metrics, served from a thread so a busy job never delays a scrape."""
    port = settings.jobs.worker_metrics_port
    if not port:
        yield
        return
    try:
        server, thread = start_http_server(
            port, addr=settings.jobs.worker_metrics_host, registry=metrics.REGISTRY
        )
    except OSError as exc:
        # Jobs matter more than their metrics: a taken port is reported, not fatal.
        log.error("worker_metrics_unavailable", port=port, error=str(exc))
        yield
        return
    log.info("worker_metrics_listening", host=settings.jobs.worker_metrics_host, port=port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def sample_gauges(infra: Infrastructure) -> None:
    """Refresh the outbox backlog and the dependency gauges once."""
    try:
        async with infra.sessionmaker() as session:
            backlog = await notifications_service.outbox_backlog(session, infra.clock())
    except (SQLAlchemyError, OSError) as exc:
        log.warning("metrics_sample_database_down", error=type(exc).__name__)
        metrics.dependency_state("database", up=False)
    else:
        metrics.dependency_state("database", up=True)
        metrics.outbox_backlog(backlog.pending, backlog.oldest_age_seconds)
    metrics.dependency_state("redis", up=await ping(infra.redis))


async def _sample_forever(infra: Infrastructure) -> None:
    interval = infra.settings.jobs.worker_metrics_interval_seconds
    while True:
        try:
            await sample_gauges(infra)
        except Exception:
            # A gauge left stale is better than a worker stopped by its own instrumentation.
            log.exception("metrics_sample_failed")
        await asyncio.sleep(interval)


async def serve(settings: Settings, clock: Clock = utcnow) -> None:
    """Run until SIGINT/SIGTERM; jobs in flight are cancelled, then resources closed."""
    worker = create_worker(settings, clock)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        pass  # arq's signal handler cancels its main task: a normal stop
    finally:
        await worker.close()


def run(settings: Settings) -> None:
    asyncio.run(serve(settings))


@contextlib.contextmanager
def worker_subprocess() -> Iterator[subprocess.Popen[bytes]]:
    """`roomtime worker` as a child of `roomtime dev`, with the same environment.

    Its own session keeps a terminal Ctrl-C from reaching it before the API has stopped;
    the parent-death signal stops it even if `roomtime dev` is killed outright.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "roomtime", "worker"],
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=death_signal_preexec(signal.SIGTERM),
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
