"""Queue jobs of the bookings domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings.factory import build_booking_service
from roomtime.domains.bookings.service import BookingService
from roomtime.domains.reports import service as reports_service
from roomtime.settings import Settings


def service_from_context(ctx: dict[str, Any], session: AsyncSession) -> BookingService:
    """The booking service on a job context's collaborators (also used by the job tests)."""
    return build_booking_service(
        session,
        ctx["settings"],
        ctx["clock"],
        redis=ctx["app_redis"],
        limiter=ctx["limiter"],
        cache=ctx["cache"],
        notifier=ctx["notifier"],
    )


async def release_holds_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`release-holds`: expired holds → expired, slots free, locks and caches cleared."""
    async with ctx["sessionmaker"]() as session:
        expired = await service_from_context(ctx, session).release_expired_holds()
    return {"expired": expired}


async def reconcile_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`reconcile`: slot statuses and seat counts repaired from the bookings."""
    async with ctx["sessionmaker"]() as session:
        return await service_from_context(ctx, session).reconcile_slots()


async def archive_bookings_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`archive-bookings`: ended confirmed bookings → archived; utilisation summarised."""
    settings: Settings = ctx["settings"]
    async with ctx["sessionmaker"]() as session:
        report = await service_from_context(ctx, session).archive_ended()
        summary = await reports_service.summarise_utilization(
            session,
            ctx["clock"](),
            lookback_days=settings.jobs.utilization_lookback_days,
            spans=report.spans,
        )
    return {"archived": report.archived, **summary}


async def remind_upcoming_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`remind-upcoming`: one reminder per confirmed booking starting within
    REMINDER_MINUTES."""
    settings: Settings = ctx["settings"]
    async with ctx["sessionmaker"]() as session:
        queued = await service_from_context(ctx, session).send_reminders(
            settings.mail.reminder_minutes
        )
    return {"reminders_queued": queued}
