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
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomtime.core import metrics
from roomtime.core.redis.keys import Keys

_FAILURES = (RedisError, OSError, TimeoutError)
_SKIP_AFTER_FAILURE_SECONDS = 3.0
# A counter must outlive every entry stamped with it (TTL <= 120 s plus the query time); a
# counter that expires restarts at 0, which no live entry carries any more.
GENERATION_TTL_SECONDS = 86_400

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


class RedisCache:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
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
        stamp = _stamp(raw)
        entry = _decode(raw[-1])
        if entry is None or entry.get("s") != list(stamp):
            return Lookup(hit=False, stamp=stamp)
        return Lookup(hit=True, value=entry.get("v"), stamp=stamp)

    async def write(self, key: str, value: Any, ttl_seconds: int, stamp: Stamp | None) -> None:
        payload = json.dumps({"s": list(stamp or ()), "v": value}, separators=(",", ":"))
        await self._set(key, payload.encode(), ttl_seconds, stamp)

    async def _mget(self, key: str, generations: Sequence[str]) -> list[Any] | None:
        """The generation counters and the entry in one round trip; None if Redis failed."""
        if self._skipping():
            return None
        try:
            raw = await self.redis.mget([*generations, key])
        except _FAILURES as exc:
            self._failed("read", exc)
            return None
        self._healthy()
        return list(raw)

    async def _set(self, key: str, payload: bytes, ttl_seconds: int, stamp: Stamp | None) -> None:
        if stamp is None or ttl_seconds < 1 or self._skipping():
            return
        try:
            await self.redis.set(key, payload, ex=ttl_seconds)
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
        stamp = _stamp(raw)
        entry = raw[-1]
        if entry is None:
            return Lookup(hit=False, stamp=stamp)
        data = entry.encode() if isinstance(entry, str) else entry
        header, sep, body = data.partition(b"\n")
        head = _decode(header) if sep else None
        if head is None or head.get("s") != list(stamp):
            return Lookup(hit=False, stamp=stamp)
        return Lookup(hit=True, value=body, stamp=stamp, meta=head.get("m") or {})

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
        pipe = self.redis.pipeline(transaction=False)
        for generation in generations:
            pipe.incr(generation)
            pipe.expire(generation, GENERATION_TTL_SECONDS)
        if keys:
            pipe.delete(*keys)
        try:
            await pipe.execute()
        except _FAILURES as exc:
            self._failed("invalidate", exc)
            return
        self._healthy()

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


def _stamp(raw: Sequence[Any]) -> Stamp:
    return tuple(int(v) if v is not None else 0 for v in raw[:-1])


def _decode(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
