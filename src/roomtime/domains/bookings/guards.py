"""The guards of the booking write path that a test may switch off: the per-user hold lock,
the Redis hold lock, and the row counts of the conditional slot updates.

Production always uses `Guards`. The concurrency suite's negative control swaps in the
test-only variant of `guards_testing.py` (refused outside ENVIRONMENT=test by the settings)
to show that without them a double booking really happens. A reader of the write path can
treat every call here as "the guard runs".
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings import repository
from roomtime.domains.bookings.errors import SlotsUnavailableError


class Guards:
    use_hold_lock = True

    async def serialise_user_holds(self, session: AsyncSession, user_id: int) -> None:
        await repository.lock_user_holds(session, user_id)

    def require_all(self, changed: int, expected: int, message: str) -> None:
        """The conditional update changed every slot it had to, or the booking is refused."""
        if changed != expected:
            raise SlotsUnavailableError(message)

    async def race_window(self) -> None:
        """Where a test may widen the window between checking and writing; nothing here."""


STRICT = Guards()
