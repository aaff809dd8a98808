"""A small read-through JSON cache on Redis, safe against stale writes.

When Redis is unavailable, nothing fails: a read is a miss, a write or an invalidation is a
no-op, and the caller answers from PostgreSQL (the source of truth). The first failure after
a healthy period is logged once as a warning (`cache_unavailable`), the recovery once at info,
so an outage does not flood the log. For a few seconds after a failure reads and writes do
not even try Redis, so a hanging server costs one socket timeout, not one per request;
invalidations always try. An invalidation lost to an outage is bounded by the entry's TTL.

Generations close the classic read-through race (reader loads old rows, writer commits and
invalidates, reader then stores the old rows): an entry is stored with the values of its
generation counters as read *before* the database query, and a read is a hit only while those
counters are unchanged. An invalidation increments the counters (and deletes the entry), so a
late write from before it is never served.

Fences extend that to reads from a lagging replica (core.replica). Beside each counter `G`
lives `G:lsn`, the primary's WAL position once the change behind the counter's last bump
had committed. An invalidation raises those fences (never lowers them: a slow hook of an
older commit must not undo a newer one) in the same pipeline and *before* it bumps the
counters, so whoever reads the new counter values (one MGET) also reads the fence they need.
A miss hands its caller that fence with the stamp (`Lookup.fence`): an answer may be written
back under the stamp only if it was read from a database that had replayed at least that far.
When the WAL position cannot be had, the fence is set to `FENCE_UNKNOWN`, which no replica
reaches: the data set is read from the primary until the fence expires with its counter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomtime.core import metrics
from roomtime.core.redis.autopipeline import AutoPipeline
from roomtime.core.redis.keys import Keys

_FAILURES = (RedisError, OSError, TimeoutError)
_SKIP_AFTER_FAILURE_SECONDS = 3.0
# A counter must outlive every entry stamped with it (TTL <= 120 s plus the query time); a
# counter that expires restarts at 0, which no live entry carries any more.
GENERATION_TTL_SECONDS = 86_400
# Above any real WAL position and exact as a Lua number (a double), which compares fences.
FENCE_UNKNOWN = 2**62

# KEYS[1] the fence, ARGV[1] a WAL position, ARGV[2] the TTL: keep the higher position.
_RAISE_FENCE = """
local current = tonumber(redis.call('get', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > current then
    redis.call('set', KEYS[1], ARGV[1], 'ex', ARGV[2])
else
    redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""

WalPosition = Callable[[], Awaitable[int]]

Stamp = tuple[int, ...]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A value and where it came from: a hit, a miss, or None when it is never cached."""

    value: T
    hit: bool | None

    @property
    def header(self) -> str | None:
        """The `X-Cache` response header value, if any."""
        if self.hit is None:
            return None
        return "HIT" if self.hit else "MISS"


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of a read: the value on a hit, and the stamp to write back on a miss.

    `stamp` is None when Redis could not be read: the caller must not write then.
    """

    hit: bool
    value: Any = None
    stamp: Stamp | None = None
    # For entries stored as bytes: what the writer said about them besides the body.
    meta: dict[str, Any] | None = None
    # The WAL position a replica must have replayed for its answer to be written back under
    # `stamp` (0: no recorded change); None, like `stamp`, when Redis could not be read.
    fence: int | None = None


@dataclass(frozen=True, slots=True)
class _Raw:
    stamp: Stamp
    fence: int
    entry: Any


class Cache(Protocol):
    """What domains see of the cache; injected through a dependency."""

    keys: Keys

    async def read(self, key: str, generations: Sequence[str] = ()) -> Lookup: ...

    async def write(self, key: str, value: Any, ttl_seconds: int, stamp: Stamp | None) -> None: ...

    async def read_bytes(self, key: str, generations: Sequence[str] = ()) -> Lookup: ...

    async def write_bytes(
        self,
        key: str,
        body: bytes,
        meta: dict[str, Any],
        ttl_seconds: int,
        stamp: Stamp | None,
    ) -> None: ...

    async def invalidate(
        self, *, keys: Sequence[str] = (), generations: Sequence[str] = ()
    ) -> None: ...

    async def fence(self, generations: Sequence[str]) -> int | None: ...


class RedisCache:
    """`wal_position` reads the primary's current WAL position; given, every invalidation
    raises the fences of its counters (the app always gives it, see infrastructure).
    Commands go through `commands`, shared with the process's other Redis concerns so
    concurrent requests' commands share round trips (core.redis.autopipeline)."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        wal_position: WalPosition | None = None,
        *,
        commands: AutoPipeline | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self._commands = commands or AutoPipeline(redis)
        self._wal_position = wal_position
        self._degraded = False
        self._skip_until = 0.0

    async def read(self, key: str, generations: Sequence[str] = ()) -> Lookup:
        lookup = await self._read(key, generations)
        metrics.cache_lookup(lookup.hit)
        return lookup

    async def _read(self, key: str, generations: Sequence[str]) -> Lookup:
        raw = await self._mget(key, generations)
        if raw is None:
            return Lookup(hit=False)
        stamp = raw.stamp
        entry = _decode(raw.entry)
        if entry is None or entry.get("s") != list(stamp):
            return Lookup(hit=False, stamp=stamp, fence=raw.fence)
        return Lookup(hit=True, value=entry.get("v"), stamp=stamp, fence=raw.fence)

    async def write(self, key: str, value: Any, ttl_seconds: int, stamp: Stamp | None) -> None:
        payload = json.dumps({"s": list(stamp or ()), "v": value}, separators=(",", ":"))
        await self._set(key, payload.encode(), ttl_seconds, stamp)

    async def _mget(self, key: str, generations: Sequence[str]) -> _Raw | None:
        """The counters, their fences and the entry in one round trip; None if Redis failed.

        Without a replica (no `wal_position`) no fence is ever raised, so none is read: the
        lookup's fence is 0, which nothing but a replica read looks at."""
        fences = [self.keys.fence(g) for g in generations] if self._wal_position else []
        values = await self._mget_values([*generations, *fences, key])
        if values is None:
            return None
        count = len(generations)
        return _Raw(
            stamp=_numbers(values[:count]),
            fence=max(_numbers(values[count : count + len(fences)]), default=0),
            entry=values[-1],
        )

    async def _mget_values(self, keys: Sequence[str]) -> list[Any] | None:
        if self._skipping():
            return None
        try:
            raw = await self._commands.execute("MGET", *keys)
        except _FAILURES as exc:
            self._failed("read", exc)
            return None
        self._healthy()
        return list(raw)

    async def fence(self, generations: Sequence[str]) -> int | None:
        """The highest fence of these counters (0 if none was raised); None if Redis failed,
        which must send the read to the primary."""
        if not generations:
            return 0
        values = await self._mget_values([self.keys.fence(g) for g in generations])
        return None if values is None else max(_numbers(values))

    async def _set(self, key: str, payload: bytes, ttl_seconds: int, stamp: Stamp | None) -> None:
        if stamp is None or ttl_seconds < 1 or self._skipping():
            return
        try:
            await self._commands.execute("SET", key, payload, "EX", ttl_seconds)
        except _FAILURES as exc:
            self._failed("write", exc)
            return
        self._healthy()

    async def read_bytes(self, key: str, generations: Sequence[str] = ()) -> Lookup:
        """Like `read`, for an entry stored with `write_bytes`: on a hit `value` is the body
        exactly as written (no JSON parsing of it) and `meta` what came with it."""
        lookup = await self._read_bytes(key, generations)
        metrics.cache_lookup(lookup.hit)
        return lookup

    async def _read_bytes(self, key: str, generations: Sequence[str]) -> Lookup:
        raw = await self._mget(key, generations)
        if raw is None:
            return Lookup(hit=False)
        stamp, entry = raw.stamp, raw.entry
        if entry is None:
            return Lookup(hit=False, stamp=stamp, fence=raw.fence)
        data = entry.encode() if isinstance(entry, str) else entry
        header, sep, body = data.partition(b"\n")
        head = _decode(header) if sep else None
        if head is None or head.get("s") != list(stamp):
            return Lookup(hit=False, stamp=stamp, fence=raw.fence)
        meta = head.get("m") or {}
        return Lookup(hit=True, value=body, stamp=stamp, meta=meta, fence=raw.fence)

    async def write_bytes(
        self,
        key: str,
        body: bytes,
        meta: dict[str, Any],
        ttl_seconds: int,
        stamp: Stamp | None,
    ) -> None:
        # One line of JSON header (json.dumps never emits a raw newline), then the body.
        header = json.dumps({"s": list(stamp or ()), "m": meta}, separators=(",", ":"))
        await self._set(key, header.encode() + b"\n" + body, ttl_seconds, stamp)

    async def invalidate(
        self, *, keys: Sequence[str] = (), generations: Sequence[str] = ()
    ) -> None:
        if not keys and not generations:
            return
        position = await self._position() if generations else None
        commands: list[tuple[Any, ...]] = []
        # Fences first: a reader that sees a bumped counter must also see its fence (the
        # commands go contiguous and in this order, in one round trip).
        for generation in generations if position is not None else ():
            fence = self.keys.fence(generation)
            commands.append(("EVAL", _RAISE_FENCE, 1, fence, position, GENERATION_TTL_SECONDS))
        for generation in generations:
            commands.append(("INCR", generation))
            commands.append(("EXPIRE", generation, GENERATION_TTL_SECONDS))
        if keys:
            commands.append(("DEL", *keys))
        try:
            await self._commands.execute_all(commands)
        except _FAILURES as exc:
            self._failed("invalidate", exc)
            return
        self._healthy()

    async def _position(self) -> int | None:
        if self._wal_position is None:
            return None
        try:
            return await self._wal_position()
        # Whatever failed (pool, network, server), the fence must still be raised.
        except Exception as exc:  # noqa: BLE001
            _log().warning("fence_position_unavailable", error=type(exc).__name__)
            return FENCE_UNKNOWN

    def _skipping(self) -> bool:
        return self._degraded and time.monotonic() < self._skip_until

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._skip_until = time.monotonic() + _SKIP_AFTER_FAILURE_SECONDS
        if not self._degraded:
            self._degraded = True
            _log().warning("cache_unavailable", operation=operation, error=type(exc).__name__)

    def _healthy(self) -> None:
        if self._degraded:
            self._degraded = False
            _log().info("cache_recovered")


def _log() -> Any:
    # Looked up when needed (rarely): a logger cached at import would keep whatever logging
    # configuration was current on its first use.
    return structlog.get_logger(__name__)


def _numbers(raw: Sequence[Any]) -> Stamp:
    return tuple(int(v) if v is not None else 0 for v in raw)


def _decode(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
