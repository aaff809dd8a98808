"""archive-bookings: confirmed bookings that have ended become archived."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.clock import Clock
from roomtime.domains.audit import service as audit
from roomtime.domains.bookings import states, sweep_repository
from roomtime.domains.bookings.constants import ARCHIVED, CONFIRMED
from roomtime.domains.bookings.sweep_holds import MAX_BATCHES

# The bulk update of the repository is this transition.
ARCHIVING = states.transition(CONFIRMED, ARCHIVED, states.SYSTEM)


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    archived: int
    # (resource_id, starts_at, ends_at) of each archived booking: the days to re-summarise.
    spans: list[tuple[int, datetime, datetime]] = field(default_factory=list)


async def archive_ended(session: AsyncSession, clock: Clock, batch: int = 500) -> ArchiveReport:
    """Archive in batches, skipping rows another transaction holds; idempotent. It moves
    no slot and mails nobody, so it needs only the session and the clock."""
    spans: list[tuple[int, datetime, datetime]] = []
    for _ in range(MAX_BATCHES):
        now = clock()
        async with tx.transactional(session):
            archived = await sweep_repository.archive_ended(session, now, batch)
            for booking in archived:
                await audit.record(
                    session,
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
