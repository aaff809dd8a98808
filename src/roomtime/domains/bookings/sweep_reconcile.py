"""reconcile: slot statuses and seat counts repaired from the bookings after a crash."""

from __future__ import annotations

import structlog

from roomtime.core import tx
from roomtime.core.contention import set_lock_timeout
from roomtime.domains.audit import service as audit
from roomtime.domains.availability import service as availability_service
from roomtime.domains.bookings import sweep_repository
from roomtime.domains.bookings._effects import BookingIO, claim
from roomtime.domains.bookings.constants import CONFIRMED
from roomtime.domains.bookings.sweep_holds import release_expired_holds
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.schemas import LiveClaim

log = structlog.get_logger(__name__)


async def reconcile_slots(io: BookingIO) -> dict[str, int]:
    """Expire overdue holds first (so their slots are released the proper way, with audit
    and mail), then let the slots domain repair what still disagrees with the live bookings.
    A confirmed booking's slots are booked, a pending one's held (the state table's `book`
    and `take`); every other booking owns no slot."""
    expired = await release_expired_holds(io)
    now = io.clock()
    async with tx.transactional(io.session):
        await set_lock_timeout(io.session)
        live = await sweep_repository.live_until_after(io.session, now)
        claims = [LiveClaim(claim(b), booked=b.status == CONFIRMED) for b in live]
        report = await slots_service.reconcile(io.session, now, claims)
        for resource_id in sorted(report.resource_ids):
            availability_service.invalidate_availability_on_commit(
                io.session, io.cache, resource_id
            )
        if report.total or report.conflicts:
            await audit.record(
                io.session,
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
