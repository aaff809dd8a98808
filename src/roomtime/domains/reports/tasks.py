"""Queue jobs of the reports domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from typing import Any

from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.reports import service as reports_service
from roomtime.settings import Settings


async def archive_bookings_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`archive-bookings`: ended confirmed bookings → archived; utilisation summarised."""
    settings: Settings = ctx["settings"]
    async with ctx["sessionmaker"]() as session:
        report = await bookings_service.archive_ended(session, ctx["clock"])
        summary = await reports_service.summarise_utilization(
            session,
            ctx["clock"](),
            lookback_days=settings.jobs.utilization_lookback_days,
            spans=report.spans,
        )
    return {"archived": report.archived, **summary}
