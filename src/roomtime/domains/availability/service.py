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
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.redis.cache import Cache, Cached
from roomtime.domains.availability.schemas import AvailabilityRead, AvailableSlotRead
from roomtime.domains.slots import service as slots_service


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
    key = cache.keys.availability(resource_id, day)
    lookup = await cache.read(key, _generations(cache, resource_id, day))
    if lookup.hit:
        return Cached(AvailabilityRead.model_validate(lookup.value), hit=True)
    found = await slots_service.available_day(session, resource_id, timezone, day, now)
    answer = AvailabilityRead(
        resource_id=resource_id,
        date=day,
        timezone=timezone,
        slots=[
            AvailableSlotRead(
                id=s.id, starts_at=s.starts_at, ends_at=s.ends_at, seats_left=s.seats_left
            )
            for s in found.slots
        ],
    )
    ttl = _ttl_seconds(found, now, ttl_seconds)
    await cache.write(key, answer.model_dump(mode="json"), ttl, lookup.stamp)
    return Cached(answer, hit=False)


async def invalidate_availability(
    cache: Cache, resource_id: int, days: Iterable[date] | None = None
) -> None:
    """Forget the cached availability of `days` (local days) of a resource, or all of them.

    Call it after commit (see `invalidate_availability_on_commit`); it never raises.
    """
    keys = cache.keys
    if days is None:
        await cache.invalidate(generations=[keys.availability_generation(resource_id)])
        return
    unique = sorted(set(days))
    await cache.invalidate(
        keys=[keys.availability(resource_id, d) for d in unique],
        generations=[keys.availability_generation(resource_id, d) for d in unique],
    )


def invalidate_availability_on_commit(
    session: AsyncSession, cache: Cache, resource_id: int, days: Iterable[date] | None = None
) -> None:
    """Inside `tx.transactional`: invalidate those days once the transaction has committed."""
    frozen = None if days is None else frozenset(days)

    async def hook() -> None:
        await invalidate_availability(cache, resource_id, frozen)

    tx.on_commit(session, hook)
