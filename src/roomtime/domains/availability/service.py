"""Availability of a local day, read through the Redis cache, and its invalidation (R-21/22).

Cache design:
- The entry `avail:{resource_id}:{YYYY-MM-DD}` (behind the configured key prefix) holds the
  day's answer, stamped with two generation counters read before the database query: the
  resource's (`avail:{resource_id}:gen`) and the day's (`avail:{resource_id}:{day}:gen`).
  It is a hit only while both are unchanged (see core.redis.cache for why).
- `invalidate_availability(cache, resource_id, days)` bumps the counters of those days and
  deletes their entries; with `days=None` it bumps the resource's counter, which turns every
  cached day of the resource into a miss at once, without scanning the key space.
- Writers register it with `invalidate_availability_on_commit(...)`: it runs only after their
  transaction commits, so an aborted one never invalidates and a committed one always does.
- TTL: the configured 30–120 s, cut short so an entry never outlives a change that happens by
  itself: the earliest expiry of a live hold in that day (its slots become available then,
  R-14) and the end of the earliest listed slot (it stops being available). Under a second
  the answer is not cached at all.
- Redis down: reads come from PostgreSQL, nothing is cached (core.redis.cache).
- A miss may be answered by the read replica (core.replica), but only by one that has
  replayed the day's fence, read with the stamp: what it writes back is never older than a
  change whose invalidation the stamp already reflects.
- A hit costs one Redis round trip and no PostgreSQL: the entry holds the JSON body as it
  was sent and whether the resource was active then (a deactivated resource is for admins
  only); any change of the resource bumps its generation, so that flag is never staler than
  the entry itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.prepared import Reader
from roomtime.core.redis.cache import Cache, Cached, Lookup
from roomtime.domains.availability.schemas import AvailabilityRead
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.service import AvailableSlot


def _generations(cache: Cache, resource_id: int, day: date) -> list[str]:
    keys = cache.keys
    return [
        keys.availability_generation(resource_id),
        keys.availability_generation(resource_id, day),
    ]


def _ttl_seconds(found: slots_service.DayAvailability, now: datetime, configured: int) -> int:
    limits = [float(configured)]
    if found.next_hold_expiry is not None:
        limits.append((found.next_hold_expiry - now).total_seconds())
    if found.slots:
        # A slot leaves the list when it starts: the cached day must not outlive that.
        limits.append((min(s.starts_at for s in found.slots) - now).total_seconds())
    return math.floor(min(limits))


@dataclass(frozen=True, slots=True)
class DayLookup:
    """A cached day, or on a miss what a later `answer_day` must write back."""

    key: str
    lookup: Lookup

    @property
    def hit(self) -> bool:
        return self.lookup.hit

    @property
    def body(self) -> bytes:
        return self.lookup.value if self.lookup.hit else b""

    @property
    def fence(self) -> int | None:
        """How far a replica must have replayed to answer this miss (core.replica)."""
        return self.lookup.fence

    @property
    def resource_generation(self) -> int | None:
        """The resource's generation counter as this lookup read it (None: Redis failed)."""
        stamp = self.lookup.stamp
        return None if stamp is None else stamp[0]

    @property
    def resource_active(self) -> bool:
        return bool((self.lookup.meta or {}).get("active"))


async def lookup_day(cache: Cache, resource_id: int, day: date) -> DayLookup:
    """The cached answer for the resource's local `day`, in one Redis round trip."""
    key = cache.keys.availability(resource_id, day)
    return DayLookup(key, await cache.read_bytes(key, _generations(cache, resource_id, day)))


def day_json(resource_id: int, day: date, timezone: str, slots: Sequence[AvailableSlot]) -> bytes:
    """`AvailabilityRead`'s JSON, written from plain values: every one of them comes typed
    from the database row, and building a model per slot only to serialise it cost four
    times as much as writing the same bytes (pydantic-core's own serialisers either way;
    a test holds the two to the same output)."""
    return to_json(
        {
            "resource_id": resource_id,
            "date": day,
            "timezone": timezone,
            "slots": [
                {
                    "id": s.id,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                    "seats_left": s.seats_left,
                }
                for s in slots
            ],
        }
    )


async def answer_day(
    session: Reader,
    cache: Cache,
    cached: DayLookup,
    *,
    resource_id: int,
    timezone: str,
    resource_active: bool,
    day: date,
    now: datetime,
    ttl_seconds: int,
) -> bytes:
    """The JSON body of the day's availability from PostgreSQL, cached for later hits."""
    found = await slots_service.available_day(session, resource_id, timezone, day, now)
    body = day_json(resource_id, day, timezone, found.slots)
    ttl = _ttl_seconds(found, now, ttl_seconds)
    meta = {"active": resource_active}
    await cache.write_bytes(cached.key, body, meta, ttl, cached.lookup.stamp)
    return body


async def get_day(
    session: AsyncSession,
    cache: Cache,
    *,
    resource_id: int,
    timezone: str,
    day: date,
    now: datetime,
    ttl_seconds: int,
) -> Cached[AvailabilityRead]:
    """The available slots of the resource's local `day` (expired holds count as free)."""
    cached = await lookup_day(cache, resource_id, day)
    if cached.hit:
        return Cached(AvailabilityRead.model_validate_json(cached.body), hit=True)
    body = await answer_day(
        session,
        cache,
        cached,
        resource_id=resource_id,
        timezone=timezone,
        resource_active=True,
        day=day,
        now=now,
        ttl_seconds=ttl_seconds,
    )
    return Cached(AvailabilityRead.model_validate_json(body), hit=False)


async def invalidate_availability(
    cache: Cache,
    resource_id: int,
    days: Iterable[date] | None = None,
    *,
    also: Sequence[str] = (),
) -> None:
    """Forget the cached availability of `days` (local days) of a resource, or all of them;
    `also` names more generation counters to bump at the same time (one WAL position read,
    one Redis round trip).

    Call it after commit (see `invalidate_availability_on_commit`); it never raises.
    """
    keys = cache.keys
    if days is None:
        generations = [keys.availability_generation(resource_id), *also]
        await cache.invalidate(generations=generations)
        return
    unique = sorted(set(days))
    await cache.invalidate(
        keys=[keys.availability(resource_id, d) for d in unique],
        generations=[*(keys.availability_generation(resource_id, d) for d in unique), *also],
    )


def invalidate_availability_on_commit(
    session: AsyncSession,
    cache: Cache,
    resource_id: int,
    days: Iterable[date] | None = None,
    *,
    also: Sequence[str] = (),
) -> None:
    """Inside `tx.transactional`: invalidate those days once the transaction has committed."""
    frozen = None if days is None else frozenset(days)
    extra = tuple(also)

    async def hook() -> None:
        await invalidate_availability(cache, resource_id, frozen, also=extra)

    tx.on_commit(session, hook)
