"""remind-upcoming: one reminder per confirmed booking starting within N minutes."""

from __future__ import annotations

import math
from datetime import timedelta

from roomtime.core import tx
from roomtime.domains.bookings import sweep_repository
from roomtime.domains.bookings._effects import BookingIO, facts, notify_owner, resource_of
from roomtime.domains.bookings.sweep_holds import BATCH, MAX_BATCHES
from roomtime.domains.notifications import templates


async def send_reminders(io: BookingIO, minutes: int, batch: int = BATCH) -> int:
    """`reminder_sent_at` is set in the transaction that writes the outbox row (whose dedupe
    key is a second guard), so a reminder is never written twice."""
    sent = 0
    for _ in range(MAX_BATCHES):
        now = io.clock()
        async with tx.transactional(io.session):
            due = await sweep_repository.due_reminders(
                io.session, now, now + timedelta(minutes=minutes), batch
            )
            for booking in due:
                resource = await resource_of(io, booking)
                left = max(1, math.ceil((booking.starts_at - now).total_seconds() / 60))
                await notify_owner(
                    io,
                    booking,
                    templates.reminder(facts(booking, resource), left),
                    # Per start: a booking moved is reminded of its new time.
                    dedupe_key=f"reminder:{booking.id}:{booking.starts_at.isoformat()}",
                )
                booking.reminder_sent_at = now
        sent += len(due)
        if len(due) < batch:
            break
    return sent
