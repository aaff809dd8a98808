"""The nemesis: a schedule of faults drawn from the run's seed, carried out against the
cluster while the clients work, each written down with when it began and ended.

It also supervises, as an init system or compose's restart policy would: a process that
dies on its own is started again, and the death is recorded (a crash is news, not noise).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field

import asyncpg

from tests.nemesis.cluster import Child, Cluster
from tests.nemesis.config import FAULT_KINDS, RunConfig

SUPERVISE_EVERY_SECONDS = 0.25
IN_FLIGHT_WAIT_SECONDS = 1.5


@dataclass
class Fault:
    kind: str
    at: float  # seconds after the workload started, as scheduled
    hold_seconds: float  # how long a pause or an outage lasts
    target: int  # which worker or API process (an index), where it applies
    started: float = 0.0  # wall clock
    ended: float = 0.0
    detail: str = ""


@dataclass
class Crash:
    process: str
    at: float
    returncode: int | None


@dataclass
class Outage:
    """A stretch in which the periodic jobs could not run (no Redis or no worker)."""

    what: str
    started: float
    ended: float


def schedule(config: RunConfig) -> list[Fault]:
    """Every kind once in a seeded order, then more drawn at random, spaced over the run."""
    rng = random.Random(f"nemesis-{config.seed}")
    start = config.quiet_start_seconds
    end = config.duration_seconds - config.quiet_end_seconds
    kinds = list(FAULT_KINDS)
    rng.shuffle(kinds)
    count = max(len(kinds), int((end - start) / config.fault_gap_seconds))
    kinds += [rng.choice(FAULT_KINDS) for _ in range(count - len(kinds))]
    step = (end - start) / len(kinds)
    faults = []
    for n, kind in enumerate(kinds):
        at = start + step * n + rng.uniform(0, step * 0.3)
        hold = rng.uniform(1.0, min(2.5, step * 0.6))
        faults.append(Fault(kind, round(at, 2), round(hold, 2), rng.randrange(2)))
    return faults


@dataclass
class Nemesis:
    cluster: Cluster
    faults: list[Fault]
    in_flight: list[dict[str, int]]  # the clients' requests under way, per API URL
    crashes: list[Crash] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    _busy: set[str] = field(default_factory=set)  # processes down or starting again
    _restarts: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, t0: float) -> None:
        for fault in self.faults:
            await asyncio.sleep(max(0.0, t0 + fault.at - time.time()))
            fault.started = time.time()
            await getattr(self, f"_{fault.kind}")(fault)
            fault.ended = time.time()

    # --- faults -----------------------------------------------------------------------

    async def _redis_pause(self, fault: Fault) -> None:
        self.cluster.redis.pause()
        await asyncio.sleep(fault.hold_seconds)
        self.cluster.redis.resume()
        self.outages.append(Outage("redis paused", fault.started, time.time()))
        fault.detail = f"SIGSTOP for {fault.hold_seconds:.1f}s"

    async def _redis_flush(self, fault: Fault) -> None:
        await asyncio.to_thread(self.cluster.redis.flush)
        fault.detail = "FLUSHALL"

    async def _redis_restart(self, fault: Fault) -> None:
        redis = self.cluster.redis
        redis.kill()
        await asyncio.sleep(min(fault.hold_seconds, 1.0))
        await asyncio.to_thread(redis.start)
        self.outages.append(Outage("redis restarting", fault.started, time.time()))
        fault.detail = "SIGKILL, then an empty server on the same port"

    async def _worker_kill(self, fault: Fault) -> None:
        await self._kill_and_restart(self.cluster.workers, fault)

    async def _api_kill(self, fault: Fault) -> None:
        await self._kill_and_restart(self.cluster.apis, fault)

    async def _pg_terminate(self, fault: Fault) -> None:
        conn = await asyncpg.connect(self.cluster.database.admin_dsn)
        try:
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.cluster.database.name,
            )
        finally:
            await conn.close()
        fault.detail = f"{sum(1 for r in rows if r[0])} backend(s) terminated"

    async def _kill_and_restart(self, children: list[Child], fault: Fault) -> None:
        """SIGKILL one of `children` (an API process at a moment when clients are waiting
        on it) and start it again after the fault's hold time, without holding up the
        schedule: the next fault may come while it is still starting."""
        up = [c for c in children if c.name not in self._busy]
        if not up:
            fault.detail = "skipped: every one of them is down already"
            return
        child = up[fault.target % len(up)]
        note = ""
        if child.port is not None:
            url = self.cluster.api_url(child)
            for _ in range(int(IN_FLIGHT_WAIT_SECONDS / 0.005)):
                if sum(c.get(url, 0) for c in self.in_flight):
                    break
                await asyncio.sleep(0.005)
            note = f" ({sum(c.get(url, 0) for c in self.in_flight)} request(s) in flight)"
        self._busy.add(child.name)
        child.kill()
        fault.detail = f"SIGKILL {child.name}{note}"
        self._track(self._restart_later(child, fault.hold_seconds))

    async def _restart_later(self, child: Child, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            self.cluster.start_child(child)
            await asyncio.to_thread(self.cluster.wait_ready, child)
        finally:
            self._busy.discard(child.name)

    def _track(self, coroutine: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    # --- supervision --------------------------------------------------------------------

    async def supervise(self) -> None:
        """Restart a process that died without the nemesis killing it, and keep the
        stretches in which no worker (or no Redis) could run the periodic jobs."""
        no_worker_since: float | None = None
        while True:
            for child in self.cluster.children:
                if child.name in self._busy or child.alive or child.proc is None:
                    continue
                self.crashes.append(Crash(child.name, time.time(), child.proc.returncode))
                self._busy.add(child.name)
                self._track(self._restart_later(child, 0.0))
            # A worker counts once it is running its schedule, not while it starts.
            alive = any(w.alive and w.name not in self._busy for w in self.cluster.workers)
            if not alive and no_worker_since is None:
                no_worker_since = time.time()
            elif alive and no_worker_since is not None:
                self.outages.append(Outage("no worker running", no_worker_since, time.time()))
                no_worker_since = None
            await asyncio.sleep(SUPERVISE_EVERY_SECONDS)

    async def heal(self) -> None:
        """Everything up again: Redis answering, every process running."""
        redis = self.cluster.redis
        redis.resume()
        if redis.proc is None or redis.proc.poll() is not None:
            await asyncio.to_thread(redis.start)
        while self._restarts:
            await asyncio.gather(*self._restarts, return_exceptions=True)
        for child in self.cluster.children:
            if not child.alive:
                self.cluster.start_child(child)
                await asyncio.to_thread(self.cluster.wait_ready, child)
