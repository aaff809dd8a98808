"""The admin's status change: cancel, confirm a live hold, or archive an ended booking."""

from __future__ import annotations

from dataclasses import dataclass

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, states
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.actors import Actor
from roomtime.domains.bookings.cancel import cancel
from roomtime.domains.bookings.confirm import ConfirmDeps, confirm
from roomtime.domains.bookings.constants import ARCHIVED, CANCELLED, CONFIRMED, PENDING
from roomtime.domains.bookings.errors import BookingNotFoundError, InvalidTransitionError
from roomtime.domains.bookings.models import Booking


@dataclass(frozen=True, slots=True)
class StatusDeps:
    confirm: ConfirmDeps

    @property
    def io(self) -> BookingIO:
        return self.confirm.io


async def set_status(
    deps: StatusDeps, admin: Actor, booking_id: int, status: str, reason: str | None
) -> Booking:
    if status == CANCELLED:
        return await cancel(deps.io, admin, booking_id, reason)
    if status == CONFIRMED:
        booking = await repository.get(deps.io.session, booking_id)
        if booking is None:
            raise BookingNotFoundError(f"Booking {booking_id} does not exist")
        if booking.status not in (PENDING, CONFIRMED):
            raise InvalidTransitionError(f"Booking {booking_id} is {booking.status}")
        # Audited as the admin who did it; the owner is in the audit row's meta.
        return await confirm(deps.confirm, admin, booking_id, as_admin=True)
    return await _archive(deps.io, admin, booking_id)


async def _archive(io: BookingIO, admin: Actor, booking_id: int) -> Booking:
    now = io.clock()
    async with tx.transactional(io.session):
        booking = await repository.get_for_update(io.session, booking_id, owner_id=None)
        if booking is None:
            raise BookingNotFoundError(f"Booking {booking_id} does not exist")
        if booking.status == ARCHIVED:
            return booking
        if booking.status != CONFIRMED or booking.ends_at > now:
            raise InvalidTransitionError("Only confirmed bookings that have ended are archived")
        states.move(booking, ARCHIVED, states.ADMIN)
        await audit.record(
            io.session,
            action="booking.archived",
            entity="booking",
            entity_id=booking.id,
            actor_user_id=admin.id,
        )
    return booking
