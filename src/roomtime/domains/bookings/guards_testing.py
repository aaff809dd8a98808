"""Test-only booking guards (UNSAFE_DISABLE_BOOKING_GUARDS, BOOKING_RACE_DELAY_MS).

Settings refuse both switches outside ENVIRONMENT=test. They exist for the negative control
of the concurrency suite: with the guards off and a wide race window, two holds of one slot
both succeed; with the guards on, the same window still yields exactly one winner.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings.guards import Guards


class TestOnlyGuards(Guards):
    __test__ = False  # not a pytest test class

    def __init__(self, *, enforce: bool, delay_ms: int) -> None:
        self.enforce = enforce
        self.delay_ms = delay_ms
        self.use_hold_lock = enforce

    async def serialise_user_holds(self, session: AsyncSession, user_id: int) -> None:
        if self.enforce:
            await super().serialise_user_holds(session, user_id)

    def require_all(self, changed: int, expected: int, message: str) -> None:
        if self.enforce:
            super().require_all(changed, expected, message)

    async def race_window(self) -> None:
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
