"""The one place a BookingService is assembled, for HTTP requests and job runs alike."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.core.redis.cache import Cache
from roomtime.core.redis.client import Redis
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings.service import BookingService
from roomtime.domains.notifications.service import Notifier
from roomtime.settings import Settings


def build_booking_service(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    *,
    redis: Redis,
    limiter: RateLimiter,
    cache: Cache,
    notifier: Notifier,
) -> BookingService:
    return BookingService(
        session,
        settings,
        clock,
        limiter=limiter,
        locks=HoldLocks(redis),
        markers=InFlightMarkers(redis),
        cache=cache,
        notifier=notifier,
    )
