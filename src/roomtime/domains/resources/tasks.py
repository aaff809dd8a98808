"""Queue jobs of the resources domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from typing import Any

from roomtime.domains.resources import service
from roomtime.settings import Settings


async def extend_slots_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`extend-slots`: every active resource has slots up to its rolling horizon."""
    settings: Settings = ctx["settings"]
    async with ctx["sessionmaker"]() as session:
        return await service.extend_horizons(
            session, ctx["clock"](), settings.booking.slot_horizon_days, ctx["cache"]
        )
