"""What a run does: everything derives from these values and the seed."""

from __future__ import annotations

from dataclasses import dataclass

FAULT_KINDS = (
    "redis_pause",  # SIGSTOP the Redis server for a few seconds, then SIGCONT
    "redis_flush",  # FLUSHALL: locks, in-flight markers, rate counters and the queue gone
    "redis_restart",  # SIGKILL Redis and start an empty one on the same port
    "worker_kill",  # SIGKILL a worker, start it again a moment later
    "pg_terminate",  # pg_terminate_backend on every connection to the run's database
    "api_kill",  # SIGKILL an API process while it serves requests, start it again
)


@dataclass(frozen=True)
class RunConfig:
    seed: int = 1
    duration_seconds: float = 90.0  # the workload; healing and checking come after
    clients: int = 8
    api_processes: int = 2
    worker_processes: int = 2
    database_name: str = "roomtime_nemesis"
    # The PostgreSQL server to create that database on; None: TEST_DATABASE_URL or
    # DATABASE_URL, else an embedded one.
    server_url: str | None = None
    hold_ttl_seconds: int = 3
    # Events count their booking TTL in whole minutes (1 at least): their pending bookings
    # expire within a run only when it lasts longer than that.
    event_ttl_minutes: int = 1
    event_seats: int = 5
    rooms: int = 2
    slots_per_room: int = 6  # hourly slots tomorrow that every client competes for
    sweep_interval_seconds: float = 1.0  # release-holds and send-notifications: every second
    # What a sweep may take beyond its interval on a loaded machine (the job's own run,
    # the worker's poll): "released within its TTL plus one sweep" allows for it.
    sweep_grace_seconds: float = 2.0
    fault_gap_seconds: float = 3.0  # the mean time between two faults
    quiet_start_seconds: float = 2.0  # no fault before this, nor in the last stretch
    quiet_end_seconds: float = 3.0
    heal_timeout_seconds: float = 30.0

    @classmethod
    def short(cls, seed: int = 1, **overrides: object) -> RunConfig:
        """The suite's run: every fault kind at least once in about half a minute."""
        values: dict[str, object] = {
            "seed": seed,
            "duration_seconds": 20.0,
            "clients": 5,
            "fault_gap_seconds": 2.5,
            "heal_timeout_seconds": 15.0,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
