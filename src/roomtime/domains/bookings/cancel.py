"""Cancel (R-25): owner or admin; future slots become available again."""

from __future__ import annotations

from datetime import datetime, timedelta

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, states, write_repository
from roomtime.domains.bookings._effects import (
    BookingIO,
    count_on_commit,
    facts,
    free_slots,
    invalidate_on_commit,
    mail_owner,
    owner_mail,
    release_lock_on_commit,
    resource_of,
)
from roomtime.domains.bookings.actors import Actor, BookableResource
from roomtime.domains.bookings.constants import ARCHIVED, CANCELLED, CONFIRMED, EXPIRED, PENDING
from roomtime.domains.bookings.errors import (
    BookingEndedError,
    BookingNotFoundError,
    CancelDeadlinePassedError,
    InvalidTransitionError,
)
from roomtime.domains.bookings.expire import expire_one
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates
from roomtime.domains.users.constants import ROLE_ADMIN


async def cancel(
    io: BookingIO, actor: Actor, booking_id: int, reason: str | None = None
) -> Booking:
    """Cancel a booking or a hold; cancelling twice returns the cancelled booking."""
    now = io.clock()
    is_admin = actor.role == ROLE_ADMIN
    async with tx.transactional(io.session):
        with busy_on_contention("Too much contention on this resource"):
            found = await repository.lock_with_resource(
                io.session, booking_id, owner_id=None if is_admin else actor.id
            )
            # Someone else's booking answers 404, never revealing that it exists.
            if found is None:
                raise BookingNotFoundError(f"Booking {booking_id} does not exist")
            booking, resource = found
            if booking.status == CANCELLED:
                return booking
            _check_cancellable(booking, resource, now, is_admin)
            await _cancel(io, booking, resource, actor, now, reason, by_admin=is_admin)
    return booking


def _check_cancellable(
    booking: Booking, resource: BookableResource, now: datetime, is_admin: bool
) -> None:
    if booking.ends_at <= now or booking.status == ARCHIVED:
        raise BookingEndedError(f"Booking {booking.id} has ended")
    if booking.status == EXPIRED:
        raise InvalidTransitionError(f"Booking {booking.id} already expired")
    if is_admin or booking.status != CONFIRMED:
        return
    deadline = resource.cancel_deadline_minutes
    if deadline and now > booking.starts_at - timedelta(minutes=deadline):
        raise CancelDeadlinePassedError(
            f"Bookings of this resource can be cancelled up to {deadline} minutes before start"
        )


async def cancel_event_bookings(
    io: BookingIO, actor: Actor, event_id: int, reason: str | None
) -> list[Booking]:
    """Cancel every live booking of an event (R-36), inside the caller's transaction.

    Holds that already ran out are expired instead (their owners hear that, as ever). The
    cancelled ones are returned and their owners are NOT mailed here: the event's domain
    tells each participant once, about the event.
    """
    now = io.clock()
    cancelled: list[Booking] = []
    for booking in await repository.live_for_event(io.session, event_id):
        overdue = booking.expires_at is not None and booking.expires_at <= now
        if booking.status == PENDING and overdue:
            await expire_one(io, booking, reason="event_cancelled")
            continue
        resource = await resource_of(io, booking)
        await _cancel(io, booking, resource, actor, now, reason, by_admin=True, notify=False)
        cancelled.append(booking)
    return cancelled


async def _cancel(
    io: BookingIO,
    booking: Booking,
    resource: BookableResource,
    actor: Actor,
    now: datetime,
    reason: str | None,
    *,
    by_admin: bool,
    notify: bool = True,
) -> None:
    was = booking.status
    states.move(booking, CANCELLED, states.ADMIN if by_admin else states.USER)
    booking.cancelled_at, booking.cancel_reason = now, reason
    audited = audit.entry(
        action="booking.cancelled",
        entity="booking",
        entity_id=booking.id,
        actor_user_id=actor.id,
        meta={"from": was, "by_admin": by_admin, "reason": reason},
    )
    mail = None
    if was == CONFIRMED and notify:
        # The owner's own reason stays in the booking and the audit row, never in mail.
        message = templates.booking_cancelled(
            facts(booking, resource), by_admin=by_admin, admin_reason=reason if by_admin else None
        )
        mail = owner_mail(io, booking, message, f"booking_cancelled:{booking.id}", actor=actor)
    riding = mail.riding if mail is not None else None
    if booking.is_exclusive:
        # The booking, its audit row, its future slots freed and the owner's mail, in one
        # statement.
        written = await write_repository.write_changes_releasing_slots(
            io.session, booking, audited=audited, not_before=now, mail=riding
        )
    else:
        await free_slots(io, booking, not_before=now)
        written = await write_repository.write_changes(
            io.session, booking, audited=audited, mail=riding
        )
    if mail is not None:
        await mail_owner(io, booking, mail, written, actor=actor)
    count_on_commit(io, "cancel")
    invalidate_on_commit(io, booking, resource.timezone)
    release_lock_on_commit(io, booking)
