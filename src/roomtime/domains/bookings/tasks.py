"""Queue jobs of the bookings domain; the jobs registry calls them with its context dict.

`archive-bookings` is the reports domain's job: it archives through the bookings service,
then summarises utilisation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings._effects import BookingIO
from roomtime.domains.bookings.factory import io_of
from roomtime.domains.bookings.sweep_holds import release_expired_holds
from roomtime.domains.bookings.sweep_reconcile import reconcile_slots
from roomtime.domains.bookings.sweep_reminders import send_reminders
from roomtime.infrastructure import infra_of
from roomtime.settings import Settings


def io_from_context(ctx: dict[str, Any], session: AsyncSession) -> BookingIO:
    """What the sweeps use, on a job context's Infrastructure (also used by the job tests)."""
    return io_of(session, infra_of(ctx))


async def release_holds_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`release-holds`: expired holds → expired, slots free, locks and caches cleared."""
    async with infra_of(ctx).sessionmaker() as session:
        expired = await release_expired_holds(io_from_context(ctx, session))
    return {"expired": expired}


async def reconcile_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`reconcile`: slot statuses and seat counts repaired from the bookings."""
    async with infra_of(ctx).sessionmaker() as session:
        return await reconcile_slots(io_from_context(ctx, session))


async def remind_upcoming_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`remind-upcoming`: one reminder per confirmed booking starting within
    REMINDER_MINUTES."""
    settings: Settings = infra_of(ctx).settings
    async with infra_of(ctx).sessionmaker() as session:
        queued = await send_reminders(io_from_context(ctx, session), settings.mail.reminder_minutes)
    return {"reminders_queued": queued}
