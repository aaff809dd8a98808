"""Bookings: the only writer of bookings. hold → confirmed → cancelled / expired / archived.

Correctness rests on PostgreSQL: conditional slot updates whose row counts are checked, the
exclusion constraint on active bookings, row locks taken with a 3 s lock timeout, all at
READ COMMITTED in one transaction per use case (docs/booking-design.md explains why).
Redis only speeds things up (hold lock, in-flight idempotency markers, caches).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from roomtime.domains.bookings import repository
from roomtime.domains.bookings._cancel import CancelFlows
from roomtime.domains.bookings._confirm import ConfirmOutcome, parse_idempotency_key
from roomtime.domains.bookings._jobs import ArchiveReport, JobFlows
from roomtime.domains.bookings._usage import DayUsage, usage_by_day
from roomtime.domains.bookings.models import Booking
from roomtime.domains.bookings.schemas import BookingFilters

__all__ = [
    "ArchiveReport",
    "BookingService",
    "ConfirmOutcome",
    "DayUsage",
    "parse_idempotency_key",
    "usage_by_day",
]

SORTS: dict[str, tuple[str, bool]] = {
    "starts_at": ("starts_at", False),
    "-starts_at": ("starts_at", True),
    "created_at": ("created_at", False),
    "-created_at": ("created_at", True),
}


def _as_instant(value: datetime | date | None, *, end: bool) -> datetime | None:
    """A date means the whole UTC day: from its start, or up to the next day's start."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=UTC)


class BookingService(CancelFlows, JobFlows):
    async def list_bookings(
        self, filters: BookingFilters, *, sort: str, limit: int, offset: int
    ) -> tuple[list[Booking], int]:
        column, descending = SORTS[sort]
        attr: Any = getattr(Booking, column)
        stmt = repository.filtered(
            status=filters.status,
            starts_from=_as_instant(filters.date_from, end=False),
            starts_before=_as_instant(filters.date_to, end=True),
            resource_id=filters.resource_id,
            user_id=filters.user_id,
        )
        order = [attr.desc() if descending else attr.asc()]
        return await repository.page(self.session, stmt, order, limit, offset)
