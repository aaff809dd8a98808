"""Process-wide Prometheus metrics beside the API's HTTP ones: booking transitions, job runs,
the outbox backlog, cache lookups and whether Redis and PostgreSQL answer.

Booking and cache counters are incremented wherever the code runs (API or worker); each
process exposes what it counted. With several processes behind one port (`roomtime api
--workers N`), prometheus_client's multiprocess mode is used: PROMETHEUS_MULTIPROC_DIR names
a directory every process writes its values to, and a scrape of any one of them sums them
all. That variable must be set before this module is first imported, which `roomtime api`
does for its workers.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):
    # In multiprocess mode each metric below opens its file there as it is made.
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

REGISTRY = CollectorRegistry(auto_describe=True)

BOOKING_EVENTS = Counter(
    "roomtime_booking_events_total",
    "Committed booking transitions: hold, confirm, cancel, expire",
    ["event"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "roomtime_job_runs_total",
    "Job runs by job and outcome (success or failure)",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "roomtime_job_duration_seconds",
    "How long each job run took",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "roomtime_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run (the worker's start until it first runs)",
    ["job"],
    multiprocess_mode="max",
    registry=REGISTRY,
)
JOB_INTERVAL = Gauge(
    "roomtime_job_schedule_interval_seconds",
    "The longest gap between two scheduled runs of the job (from its JOBS_*_CRON)",
    ["job"],
    multiprocess_mode="max",
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "roomtime_outbox_pending_messages",
    "Outbox messages not yet delivered",
    multiprocess_mode="max",
    registry=REGISTRY,
)
OUTBOX_OLDEST_AGE = Gauge(
    "roomtime_outbox_oldest_pending_age_seconds",
    "Age of the oldest undelivered outbox message (0 when there is none)",
    multiprocess_mode="max",
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "roomtime_cache_lookups_total",
    "Read-through cache lookups by result (hit or miss)",
    ["result"],
    registry=REGISTRY,
)
READS = Counter(
    "roomtime_db_reads_total",
    "Reads that may use the read replica, by the database that answered (replica or "
    "primary) and why; counted only while DATABASE_READ_URL is set",
    ["target", "reason"],
    registry=REGISTRY,
)
DEPENDENCY_UP = Gauge(
    "roomtime_dependency_up",
    "1 when the dependency answered the process's last check, else 0",
    ["dependency"],
    multiprocess_mode="livemin",
    registry=REGISTRY,
)

BOOKING_EVENT_NAMES = ("hold", "confirm", "cancel", "expire")
DEPENDENCIES = ("database", "redis")

# Every series a dashboard shows exists from the start, at zero, rather than appearing
# with the first event (a rate over a missing series is no data, not 0).
for _event in BOOKING_EVENT_NAMES:
    BOOKING_EVENTS.labels(_event)
for _result in ("hit", "miss"):
    CACHE_LOOKUPS.labels(_result)


def booking_event(event: str, count: int = 1) -> None:
    BOOKING_EVENTS.labels(event).inc(count)


# Every cached read counts one of these; `labels()` hashes and locks on each call.
_CACHE_HIT, _CACHE_MISS = CACHE_LOOKUPS.labels("hit"), CACHE_LOOKUPS.labels("miss")


def cache_lookup(hit: bool) -> None:
    (_CACHE_HIT if hit else _CACHE_MISS).inc()


def read_served(target: str, reason: str) -> None:
    READS.labels(target, reason).inc()


def dependency_state(name: str, up: bool) -> None:
    DEPENDENCY_UP.labels(name).set(1 if up else 0)


def job_scheduled(job: str, interval_seconds: float, now: float | None = None) -> None:
    """Announce a scheduled job: its interval, and a last success of now, so a job that never
    runs after a start is as late as one that stopped running."""
    JOB_INTERVAL.labels(job).set(interval_seconds)
    JOB_LAST_SUCCESS.labels(job).set(time.time() if now is None else now)
    for outcome in ("success", "failure"):
        JOB_RUNS.labels(job, outcome)


def job_finished(job: str, seconds: float, *, ok: bool) -> None:
    JOB_RUNS.labels(job, "success" if ok else "failure").inc()
    JOB_DURATION.labels(job).observe(seconds)
    if ok:
        JOB_LAST_SUCCESS.labels(job).set_to_current_time()


def outbox_backlog(pending: int, oldest_age_seconds: float) -> None:
    OUTBOX_PENDING.set(pending)
    OUTBOX_OLDEST_AGE.set(oldest_age_seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(path: Path) -> None:
    """An empty directory for a new set of processes: values left by a previous run would
    otherwise be added to this one's."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def exposition(*registries: CollectorRegistry) -> bytes:
    """The text a scrape gets: in multiprocess mode every process's values, summed (they
    include `registries`, whose values live in the same files); else these registries and
    the process-wide one."""
    if multiprocess_dir():
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return generate_latest(merged)
    return b"".join(generate_latest(r) for r in (*registries, REGISTRY))
