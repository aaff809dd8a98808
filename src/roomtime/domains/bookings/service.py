"""Bookings: the only writer of bookings. hold → confirmed → cancelled / expired / archived.

Each use case is a function in its own module taking one dependencies object (built in
`factory.py`): `hold`, `confirm` (and `idempotent.confirm_request` around it), `cancel`,
`set_status`, and the sweeps of the periodic jobs (`sweep_*.py`). The state table is in
`states.py`. This module is what other domains may call: reads of bookings, the archive
sweep (the reports domain runs it before summarising utilisation), and the seat use cases
the events domain books through (`hold_seats`, `cancel_event_bookings`).

Correctness rests on PostgreSQL: conditional slot updates whose row counts are checked, the
exclusion constraint on active bookings, row locks taken under one lock timeout, all at READ
COMMITTED in one transaction per use case (docs/booking-design.md explains why). Redis only
speeds things up (hold lock, in-flight idempotency markers, caches).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.pagination import Sort, fetch_page, ordered
from roomtime.domains.bookings import repository
from roomtime.domains.bookings._effects import BookingIO as BookingIO
from roomtime.domains.bookings._usage import DayUsage as DayUsage
from roomtime.domains.bookings._usage import usage_by_day as usage_by_day
from roomtime.domains.bookings.cancel import cancel_event_bookings as cancel_event_bookings
from roomtime.domains.bookings.expire import expire_overlapping as expire_overlapping
from roomtime.domains.bookings.hold import HoldDeps as HoldDeps
from roomtime.domains.bookings.hold import hold_seats as hold_seats
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import BookingFilters
from roomtime.domains.bookings.sweep_archive import ArchiveReport as ArchiveReport
from roomtime.domains.bookings.sweep_archive import archive_ended as archive_ended


async def live_seats_by_event(
    session: AsyncSession, event_ids: list[int], now: datetime
) -> dict[int, int]:
    """Seats held or booked per event right now (expired holds count as free, R-14)."""
    return await repository.live_seats_by_event(session, event_ids, now)


async def list_event_bookings(
    session: AsyncSession, event_id: int, now: datetime, *, limit: int, offset: int
) -> tuple[list[Booking], int]:
    """The live bookings of an event (its participants), oldest first."""
    stmt = repository.live_of_event(event_id, now)
    return await fetch_page(
        session, stmt, [Booking.created_at.asc(), Booking.id.asc()], limit, offset
    )


SORT_FIELDS = ("starts_at", "created_at")
_COLUMNS = {"starts_at": Booking.starts_at, "created_at": Booking.created_at}


def _as_instant(value: datetime | date | None, *, end: bool) -> datetime | None:
    """A date means the whole UTC day: from its start, or up to the next day's start."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=UTC)


async def list_bookings(
    session: AsyncSession, filters: BookingFilters, *, sort: str, limit: int, offset: int
) -> tuple[list[Booking], int]:
    order = Sort.parse(sort)
    stmt = repository.filtered(
        status=filters.status,
        starts_from=_as_instant(filters.date_from, end=False),
        starts_before=_as_instant(filters.date_to, end=True),
        resource_id=filters.resource_id,
        user_id=filters.user_id,
    )
    return await fetch_page(
        session, stmt, ordered(_COLUMNS[order.field], order, Booking.id), limit, offset
    )
