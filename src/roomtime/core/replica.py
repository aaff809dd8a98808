"""Which database answers a read that tolerates staleness: the streaming replica of
DATABASE_READ_URL when it has replayed far enough, else the primary.

Only reads whose callers say so come here (availability misses, resource lists, a user's
own bookings, reports); the booking write path, its guards and anything under a lock use
the request's primary session and never this module.

Read-your-writes rests on fences (see core.redis.cache): every committed change that is
followed by a cache invalidation records the primary's WAL position after the commit under
the counters it bumps, before it bumps them and before the request that made it answers.
A read asks for the fence of what it shows (`Reads.run(fence, use)`):
- fence None (Redis could not be read, so the fence is unknown): the primary;
- otherwise a replica session that has replayed at least that position, waiting up to
  DATABASE_READ_WAIT_MS for it (polling `pg_last_wal_replay_lsn()`); the check runs in the
  session that then reads, so the read's snapshot is at least as new; still behind at the
  deadline: the primary;
- replica unreachable or failing: the primary, logged once (`read_replica_unavailable`) and
  not tried again for a few seconds, so a dead replica costs one connect timeout, not one
  per request; a query failing on the replica is answered again by the primary.
Without DATABASE_READ_URL everything goes to the primary session, exactly as before.
The metric `roomtime_db_reads_total{target,reason}` counts where each read went.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from roomtime.core import metrics
from roomtime.core.db import create_sessionmaker
from roomtime.core.prepared import Reader

T = TypeVar("T")
# The request's primary: its session, or a bare pooled connection (core.prepared.Reader).
S = TypeVar("S", bound=Reader)

# Positions as byte offsets (numeric): comparable, and storable in Redis as plain numbers.
_CURRENT = text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
_REPLAYED = text("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
_FAILURES = (DBAPIError, OSError, TimeoutError)
_SKIP_AFTER_FAILURE_SECONDS = 5.0
_POLL_SECONDS = 0.01


def _log() -> Any:
    # Looked up when needed: a logger cached at import keeps the configuration of its first use.
    return structlog.get_logger(__name__)


async def wal_position(engine: AsyncEngine) -> int:
    """The primary's WAL write position now. Asked after a commit returned, it is at or past
    that commit's record (synchronous_commit, PostgreSQL's default, flushed it first), on
    any connection: a replica that has replayed this far shows the commit."""
    async with engine.connect() as conn:
        return int(await conn.scalar(_CURRENT))


class ReadReplica:
    """The replica's sessions, and whether it was reachable lately (process-wide)."""

    def __init__(self, engine: AsyncEngine, *, wait_seconds: float) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        self._sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)
        self._down_until = 0.0
        self._degraded = False

    async def session_at(self, fence: int) -> tuple[AsyncSession | None, str]:
        """A replica session that has replayed `fence`, with how it got there (`caught_up`,
        `waited`); or None and why not (`lagging`, `unavailable`, `not_standby`)."""
        if time.monotonic() < self._down_until:
            return None, "unavailable"
        session = self._sessions()
        try:
            reason = await self._wait_for(session, fence)
        except _FAILURES as exc:
            await _close(session)
            self.failed(exc)
            return None, "unavailable"
        self.healthy()
        if reason not in ("caught_up", "waited"):
            await _close(session)
            return None, reason
        return session, reason

    async def _wait_for(self, session: AsyncSession, fence: int) -> str:
        deadline = time.monotonic() + self.wait_seconds
        waited = False
        while True:
            replayed = await session.scalar(_REPLAYED)
            if replayed is None:
                # Not in recovery: a promoted replica or a primary named by mistake. Its
                # data is not known to follow DATABASE_URL's, so it is not read.
                return "not_standby"
            if int(replayed) >= fence:
                return "waited" if waited else "caught_up"
            if time.monotonic() >= deadline:
                return "lagging"
            waited = True
            await asyncio.sleep(_POLL_SECONDS)

    def failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + _SKIP_AFTER_FAILURE_SECONDS
        if not self._degraded:
            self._degraded = True
            _log().warning("read_replica_unavailable", error=type(exc).__name__)

    def healthy(self) -> None:
        if self._degraded:
            self._degraded = False
            _log().info("read_replica_recovered")

    async def dispose(self) -> None:
        await self.engine.dispose()


class Reads(Generic[S]):
    """Per request: the request's primary session (or bare connection, for raw reads only)
    and the process's replica, if any."""

    def __init__(self, primary: S, replica: ReadReplica | None) -> None:
        self.primary = primary
        self.replica = replica

    async def run(self, fence: int | None, use: Callable[[S | AsyncSession], Awaitable[T]]) -> T:
        """`use(session)` on the replica if it has replayed `fence`, else on the primary.

        `use` must only read (the replica refuses writes anyway) and may run twice: once
        on the replica and, if that fails, again on the primary.
        """
        if self.replica is None:
            return await use(self.primary)
        if fence is None:
            return await self._on_primary(use, "no_fence")
        session, reason = await self.replica.session_at(fence)
        if session is None:
            return await self._on_primary(use, reason)
        try:
            try:
                result = await use(session)
            finally:
                await _close(session)
        except _FAILURES as exc:
            # E.g. the replica went away, or cancelled the query for a conflict with replay.
            _log().warning("read_replica_query_failed", error=type(exc).__name__)
            if _connection_lost(exc):
                self.replica.failed(exc)
            return await self._on_primary(use, "failed")
        metrics.read_served("replica", reason)
        return result

    async def run_fenced(
        self,
        fence: Callable[[], Awaitable[int | None]],
        use: Callable[[S | AsyncSession], Awaitable[T]],
    ) -> T:
        """`run`, reading the fence (a Redis round trip) only when there is a replica to
        hold it against: without one every read is the primary's, whatever the fence."""
        if self.replica is None:
            return await use(self.primary)
        return await self.run(await fence(), use)

    async def _on_primary(self, use: Callable[[S | AsyncSession], Awaitable[T]], reason: str) -> T:
        metrics.read_served("primary", reason)
        return await use(self.primary)


def _connection_lost(exc: BaseException) -> bool:
    return not isinstance(exc, DBAPIError) or bool(exc.connection_invalidated)


async def _close(session: AsyncSession) -> None:
    # A session whose connection died cannot roll back cleanly; closing must not mask the
    # fallback to the primary.
    with contextlib.suppress(*_FAILURES):
        await session.close()
