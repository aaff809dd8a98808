"""Queue jobs of the resources domain; the jobs registry calls them with its context dict."""

from __future__ import annotations

from typing import Any

from roomtime.domains.resources import service
from roomtime.infrastructure import infra_of


async def extend_slots_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """`extend-slots`: every active resource has slots up to its rolling horizon."""
    infra = infra_of(ctx)
    async with infra.sessionmaker() as session:
        return await service.extend_horizons(
            session, infra.clock(), infra.settings.booking.slot_horizon_days, infra.cache
        )
