"""Admin commands on a resource's slots (R-20): add for a date range, block, unblock.

They live with the resource, not in the slots domain, because each needs the resource (its
calendar and time zone), an audit row and the availability invalidation around the slot
changes. The resource row is locked first, so they serialise with a concurrent update that
regenerates the calendar.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.core.redis.cache import Cache
from roomtime.domains.audit import service as audit
from roomtime.domains.resources._common import calendar_of, invalidate_on_commit, load_for_update
from roomtime.domains.slots import service as slots_service
from roomtime.domains.slots.calendar import SlotRange
from roomtime.domains.slots.schemas import SlotDateRange, SlotTimeRange


async def add_slots(
    session: AsyncSession,
    cache: Cache | None,
    resource_id: int,
    days: SlotDateRange,
    *,
    actor_user_id: int | None,
    now: datetime,
) -> int:
    """Create the missing future slots of the local days [date_from, date_to]."""
    async with tx.transactional(session):
        resource = await load_for_update(session, resource_id)
        result = await slots_service.generate_slots(
            session, calendar_of(resource), days.date_from, days.date_to, not_before=now
        )
        await audit.record(
            session,
            action="slots.generated",
            entity="resource",
            entity_id=resource.id,
            actor_user_id=actor_user_id,
            meta={
                "date_from": days.date_from.isoformat(),
                "date_to": days.date_to.isoformat(),
                "created": result.created,
            },
        )
        if result.created:
            span = (days.date_to - days.date_from).days
            touched = [days.date_from + timedelta(days=n) for n in range(span + 1)]
            invalidate_on_commit(session, cache, resource.id, days=touched)
    return result.created


async def _change_status(
    session: AsyncSession,
    cache: Cache | None,
    resource_id: int,
    span: SlotTimeRange,
    *,
    block: bool,
    actor_user_id: int | None,
    now: datetime,
) -> int:
    async with tx.transactional(session):
        resource = await load_for_update(session, resource_id)
        slots = SlotRange(span.starts_at, span.ends_at)
        if block:
            change = await slots_service.block_range(
                session, resource.id, resource.timezone, slots, now
            )
        else:
            change = await slots_service.unblock_range(
                session, resource.id, resource.timezone, slots, now
            )
        await audit.record(
            session,
            action="slots.blocked" if block else "slots.unblocked",
            entity="resource",
            entity_id=resource.id,
            actor_user_id=actor_user_id,
            meta={
                "starts_at": span.starts_at.isoformat(),
                "ends_at": span.ends_at.isoformat(),
                "changed": change.changed,
            },
        )
        invalidate_on_commit(session, cache, resource.id, days=change.days)
    return change.changed


async def block_slots(
    session: AsyncSession,
    cache: Cache | None,
    resource_id: int,
    span: SlotTimeRange,
    *,
    actor_user_id: int | None,
    now: datetime,
) -> int:
    """Block the slots overlapping the range; 409 slots_booked if any is booked or held."""
    return await _change_status(
        session, cache, resource_id, span, block=True, actor_user_id=actor_user_id, now=now
    )


async def unblock_slots(
    session: AsyncSession,
    cache: Cache | None,
    resource_id: int,
    span: SlotTimeRange,
    *,
    actor_user_id: int | None,
    now: datetime,
) -> int:
    """Make the blocked slots overlapping the range available again."""
    return await _change_status(
        session, cache, resource_id, span, block=False, actor_user_id=actor_user_id, now=now
    )
