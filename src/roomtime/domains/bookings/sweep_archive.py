"""archive-bookings: confirmed bookings that have ended become archived."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import repository, states
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.constants import ARCHIVED, CONFIRMED
from roomtime.domains.bookings.sweep_holds import MAX_BATCHES

# The bulk update of the repository is this transition.
ARCHIVING = states.transition(CONFIRMED, ARCHIVED, states.SYSTEM)


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    archived: int
    # (resource_id, starts_at, ends_at) of each archived booking: the days to re-summarise.
    spans: list[tuple[int, datetime, datetime]] = field(default_factory=list)


async def archive_ended(io: BookingIO, batch: int = 500) -> ArchiveReport:
    """Archive in batches, skipping rows another transaction holds; idempotent."""
    spans: list[tuple[int, datetime, datetime]] = []
    for _ in range(MAX_BATCHES):
        now = io.clock()
        async with tx.transactional(io.session):
            archived = await repository.archive_ended(io.session, now, batch)
            for booking in archived:
                await audit.record(
                    io.session,
                    action="booking.archived",
                    entity="booking",
                    entity_id=booking.id,
                    actor_user_id=None,
                    meta={"by": "archive-bookings"},
                )
        spans += [(b.resource_id, b.starts_at, b.ends_at) for b in archived]
        if len(archived) < batch:
            break
    return ArchiveReport(len(spans), spans)
