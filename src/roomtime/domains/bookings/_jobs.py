"""The booking side of the periodic jobs: expire holds, repair slots, archive, remind.

Each method runs its own transactions in batches (short locks, bounded work per run) and
is idempotent: a second run finds nothing left to do and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from roomtime.core import tx
from roomtime.domains.audit import service as audit
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings import repository
from roomtime.domains.bookings._base import facts
from roomtime.domains.bookings._expiry import ExpiryFlows
from roomtime.domains.notifications import templates
from roomtime.domains.resources import service as resources_service
from roomtime.domains.slots import reconcile as slot_reconcile

log = structlog.get_logger(__name__)

BATCH = 100
MAX_BATCHES = 50


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    archived: int
    # (resource_id, starts_at, ends_at) of each archived booking: the days to re-summarise.
    spans: list[tuple[int, datetime, datetime]] = field(default_factory=list)


class JobFlows(ExpiryFlows):
    async def release_expired_holds(self, batch: int = BATCH) -> int:
        """release-holds: pending bookings past `expires_at` become expired, their slots
        free; audited, mailed, caches and Redis hold locks cleared after each commit."""
        total = 0
        for _ in range(MAX_BATCHES):
            now = self.clock()
            async with tx.transactional(self.session):
                expired = await repository.expire_due(self.session, now, batch)
                await self.release_expired(expired, now, reason="hold_ttl_passed")
            total += len(expired)
            if len(expired) < batch:
                break
        return total

    async def reconcile_slots(self) -> dict[str, int]:
        """reconcile: expire overdue holds first (so their slots are released the proper
        way), then repair whatever slot state still disagrees with its booking."""
        expired = await self.release_expired_holds()
        now = self.clock()
        async with tx.transactional(self.session):
            await repository.set_lock_timeout(self.session)
            report = await slot_reconcile.reconcile(self.session, now)
            for resource_id in sorted(report.resource_ids):
                availability_service.invalidate_availability_on_commit(
                    self.session, self.cache, resource_id
                )
            if report.total or report.conflicts:
                await audit.record(
                    self.session,
                    action="slots.reconciled",
                    entity="time_slot",
                    entity_id=None,
                    actor_user_id=None,
                    meta={**report.counts(), "slot_ids": report.slot_ids[:200]},
                )
        if report.total or report.conflicts:
            # Anything found here means some code path broke an invariant: worth a look.
            log.warning("slots_reconciled", **report.counts(), slot_ids=report.slot_ids[:50])
        return {"holds_expired": expired, **report.counts()}

    async def archive_ended(self, batch: int = 500) -> ArchiveReport:
        """archive-bookings: confirmed bookings that have ended become archived."""
        spans: list[tuple[int, datetime, datetime]] = []
        for _ in range(MAX_BATCHES):
            now = self.clock()
            async with tx.transactional(self.session):
                archived = await repository.archive_ended(self.session, now, batch)
                for booking in archived:
                    await audit.record(
                        self.session,
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

    async def send_reminders(self, minutes: int, batch: int = BATCH) -> int:
        """remind-upcoming: one reminder per confirmed booking starting within `minutes`.

        `reminder_sent_at` is set in the transaction that writes the outbox row (whose
        dedupe key is a second guard), so a reminder is never written twice.
        """
        sent = 0
        for _ in range(MAX_BATCHES):
            now = self.clock()
            async with tx.transactional(self.session):
                due = await repository.due_reminders(
                    self.session, now, now + timedelta(minutes=minutes), batch
                )
                for booking in due:
                    resource = await resources_service.get_resource(
                        self.session, booking.resource_id, include_inactive=True
                    )
                    left = max(1, math.ceil((booking.starts_at - now).total_seconds() / 60))
                    await self.notify_owner(
                        booking,
                        templates.reminder(facts(booking, resource), left),
                        dedupe_key=f"reminder:{booking.id}",
                    )
                    booking.reminder_sent_at = now
            sent += len(due)
            if len(due) < batch:
                break
        return sent
