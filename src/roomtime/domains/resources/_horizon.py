"""The rolling slot horizon (R-20): the `extend-slots` job keeps it full every day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.redis.cache import Cache
from roomtime.domains.resources import repository
from roomtime.domains.resources._common import calendar_of, invalidate_on_commit, load_for_update
from roomtime.domains.slots import service as slots_service


async def extend_horizons(
    session: AsyncSession, now: datetime, horizon_days: int, cache: Cache | None = None
) -> dict[str, int]:
    """Create the missing slots from today to today + horizon for every active resource.

    One transaction per resource, holding its row lock, so a concurrent change of its
    calendar (which rebuilds the future slots under the same lock) cannot interleave.
    Idempotent: slots that exist are left alone.
    """
    created = resources = 0
    for resource_id in await repository.list_ids(session):
        async with tx.transactional(session):
            resource = await load_for_update(session, resource_id)
            if not resource.is_active:  # deactivated since the list was read
                continue
            generated = await slots_service.fill_horizon(
                session, calendar_of(resource), now, horizon_days
            )
            if generated.created:
                resources += 1
                created += generated.created
                span = (generated.last_day - generated.first_day).days + 1
                days = [generated.first_day + timedelta(days=i) for i in range(span)]
                invalidate_on_commit(session, cache, resource.id, days=days)
    return {"resources_extended": resources, "slots_created": created}
