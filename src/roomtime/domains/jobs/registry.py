"""Every periodic job by name: the one list the worker schedules and `roomtime job run` runs.

Each job takes the context of `jobs.context`, opens its own sessions, is idempotent, and
returns a summary of what it changed, which is logged here as one `job_finished` line.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from roomtime.core import metrics
from roomtime.domains.bookings.tasks import (
    reconcile_job,
    release_holds_job,
    remind_upcoming_job,
)
from roomtime.domains.files.tasks import cleanup_uploads_job
from roomtime.domains.notifications.tasks import send_notifications_job
from roomtime.domains.reports.tasks import archive_bookings_job
from roomtime.domains.resources.tasks import extend_slots_job

log = structlog.get_logger(__name__)

JobFunction = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str  # also the schedule's setting: JOBS_<NAME>_CRON
    function: JobFunction
    description: str


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("release-holds", release_holds_job, "expire holds past their TTL, free their slots"),
        Job("reconcile", reconcile_job, "repair slot statuses and seats from the bookings"),
        Job("archive-bookings", archive_bookings_job, "archive ended bookings, utilisation"),
        Job("extend-slots", extend_slots_job, "keep every resource's slot horizon full"),
        Job("remind-upcoming", remind_upcoming_job, "remind of bookings starting soon"),
        Job("cleanup-uploads", cleanup_uploads_job, "remove orphaned files and rows"),
        Job("send-notifications", send_notifications_job, "deliver due outbox messages"),
    )
}


class UnknownJobError(KeyError):
    pass


async def run_job(name: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """Run one job now and log its summary; the worker's scheduled runs come through here."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJobError(name)
    started = time.monotonic()
    # arq's id of a scheduled run (`<prefix>:cron:<job>:<unix ms>`); none for `job run`.
    bound = {"job": name, **({"job_id": ctx["job_id"]} if ctx.get("job_id") else {})}
    with structlog.contextvars.bound_contextvars(**bound):
        try:
            summary = await job.function(ctx)
        except Exception:
            metrics.job_finished(name, time.monotonic() - started, ok=False)
            log.exception("job_failed", duration_ms=_since(started))
            raise
        except BaseException:
            # A cancelled (timed-out) run is a failure too, for the job-failures panel.
            metrics.job_finished(name, time.monotonic() - started, ok=False)
            raise
        metrics.job_finished(name, time.monotonic() - started, ok=True)
        log.info("job_finished", duration_ms=_since(started), **summary)
    return summary


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
