"""Hold (R-23): validate, take the Redis fast-path lock, then let PostgreSQL decide."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING

import structlog

from roomtime.core import tx
from roomtime.core.redis.locks import Lock, LockState
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, rules
from roomtime.domains.bookings._base import database_guard
from roomtime.domains.bookings._expiry import ExpiryFlows
from roomtime.domains.bookings.constants import PENDING
from roomtime.domains.bookings.errors import SlotsUnavailableError
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
