"""Queue jobs of the reports domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from typing import Any

from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.reports import service as reports_service
from roomtime.infrastructure import infra_of


async def archive_bookings_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`archive-bookings`: ended confirmed bookings → archived; utilisation summarised."""
    infra = infra_of(ctx)
    async with infra.sessionmaker() as session:
        report = await bookings_service.archive_ended(session, infra.clock)
        summary = await reports_service.summarise_utilization(
            session,
            infra.clock(),
            lookback_days=infra.settings.jobs.utilization_lookback_days,
            spans=report.spans,
        )
    return {"archived": report.archived, **summary}
