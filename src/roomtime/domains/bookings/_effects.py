"""What every booking use case does besides changing the booking row: move its slots, audit,
mail the owner through the outbox, and clear caches and the Redis hold lock after commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import metrics, tx
from roomtime.core.clock import Clock
from roomtime.core.contention import sqlstate
from roomtime.core.redis.cache import Cache
from roomtime.core.redis.keys import Keys
from roomtime.core.redis.locks import HoldLocks
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings.actors import BookableResource
from roomtime.domains.bookings.constants import PENDING
from roomtime.domains.bookings.errors import SlotsUnavailableError
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.write_repository import Written
from roomtime.domains.notifications import templates
from roomtime.domains.notifications.service import Notifier, RidingMail
from roomtime.domains.resources import service as resources_service
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.schemas import SlotClaim
from roomtime.domains.users import service as users_service


@dataclass(frozen=True, slots=True)
class BookingIO:
    """The collaborators every booking write uses; built per request or job run."""

    session: AsyncSession
    clock: Clock
    cache: Cache
    notifier: Notifier
    locks: HoldLocks
    keys: Keys


_EXCLUSION_VIOLATION = "23P01"


@contextmanager
def overlap_refused() -> Iterator[None]:
    """The exclusion constraint's verdict (R-11): an overlapping active booking is
    `slots_unavailable`, whatever the code before it believed."""
    try:
        yield
    except IntegrityError as exc:
        if sqlstate(exc) == _EXCLUSION_VIOLATION:
            raise SlotsUnavailableError("The range overlaps an active booking") from exc
        raise


def claim(booking: Booking) -> SlotClaim:
    return SlotClaim(
        booking_id=booking.id,
        resource_id=booking.resource_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        party_size=booking.party_size,
        exclusive=booking.is_exclusive,
        hold_expires_at=booking.expires_at if booking.status == PENDING else None,
    )


async def resource_of(io: BookingIO, booking: Booking) -> BookableResource:
    return await resources_service.get_facts(io.session, booking.resource_id, include_inactive=True)


def facts(booking: Booking, resource: BookableResource) -> templates.BookingFacts:
    tz = ZoneInfo(resource.timezone)
    fmt = "%a %d %b %Y %H:%M"
    return templates.BookingFacts(
        booking_id=booking.id,
        resource_name=resource.name,
        starts_local=f"{booking.starts_at.astimezone(tz).strftime(fmt)} ({resource.timezone})",
        ends_local=booking.ends_at.astimezone(tz).strftime("%H:%M"),
    )


async def notify_owner(
    io: BookingIO,
    booking: Booking,
    message: templates.Message,
    dedupe_key: str,
    *,
    actor: object | None = None,
) -> None:
    """Mail the booking's owner through the outbox, in the current transaction. When the
    owner is the `actor`, whose account the request has just read, its address is taken
    from there instead of read again."""
    address = _address_at_hand(booking, actor)
    if address is None:
        address = await users_service.get_email(io.session, booking.user_id)
    await io.notifier.enqueue_email(
        io.session, to=address, message=message, user_id=booking.user_id, dedupe_key=dedupe_key
    )


@dataclass(frozen=True, slots=True)
class OwnerMail:
    """The owner's mail about a booking a use case is about to write: `riding`, to go with
    the statement that writes it, when the owner's address is at hand (the owner acts);
    otherwise None, and `mail_owner` queues it in a statement of its own."""

    message: templates.Message
    dedupe_key: str
    riding: RidingMail | None


def owner_mail(
    io: BookingIO, booking: Booking, message: templates.Message, dedupe_key: str, *, actor: object
) -> OwnerMail:
    address = _address_at_hand(booking, actor)
    riding = None
    if address is not None:
        riding = io.notifier.riding_email(
            to=address, message=message, user_id=booking.user_id, dedupe_key=dedupe_key
        )
    return OwnerMail(message, dedupe_key, riding)


def _address_at_hand(booking: Booking, actor: object | None) -> str | None:
    """The owner's address when the owner is the `actor`, whose account the request has
    just read; None when it must be read."""
    if getattr(actor, "id", None) != booking.user_id:
        return None
    address = getattr(actor, "email", None)
    return address if isinstance(address, str) else None


async def mail_owner(
    io: BookingIO, booking: Booking, mail: OwnerMail, written: Written, *, actor: object
) -> None:
    """After the booking's statement (`written`): finish the mail that rode on it, or
    queue the one that could not (`notify_owner`)."""
    if mail.riding is not None and written.mail is not None:
        await io.notifier.riding_queued(io.session, mail.riding, *written.mail)
        return
    await notify_owner(io, booking, mail.message, mail.dedupe_key, actor=actor)


def invalidate_on_commit(io: BookingIO, booking: Booking, timezone: str) -> None:
    """After commit: forget the cached days of the booking's range, and bump its owner's
    bookings counter, which raises that counter's fence: the owner's next list of their
    bookings (or of free resources) is read from a replica only once it shows this change
    (core.replica)."""
    days = slots_service.local_days_of_range(timezone, booking.starts_at, booking.ends_at)
    availability_service.invalidate_availability_on_commit(
        io.session, io.cache, booking.resource_id, days, also=[owner_generation(io, booking)]
    )


def owner_generation(io: BookingIO, booking: Booking) -> str:
    return io.cache.keys.user_bookings_generation(booking.user_id)


def count_on_commit(io: BookingIO, event: str) -> None:
    """Count a booking transition for the dashboard once committed (a rollback counts none)."""

    async def count() -> None:
        metrics.booking_event(event)

    tx.on_commit(io.session, count)


def release_lock_on_commit(io: BookingIO, booking: Booking) -> None:
    token = booking.lock_token
    if not token:
        return
    key = io.keys.hold_lock(booking.resource_id, booking.starts_at, booking.ends_at)

    async def release() -> None:
        await io.locks.release_key(key, token)

    tx.on_commit(io.session, release)


async def free_slots(io: BookingIO, booking: Booking, *, not_before: datetime) -> None:
    """Give back what the booking holds from `not_before` on: its slots, or its seats."""
    await slots_service.free(io.session, claim(booking), not_before=not_before)
