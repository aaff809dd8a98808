"""Reports: the daily per-resource utilisation summary (written by archive-bookings).

The numbers come from the domains that own them, through their services: open minutes from
the slots, booked minutes from the bookings, the calendar (time zone, mode) from the
resource. Days are the resource's local days; only completed days are summarised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core import tx
from roomtime.domains.bookings import service as bookings_service
from roomtime.domains.reports import repository
from roomtime.domains.reports.models import ResourceUtilizationDaily
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.constants import BOOKING_MODE_SHARED
from roomtime.domains.slots import service as slots_service

Span = tuple[int, datetime, datetime]  # resource_id, starts_at, ends_at


def utilization_pct(booked: int, open_minutes: int) -> Decimal:
    if open_minutes <= 0:
        return Decimal("0.00")
    share = Decimal(min(booked, open_minutes) * 100) / Decimal(open_minutes)
    return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _days(
    tz: ZoneInfo, now: datetime, lookback_days: int, spans: Iterable[tuple[datetime, datetime]]
) -> set[date]:
    """The last `lookback_days` completed local days, plus the days of the given spans."""
    today = now.astimezone(tz).date()
    days = {today - timedelta(days=n) for n in range(1, lookback_days + 1)}
    for starts_at, ends_at in spans:
        days.update(slots_service.local_days_of_range(str(tz), starts_at, ends_at))
    return {d for d in days if d < today}


async def _rows(
    session: AsyncSession, resource_id: int, days: set[date], now: datetime
) -> list[dict[str, Any]]:
    resource = await resources_service.get_resource(session, resource_id, include_inactive=True)
    first, last = min(days), max(days)
    shared = resource.booking_mode == BOOKING_MODE_SHARED
    used = await bookings_service.usage_by_day(
        session, resource_id, resource.timezone, first, last, per_seat=shared
    )
    opened = await slots_service.open_minutes_by_day(
        session, resource_id, resource.timezone, first, last
    )
    rows = []
    for day in sorted(days):
        usage = used.get(day)
        booked = usage.minutes if usage else 0
        open_minutes = opened.get(day, 0)
        if usage is None and open_minutes == 0:
            continue  # closed and unused: nothing to report
        rows.append(
            {
                "resource_id": resource_id,
                "local_date": day,
                "bookings": usage.bookings if usage else 0,
                "booked_minutes": booked,
                "open_minutes": open_minutes,
                "utilization_pct": utilization_pct(booked, open_minutes),
                "computed_at": now,
            }
        )
    return rows


async def summarise_utilization(
    session: AsyncSession, now: datetime, *, lookback_days: int, spans: Iterable[Span] = ()
) -> dict[str, int]:
    """Recompute the summary of every resource for its recent completed days and for the
    days of `spans` (bookings just archived, however old). One transaction per resource."""
    extra: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for resource_id, starts_at, ends_at in spans:
        extra[resource_id].append((starts_at, ends_at))
    computed = written = 0
    for resource_id in await resources_service.list_resource_ids(session, include_inactive=True):
        resource = await resources_service.get_resource(session, resource_id, include_inactive=True)
        days = _days(ZoneInfo(resource.timezone), now, lookback_days, extra[resource_id])
        if not days:
            continue
        async with tx.transactional(session):
            rows = await _rows(session, resource_id, days, now)
            written += await repository.upsert(session, rows)
        computed += len(rows)
    return {"days_computed": computed, "rows_written": written}


async def list_utilization(
    session: AsyncSession,
    *,
    date_from: date | None,
    date_to: date | None,
    resource_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[ResourceUtilizationDaily], int]:
    return await repository.page(
        session,
        date_from=date_from,
        date_to=date_to,
        resource_id=resource_id,
        limit=limit,
        offset=offset,
    )
