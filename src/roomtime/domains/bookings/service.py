"""Bookings: the only writer of bookings. hold → confirmed → cancelled / expired / archived.

Each use case is a function in its own module taking one dependencies object (built in
`factory.py`): `hold`, `confirm` (and `idempotent.confirm_request` around it), `cancel`,
`set_status`, and the sweeps of the periodic jobs (`sweep_*.py`). The state table is in
`states.py`. This module is what other domains may call: reads of bookings, and the
archive sweep (the reports domain runs it before summarising utilisation).

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
from roomtime.domains.bookings._usage import DayUsage as DayUsage
from roomtime.domains.bookings._usage import usage_by_day as usage_by_day
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import BookingFilters
from roomtime.domains.bookings.sweep_archive import ArchiveReport as ArchiveReport
from roomtime.domains.bookings.sweep_archive import archive_ended as archive_ended

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
