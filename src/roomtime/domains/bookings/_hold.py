"""Hold (R-23): validate, take the Redis fast-path lock, then let PostgreSQL decide.

Per-user caps (R-30) keep one account from hoarding the calendar: holds per minute (Redis
rate limit), live holds, and optionally future bookings per resource (both counted in
PostgreSQL, under a per-user advisory lock, inside the hold's transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from roomtime.core import tx
from roomtime.core.redis.locks import Lock, LockState
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, rules
from roomtime.domains.bookings._base import database_guard
from roomtime.domains.bookings._expiry import ExpiryFlows
from roomtime.domains.bookings.constants import PENDING
from roomtime.domains.bookings.errors import (
    BookingLimitReachedError,
    HoldRateLimitedError,
    SlotsUnavailableError,
    TooManyHoldsError,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import HoldRequest
from roomtime.domains.resources import service as resources_service
from roomtime.domains.slots import holds as slot_holds

if TYPE_CHECKING:
    from roomtime.domains.resources.models import Resource
    from roomtime.domains.users.models import User

log = structlog.get_logger(__name__)


class HoldFlows(ExpiryFlows):
    async def hold(self, user: User, data: HoldRequest) -> Booking:
        await self._count_attempt(user)
        now = self.clock()
        starts, ends = data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
        resource = await resources_service.get_resource(self.session, data.resource_id)
        slots = await slot_holds.overlapping(self.session, resource.id, starts, ends)
        rules.check_hold_range(
            slots,
            starts_at=starts,
            ends_at=ends,
            now=now,
            max_slots=resource.max_hold_slots,
            party_size=data.party_size,
            capacity=resource.capacity,
        )
        lock = await self._lock(resource, data)
        try:
            return await self._hold_in_transaction(user, data, resource, len(slots), lock)
        except BaseException:
            await self.locks.release(lock)
            raise

    async def _count_attempt(self, user: User) -> None:
        # Every attempt counts, refused ones too: the limit protects the server, and a
        # refused hold costs it as much as a granted one.
        decision = await self.limiter.hit(
            self.settings.booking.hold_rate_limit, "hold", str(user.id)
        )
        if not decision.allowed:
            raise HoldRateLimitedError(
                "Too many holds; retry later", retry_after=decision.retry_after
            )

    async def _check_caps(self, user: User, resource_id: int, now: datetime) -> None:
        """Refuse a hold over the user's caps. Counted in this transaction after taking the
        user's advisory lock: two parallel holds of one user are decided one after the
        other, so neither can slip past a cap the other just reached."""
        limits = self.settings.booking
        if self.guards_on:
            await repository.lock_user_holds(self.session, user.id)
        live = await repository.count_live_holds(self.session, user.id, now)
        if live >= limits.max_live_holds_per_user:
            raise TooManyHoldsError(
                f"You already have {live} live holds; the limit is "
                f"{limits.max_live_holds_per_user} live holds per user. Confirm or cancel "
                "one, or wait until one expires.",
                limit=limits.max_live_holds_per_user,
            )
        cap = limits.max_future_bookings_per_resource
        if not cap:
            return
        future = await repository.count_future_bookings(self.session, user.id, resource_id, now)
        if future >= cap:
            raise BookingLimitReachedError(
                f"You already have {future} upcoming bookings or holds on this resource; the "
                f"limit is {cap} per user and resource.",
                limit=cap,
            )

    async def _lock(self, resource: Resource, data: HoldRequest) -> Lock:
        key = self.keys.hold_lock(
            resource.id, data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
        )
        # Seats of a shared resource are sold to many holders of the same range: the
        # range lock would refuse all but one, so only exclusive resources take it.
        if not self.guards_on or resource.booking_mode != "exclusive":
            return Lock(key, "", LockState.UNAVAILABLE)
        lock = await self.locks.acquire(key, resource.hold_ttl_seconds)
        if lock.state is LockState.TAKEN:
            # Cheap refusal of an identical concurrent hold; overlapping ranges with other
            # keys are refused by the database below.
            raise SlotsUnavailableError("That range is being held by someone else")
        return lock

    async def _hold_in_transaction(
        self, user: User, data: HoldRequest, resource: Resource, slot_count: int, lock: Lock
    ) -> Booking:
        now = self.clock()
        starts, ends = data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
        exclusive = resource.booking_mode == "exclusive"
        async with tx.transactional(self.session):
            with database_guard():
                await repository.set_lock_timeout(self.session)
                await self._check_caps(user, resource.id, now)
                stale = await repository.expire_overlapping(
                    self.session, resource.id, starts, ends, now
                )
                await self.release_expired(stale, now, reason="reclaimed_by_new_hold")
                await self.race_delay()
                booking = await repository.add(
                    self.session,
                    Booking(
                        user_id=user.id,
                        resource_id=resource.id,
                        starts_at=starts,
                        ends_at=ends,
                        status=PENDING,
                        party_size=data.party_size,
                        is_exclusive=exclusive,
                        expires_at=now + timedelta(seconds=resource.hold_ttl_seconds),
                        lock_token=lock.token if lock.state is LockState.ACQUIRED else None,
                    ),
                )
                await self._take_slots(booking, slot_count)
            await audit.record(
                self.session,
                action="booking.held",
                entity="booking",
                entity_id=booking.id,
                actor_user_id=user.id,
                meta={"resource_id": booking.resource_id, "slots": slot_count},
            )
            self.after_commit_invalidate(booking, resource)
        log.info("booking_held", booking_id=booking.id, resource_id=booking.resource_id)
        return booking

    async def _take_slots(self, booking: Booking, expected: int) -> None:
        if booking.is_exclusive:
            changed = await slot_holds.hold_exclusive(
                self.session, booking.resource_id, booking.starts_at, booking.ends_at, booking.id
            )
        else:
            changed = await slot_holds.take_seats(
                self.session,
                booking.resource_id,
                booking.starts_at,
                booking.ends_at,
                booking.party_size,
            )
        if changed != expected and self.guards_on:
            raise SlotsUnavailableError("One or more slots are no longer available")
