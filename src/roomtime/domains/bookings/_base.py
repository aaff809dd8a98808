"""Collaborators shared by the booking use cases, and helpers they all need."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.core.redis.cache import Cache
from roomtime.core.redis.idempotency import InFlightMarkers
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.core.redis.ratelimit import RateLimiter
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings.errors import BookingBusyError, SlotsUnavailableError
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier
from roomtime.domains.slots import holds as slot_holds
from roomtime.domains.users import service as users_service
from roomtime.settings import Settings

if TYPE_CHECKING:
    from roomtime.domains.resources.models import Resource

log = structlog.get_logger(__name__)

_EXCLUSION_VIOLATION = "23P01"
_RETRYABLE = {"55P03": "lock timeout", "40P01": "deadlock", "40001": "serialization failure"}


def sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )


@contextmanager
def database_guard() -> Iterator[None]:
    """Translate the database's verdicts into domain errors: an overlap refused by the
    exclusion constraint is `slots_unavailable`; a lock wait that timed out is `busy`."""
    try:
        yield
    except IntegrityError as exc:
        if sqlstate(exc) == _EXCLUSION_VIOLATION:
            raise SlotsUnavailableError("The range overlaps an active booking") from exc
        raise
    except DBAPIError as exc:
        reason = _RETRYABLE.get(sqlstate(exc) or "")
        if reason is None:
            raise
        log.info("booking_busy", reason=reason)
        raise BookingBusyError("Too much contention on this resource", retry_after=1) from exc


def local_days(resource_tz: str, starts_at: datetime, ends_at: datetime) -> set[date]:
    """The resource's local calendar days touched by [starts_at, ends_at)."""
    tz = ZoneInfo(resource_tz)
    first = starts_at.astimezone(tz).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def facts(booking: Booking, resource: Resource) -> templates.BookingFacts:
    tz = ZoneInfo(resource.timezone)
    fmt = "%a %d %b %Y %H:%M"
    return templates.BookingFacts(
        booking_id=booking.id,
        resource_name=resource.name,
        starts_local=f"{booking.starts_at.astimezone(tz).strftime(fmt)} ({resource.timezone})",
        ends_local=booking.ends_at.astimezone(tz).strftime("%H:%M"),
    )


class BookingBase:
    """What every booking use case works with; built per request (or per job run)."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        clock: Clock,
        *,
        limiter: RateLimiter,
        locks: HoldLocks,
        markers: InFlightMarkers,
        cache: Cache,
        notifier: Notifier,
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.limiter = limiter
        self.locks = locks
        self.markers = markers
        self.cache = cache
        self.notifier = notifier
        self.keys = Keys(settings.redis.redis_key_prefix)

    @property
    def guards_on(self) -> bool:
        return not self.settings.booking.unsafe_disable_booking_guards

    async def race_delay(self) -> None:
        if self.settings.booking.booking_race_delay_ms:
            await asyncio.sleep(self.settings.booking.booking_race_delay_ms / 1000)

    async def give_back_slots(self, booking: Booking, *, not_before: datetime) -> None:
        """Free what the booking holds from `not_before` on: its slots, or its seats."""
        if booking.is_exclusive:
            await slot_holds.release_exclusive(self.session, booking.id, not_before=not_before)
        else:
            await slot_holds.return_seats(
                self.session,
                booking.resource_id,
                booking.starts_at,
                booking.ends_at,
                booking.party_size,
                not_before=not_before,
            )

    async def notify_owner(
        self, booking: Booking, message: templates.Message, dedupe_key: str
    ) -> None:
        """Mail the booking's owner through the outbox, in the current transaction."""
        owner = await users_service.get_user(self.session, booking.user_id)
        await self.notifier.enqueue_email(
            self.session, to=owner.email, message=message, user_id=owner.id, dedupe_key=dedupe_key
        )

    def after_commit_invalidate(self, booking: Booking, resource: Resource) -> None:
        days = local_days(resource.timezone, booking.starts_at, booking.ends_at)
        availability_service.invalidate_availability_on_commit(
            self.session, self.cache, resource.id, days
        )

    def after_commit_release_lock(self, booking: Booking) -> None:
        token = booking.lock_token
        if not token:
            return
        key = self.keys.hold_lock(booking.resource_id, booking.starts_at, booking.ends_at)

        async def release() -> None:
            await self.locks.release_key(key, token)

        tx.on_commit(self.session, release)
