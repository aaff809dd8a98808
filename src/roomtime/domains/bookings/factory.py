"""The one place the booking use cases' dependencies are built: by the HTTP dependencies,
the job tasks and the tests alike. Jobs build only `BookingIO` (no rate limiter, no
idempotency markers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import Clock
from roomtime.core.redis.cache import Cache
from roomtime.core.redis.client import Redis
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.book_now import BookNowDeps
from roomtime.domains.bookings.change import ChangeDeps
from roomtime.domains.bookings.confirm import ConfirmDeps
from roomtime.domains.bookings.guards import STRICT, Guards
from roomtime.domains.bookings.guards_testing import TestOnlyGuards
from roomtime.domains.bookings.hold import HoldDeps
from roomtime.domains.bookings.idempotent import ConfirmRequestDeps
from roomtime.domains.bookings.set_status import StatusDeps
from roomtime.domains.notifications.service import Notifier
from roomtime.infrastructure import Infrastructure
from roomtime.settings import BookingSettings, Settings


def guards_for(settings: BookingSettings) -> Guards:
    """The production guards, unless a test-only switch is set (refused outside tests)."""
    if settings.unsafe_disable_booking_guards or settings.booking_race_delay_ms:
        return TestOnlyGuards(
            enforce=not settings.unsafe_disable_booking_guards,
            delay_ms=settings.booking_race_delay_ms,
        )
    return STRICT


def booking_io(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    *,
    redis: Redis,
    cache: Cache,
    notifier: Notifier,
) -> BookingIO:
    return BookingIO(
        session=session,
        clock=clock,
        cache=cache,
        notifier=notifier,
        locks=HoldLocks(redis),
        keys=Keys(settings.redis.redis_key_prefix),
    )


@dataclass(frozen=True, slots=True)
class BookingWiring:
    """Everything the request-facing use cases may need; each `*_deps` takes only its part."""

    io: BookingIO
    settings: Settings
    limiter: RateLimiter
    markers: InFlightMarkers

    def hold_deps(self) -> HoldDeps:
        return HoldDeps(self.io, self.settings.booking, self.limiter, self.guards())

    def confirm_deps(self) -> ConfirmDeps:
        return ConfirmDeps(self.io, self.guards())

    def confirm_request_deps(self) -> ConfirmRequestDeps:
        return ConfirmRequestDeps(
            self.confirm_deps(), self.settings.booking, self.limiter, self.markers
        )

    def change_deps(self) -> ChangeDeps:
        return ChangeDeps(self.io, self.guards())

    def book_now_deps(self) -> BookNowDeps:
        return BookNowDeps(self.hold_deps(), self.confirm_request_deps())

    def status_deps(self) -> StatusDeps:
        return StatusDeps(self.confirm_deps())

    def guards(self) -> Guards:
        return guards_for(self.settings.booking)


def build_booking_wiring(
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    *,
    redis: Redis,
    limiter: RateLimiter,
    cache: Cache,
    notifier: Notifier,
) -> BookingWiring:
    io = booking_io(session, settings, clock, redis=redis, cache=cache, notifier=notifier)
    return BookingWiring(io, settings, limiter, InFlightMarkers(redis))


def io_of(session: AsyncSession, infra: Infrastructure) -> BookingIO:
    """The sweeps' collaborators, from the process's one Infrastructure (the job tasks)."""
    return BookingIO(
        session=session,
        clock=infra.clock,
        cache=infra.cache,
        notifier=infra.notifier,
        locks=infra.hold_locks,
        keys=Keys(infra.settings.redis.redis_key_prefix),
    )


def wiring_of(session: AsyncSession, infra: Infrastructure) -> BookingWiring:
    """The request-facing use cases' collaborators, from the process's Infrastructure."""
    return BookingWiring(io_of(session, infra), infra.settings, infra.limiter, infra.markers)
