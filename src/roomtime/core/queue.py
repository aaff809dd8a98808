"""The job queue: arq on the shared Redis.

Every name arq writes is derived from REDIS_KEY_PREFIX, so several deployments (or test
runs) can share one Redis without running each other's jobs: the queue, the health key and
each cron job's name, which arq builds its per-run job ids from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from arq.connections import RedisSettings
from arq.cron import CronJob, cron

from roomtime.core.cron import Schedule
from roomtime.core.redis.client import retry_until_answered

JobCoroutine = Callable[[dict[str, Any]], Awaitable[Any]]

# arq keeps a finished cron run's "in progress" marker only 60 s. Keeping the result longer
# means a worker that fell behind cannot enqueue (and so run) an already finished run again.
CRON_RESULT_TTL_SECONDS = 3600


def redis_settings(url: str, *, timeout_seconds: float) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    if settings.password:
        settings.password = unquote(settings.password)
    if settings.username:
        settings.username = unquote(settings.username)
    settings.conn_timeout = max(1, round(timeout_seconds))
    # arq's poll loop has no error handling of its own: one failed Redis call ended the
    # worker process, so a Redis restart stopped every job for good. Retried until Redis
    # answers, an outage is a pause in the schedule instead.
    settings.retry, settings.retry_on_error = retry_until_answered()
    return settings


def queue_name(prefix: str) -> str:
    return f"{prefix}:arq:queue"


def health_check_key(prefix: str) -> str:
    return f"{prefix}:arq:health-check"


def cron_name(prefix: str, job: str) -> str:
    """arq names each scheduled run `<this>:<unix ms>`: with the prefix in it, two
    deployments on one Redis never mistake each other's run for their own."""
    return f"{prefix}:cron:{job}"


def cron_job(
    prefix: str, job: str, coroutine: JobCoroutine, schedule: Schedule, *, timeout_seconds: int
) -> CronJob:
    """A periodic job that runs once per scheduled time however many workers are running:
    arq gives each run a deterministic id, and only one worker can enqueue and start it."""
    return cron(
        coroutine,  # type: ignore[arg-type]
        name=cron_name(prefix, job),
        unique=True,
        timeout=timeout_seconds,
        keep_result=CRON_RESULT_TTL_SECONDS,
        max_tries=1,  # the next scheduled run is the retry; each job is idempotent
        **schedule.as_kwargs(),  # type: ignore[arg-type]
    )
