"""release-holds: pending bookings past `expires_at` become expired and free their slots."""

from __future__ import annotations

from roomtime.core import tx
from roomtime.domains.bookings import sweep_repository
from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.expire import release_expired

BATCH = 100
MAX_BATCHES = 50


async def release_expired_holds(io: BookingIO, batch: int = BATCH) -> int:
    """Expire due holds in batches (short locks, bounded work per run); each is audited and
    mailed, and caches and Redis hold locks are cleared after each commit. Idempotent."""
    total = 0
    for _ in range(MAX_BATCHES):
        now = io.clock()
        async with tx.transactional(io.session):
            expired = await sweep_repository.expire_due(io.session, now, batch)
            await release_expired(io, expired, reason="hold_ttl_passed")
        total += len(expired)
        if len(expired) < batch:
            break
    return total
