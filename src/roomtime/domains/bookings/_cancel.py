"""Cancel (R-25) and the admin's status changes, under the same invariants as the user flow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository
from roomtime.domains.bookings._base import database_guard, facts
from roomtime.domains.bookings._confirm import ConfirmFlows
from roomtime.domains.bookings.constants import (
    ARCHIVED,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    PENDING,
)
from roomtime.domains.bookings.errors import (
    BookingEndedError,
    BookingNotFoundError,
    CancelDeadlinePassedError,
    InvalidTransitionError,
)
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates
from roomtime.domains.resources import service as resources_service
from roomtime.domains.users.constants import ROLE_ADMIN

if TYPE_CHECKING:
    from roomtime.domains.users.models import User


class CancelFlows(ConfirmFlows):
    async def cancel(self, actor: User, booking_id: int, reason: str | None = None) -> Booking:
        """Cancel a booking or a hold; cancelling twice returns the cancelled booking."""
        now = self.clock()
        is_admin = actor.role == ROLE_ADMIN
        async with tx.transactional(self.session):
            with database_guard():
                await repository.set_lock_timeout(self.session)
                booking = await repository.get_for_update(
                    self.session, booking_id, owner_id=None if is_admin else actor.id
                )
                # Someone else's booking answers 404, never revealing that it exists.
                if booking is None:
                    raise BookingNotFoundError(f"Booking {booking_id} does not exist")
                if booking.status == CANCELLED:
                    return booking
                await self._check_cancellable(booking, now, is_admin)
                await self._cancel(booking, actor, now, reason, by_admin=is_admin)
        return booking

    async def _check_cancellable(self, booking: Booking, now: datetime, is_admin: bool) -> None:
        if booking.ends_at <= now or booking.status == ARCHIVED:
            raise BookingEndedError(f"Booking {booking.id} has ended")
        if booking.status == EXPIRED:
            raise InvalidTransitionError(f"Booking {booking.id} already expired")
        if is_admin or booking.status != CONFIRMED:
            return
        resource = await resources_service.get_resource(
            self.session, booking.resource_id, include_inactive=True
        )
        deadline = resource.cancel_deadline_minutes
        if deadline and now > booking.starts_at - timedelta(minutes=deadline):
            raise CancelDeadlinePassedError(
                f"Bookings of this resource can be cancelled up to {deadline} minutes before start"
            )

    async def _cancel(
        self, booking: Booking, actor: User, now: datetime, reason: str | None, *, by_admin: bool
    ) -> None:
        resource = await resources_service.get_resource(
            self.session, booking.resource_id, include_inactive=True
        )
        was = booking.status
        await self.give_back_slots(booking, not_before=now)
        booking.status, booking.cancelled_at, booking.cancel_reason = CANCELLED, now, reason
        await self.session.flush()
        await audit.record(
            self.session,
            action="booking.cancelled",
            entity="booking",
            entity_id=booking.id,
            actor_user_id=actor.id,
            meta={"from": was, "by_admin": by_admin, "reason": reason},
        )
        if was == CONFIRMED:
            # The owner's own reason stays in the booking and the audit row, never in mail.
            message = templates.booking_cancelled(
                facts(booking, resource),
                by_admin=by_admin,
                admin_reason=reason if by_admin else None,
            )
            await self.notify_owner(
                booking,
                message,
                dedupe_key=f"booking_cancelled:{booking.id}",
            )
        self.after_commit_invalidate(booking, resource)
        self.after_commit_release_lock(booking)

    async def set_status(
        self, admin: User, booking_id: int, status: str, reason: str | None
    ) -> Booking:
        """Admin status management: cancel, confirm a live hold, or archive an ended booking."""
        if status == CANCELLED:
            return await self.cancel(admin, booking_id, reason)
        if status == CONFIRMED:
            await self._admin_booking(booking_id)
            # Audited as the admin who did it; the owner is in the audit row's meta.
            await self._confirm_in_transaction(admin, booking_id, None, any_owner=True)
            return await self._reloaded(booking_id)
        return await self._archive(admin, booking_id)

    async def _archive(self, admin: User, booking_id: int) -> Booking:
        now = self.clock()
        async with tx.transactional(self.session):
            booking = await repository.get_for_update(self.session, booking_id, owner_id=None)
            if booking is None:
                raise BookingNotFoundError(f"Booking {booking_id} does not exist")
            if booking.status == ARCHIVED:
                return booking
            if booking.status != CONFIRMED or booking.ends_at > now:
                raise InvalidTransitionError("Only confirmed bookings that have ended are archived")
            booking.status = ARCHIVED
            await audit.record(
                self.session,
                action="booking.archived",
                entity="booking",
                entity_id=booking.id,
                actor_user_id=admin.id,
            )
        return booking

    async def _admin_booking(self, booking_id: int) -> Booking:
        booking = await repository.get(self.session, booking_id)
        if booking is None:
            raise BookingNotFoundError(f"Booking {booking_id} does not exist")
        if booking.status not in (PENDING, CONFIRMED):
            raise InvalidTransitionError(f"Booking {booking_id} is {booking.status}")
        return booking

    async def _reloaded(self, booking_id: int) -> Booking:
        booking = await repository.get(self.session, booking_id)
        assert booking is not None
        await self.session.refresh(booking)
        return booking
