"""Confirm (R-24): the caller's live hold becomes a confirmed booking, its slots booked.

Idempotency-Key handling wraps this from outside (`idempotent.py`) through `Once`; the
admin's status change calls it with the admin as actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.contention import busy_on_contention, violates_unique
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, states, write_repository
from roomtime.domains.bookings._effects import (
    BookingIO,
    claim,
    count_on_commit,
    facts,
    invalidate_on_commit,
    mail_owner,
    overlap_refused,
    owner_mail,
    release_lock_on_commit,
)
from roomtime.domains.bookings.actors import Actor, BookableResource
from roomtime.domains.bookings.constants import CONFIRMED, EXPIRED, PENDING
from roomtime.domains.bookings.errors import (
    BookingNotFoundError,
    BookingNotPendingError,
    HoldExpiredError,
    IdempotencyKeyReusedError,
)
from roomtime.domains.bookings.expire import expire_one
from roomtime.domains.bookings.guards import Guards
from roomtime.domains.bookings.models import Booking
from roomtime.domains.notifications import templates
from roomtime.domains.slots import service as slots_service

# One booking per (user, Idempotency-Key).
_KEY_CONSTRAINT = "uq_booking_user_id_idempotency_key"


@dataclass(frozen=True, slots=True)
class ConfirmDeps:
    io: BookingIO
    guards: Guards


class Once(Protocol):
    """Hooks of an idempotent confirm, run inside its transaction under the row lock."""

    key: str

    async def replay_if_done(self, session: AsyncSession) -> None:
        """Raise if a request with this key has already committed (it is replayed)."""

    async def record(self, session: AsyncSession, booking: Booking) -> None:
        """Store the outcome with the booking, in the same transaction."""

    def outcome(self, booking: Booking) -> dict[str, Any]:
        """The stored outcome of confirming `booking` (as it will be once written), for the
        statement that writes the booking to store with it."""


async def confirm(
    deps: ConfirmDeps,
    actor: Actor,
    hold_id: int,
    *,
    as_admin: bool = False,
    once: Once | None = None,
) -> Booking:
    """Confirm `actor`'s hold (an admin's: anyone's, audited as the admin who acted).

    Confirming an already confirmed hold returns it. A hold found expired is expired (and
    that committed) before the caller hears 409 `hold_expired`.
    """
    io = deps.io
    now = io.clock()
    async with tx.transactional(io.session):
        with busy_on_contention("Too much contention on this resource"), overlap_refused():
            found = await repository.lock_with_resource(
                io.session, hold_id, owner_id=None if as_admin else actor.id
            )
            if once is not None and found is None:
                # The key may have been used already, for this hold or another one: that
                # outcome (a replay, or 422 for another body) comes before the 404.
                await once.replay_if_done(io.session)
            if found is None:
                raise BookingNotFoundError(f"Hold {hold_id} does not exist")
            booking, resource = found
            if once is not None and booking.status != PENDING:
                # A duplicate that waited for our row lock finds the hold confirmed, and
                # the first one's record. A hold still pending has no committed outcome
                # for any key; a key used for another booking is refused by the booking's
                # unique (user, key) when this confirm writes it (422 all the same).
                await once.replay_if_done(io.session)
            overdue = booking.expires_at is not None and booking.expires_at <= now
            if booking.status == PENDING and overdue:
                await expire_one(io, booking, reason="expired_before_confirm")
            else:
                await confirm_held(deps, actor, booking, resource, once, now, as_admin=as_admin)
                return booking
    raise HoldExpiredError(f"Hold {hold_id} expired; hold the slots again")


async def confirm_held(
    deps: ConfirmDeps,
    actor: Actor,
    booking: Booking,
    resource: BookableResource,
    once: Once | None,
    now: datetime,
    *,
    as_admin: bool,
) -> None:
    """Confirm a locked (or just created) hold of `resource` inside the caller's
    transaction; with `once`, store the outcome for its key with it."""
    if booking.status == CONFIRMED:
        # Confirming twice returns the booking (and a new key is bound to that answer).
        if once is not None:
            await once.record(deps.io.session, booking)
        return
    if booking.status == EXPIRED:
        raise HoldExpiredError(f"Hold {booking.id} expired; hold the slots again")
    if booking.status != PENDING:
        raise BookingNotPendingError(f"Booking {booking.id} is {booking.status}")
    io = deps.io
    states.move(booking, CONFIRMED, states.ADMIN if as_admin else states.USER)
    if not booking.is_exclusive:
        # Seats: no longer a hold that may lapse. Slots: booked with the booking, below.
        booked, expected = await slots_service.book(io.session, claim(booking))
        deps.guards.require_all(booked, expected, "The hold no longer owns all its slots")
    booking.confirmed_at, booking.expires_at = now, None
    booking.idempotency_key = once.key if once is not None else None
    audited = audit.entry(
        action="booking.confirmed",
        entity="booking",
        entity_id=booking.id,
        actor_user_id=actor.id,
        meta={
            "idempotency_key_used": once is not None,
            "owner_user_id": booking.user_id,
            "by_admin": actor.id != booking.user_id,
        },
    )
    mail = owner_mail(
        io,
        booking,
        templates.booking_confirmed(facts(booking, resource)),
        f"booking_confirmed:{booking.id}",
        actor=actor,
    )
    try:
        # The booking, its audit row, the key's stored outcome, the owner's mail and (an
        # exclusive resource's) its slots in one statement; the count of the slots it
        # booked decides, and a rollback undoes the rest.
        written = await write_repository.write_confirmed(
            io.session,
            booking,
            audited=audited,
            recorded=once.outcome(booking) if once is not None else None,
            book_slots=booking.is_exclusive,
            mail=mail.riding,
        )
        if written.slots is not None:
            deps.guards.require_all(*written.slots, "The hold no longer owns all its slots")
    except IntegrityError as exc:
        # The statement also writes other tables: only the key's constraint means reuse.
        if not violates_unique(exc, _KEY_CONSTRAINT):
            raise
        raise IdempotencyKeyReusedError("This Idempotency-Key belongs to another booking") from exc
    await mail_owner(io, booking, mail, written, actor=actor)
    count_on_commit(io, "confirm")
    invalidate_on_commit(io, booking, resource.timezone)
    release_lock_on_commit(io, booking)
