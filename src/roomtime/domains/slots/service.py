"""Time slots: generation from opening hours, status changes and the availability reads.

Callers own the transaction: every function here runs inside the caller's
`tx.transactional` block (or, for reads, on its session).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from roomtime.core.contention import busy_on_contention, set_lock_timeout
from roomtime.core.prepared import Arg, Reader
from roomtime.domains.slots import repository

# What a booking does to its slots, and the reconcile job's repair (explicit re-exports).
from roomtime.domains.slots._claims import book as book
from roomtime.domains.slots._claims import free as free
from roomtime.domains.slots._claims import spans_in_range as spans_in_range
from roomtime.domains.slots._claims import take as take

# A booking's slot changes as parts of the statement that writes the booking (hold, confirm,
# cancel of an exclusive resource).
from roomtime.domains.slots._claims_repository import booking_held as booking_held
from roomtime.domains.slots._claims_repository import booking_held_params as booking_held_params
from roomtime.domains.slots._claims_repository import holding as holding
from roomtime.domains.slots._claims_repository import holding_params as holding_params
from roomtime.domains.slots._claims_repository import releasing as releasing
from roomtime.domains.slots._claims_repository import releasing_params as releasing_params
from roomtime.domains.slots._claims_repository import slots_in_range as slots_in_range
from roomtime.domains.slots._whole import add_whole_span as add_whole_span
from roomtime.domains.slots._whole import close_whole_span as close_whole_span
from roomtime.domains.slots._whole import move_whole_span as move_whole_span
from roomtime.domains.slots._whole import resize_whole_span as resize_whole_span
from roomtime.domains.slots._whole import seats_taken_in_span as seats_taken_in_span
from roomtime.domains.slots.calendar import (
    SlotRange,
    day_bounds,
    drop_overlapping,
    local_days,
    local_days_between,
    slots_for_range,
)
from roomtime.domains.slots.constants import SLOT_AVAILABLE, SLOT_BOOKED, SLOT_HELD
from roomtime.domains.slots.errors import SlotsBookedError
from roomtime.domains.slots.reconcile import ReconcileReport as ReconcileReport
from roomtime.domains.slots.reconcile import reconcile as reconcile

# A range's slots read with another row in one statement (a hold's look at its resource).
from roomtime.domains.slots.repository import spans_in as spans_in
from roomtime.domains.slots.repository import with_spans as with_spans
from roomtime.domains.slots.schemas import GenerationResult, SlotCalendar, SlotChange


@dataclass(frozen=True, slots=True)
class AvailableSlot:
    id: int
    starts_at: datetime
    ends_at: datetime
    seats_left: int


@dataclass(frozen=True, slots=True)
class DayAvailability:
    slots: list[AvailableSlot]
    # The earliest expiry of a hold still alive in the day: the day changes then.
    next_hold_expiry: datetime | None


@dataclass(frozen=True, slots=True)
class Rebuild:
    deleted: int
    created: int


def local_days_of_range(timezone: str, starts_at: datetime, ends_at: datetime) -> set[date]:
    """The resource's local calendar days touched by [starts_at, ends_at)."""
    return set(local_days_between(starts_at, ends_at, ZoneInfo(timezone)))


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


async def generate_slots(
    session: AsyncSession,
    calendar: SlotCalendar,
    first_day: date,
    last_day: date,
    *,
    not_before: datetime | None = None,
) -> GenerationResult:
    """Create the missing slots of [first_day, last_day] (local days); idempotent.

    A slot that would overlap an existing one (kept under an older slot length) is skipped;
    with `not_before`, so is every slot starting before it.
    """
    tz = ZoneInfo(calendar.timezone)
    ranges = slots_for_range(first_day, last_day, calendar.hours, calendar.slot_minutes, tz)
    if not_before is not None:
        ranges = [r for r in ranges if r.starts_at >= not_before]
    if ranges:
        existing = await repository.list_spans(
            session, calendar.resource_id, ranges[0].starts_at, ranges[-1].ends_at
        )
        ranges = drop_overlapping(ranges, existing)
    created = await repository.insert_missing(
        session, calendar.resource_id, calendar.capacity, ranges
    )
    return GenerationResult(first_day, last_day, created)


async def fill_horizon(
    session: AsyncSession, calendar: SlotCalendar, now: datetime, horizon_days: int
) -> GenerationResult:
    """Make sure slots exist from today to today + horizon (the resource's local days)."""
    today = local_today(now, calendar.timezone)
    return await generate_slots(session, calendar, today, today + timedelta(days=horizon_days - 1))


async def rebuild_future(
    session: AsyncSession, calendar: SlotCalendar, now: datetime, horizon_days: int
) -> Rebuild:
    """Regenerate the future after a change of opening hours, slot length or time zone.

    Only future slots nobody holds, booked or blocked are replaced; the others stay as they
    are and no new slot overlaps them. The new calendar reaches as far as the horizon or the
    furthest slot replaced, whichever is later (admins may have added slots beyond it).
    """
    deleted = await repository.delete_free_from(session, calendar.resource_id, now)
    today = local_today(now, calendar.timezone)
    last_day = today + timedelta(days=horizon_days - 1)
    if deleted:
        last_day = max(last_day, local_today(max(deleted), calendar.timezone))
    generated = await generate_slots(session, calendar, today, last_day, not_before=now)
    return Rebuild(deleted=len(deleted), created=generated.created)


async def set_future_capacity(
    session: AsyncSession, calendar: SlotCalendar, now: datetime
) -> SlotChange:
    """Give the future available slots the calendar's capacity (never below seats taken)."""
    starts = await repository.set_free_capacity_from(
        session, calendar.resource_id, now, calendar.capacity
    )
    return SlotChange(len(starts), frozenset(local_days(starts, ZoneInfo(calendar.timezone))))


def _is_taken(slot: Row[Any]) -> bool:
    return slot.status == SLOT_BOOKED or slot.seats_taken > 0 or bool(slot.live_hold)


async def block_range(
    session: AsyncSession, resource_id: int, timezone: str, span: SlotRange, now: datetime
) -> SlotChange:
    """Block every slot overlapping `span`; all or nothing.

    A booked slot, a live hold or a shared slot with seats taken makes it a 409 and nothing
    changes; an expired hold is blockable (R-14: it blocks nobody).
    """
    rows = await _lock(session, resource_id, span, now)
    taken = [slot.id for slot in rows if _is_taken(slot)]
    if taken:
        raise SlotsBookedError(
            f"{len(taken)} slot(s) in the range are booked or held", slot_ids=taken
        )
    blockable = [slot for slot in rows if slot.status in (SLOT_AVAILABLE, SLOT_HELD)]
    changed = await repository.block(session, [slot.id for slot in blockable])
    days = local_days((slot.starts_at for slot in blockable), ZoneInfo(timezone))
    return SlotChange(changed, frozenset(days))


async def unblock_range(
    session: AsyncSession, resource_id: int, timezone: str, span: SlotRange, now: datetime
) -> SlotChange:
    """Make the blocked slots overlapping `span` available again."""
    await _lock(session, resource_id, span, now)
    starts = await repository.unblock(session, resource_id, span.starts_at, span.ends_at)
    return SlotChange(len(starts), frozenset(local_days(starts, ZoneInfo(timezone))))


async def _lock(
    session: AsyncSession, resource_id: int, span: SlotRange, now: datetime
) -> Sequence[Row[Any]]:
    # Admin slot commands wait a bounded time for a slot row a hold or confirm has locked.
    await set_lock_timeout(session)
    with busy_on_contention("The slots are being changed by another request; retry shortly"):
        return await repository.lock_overlapping(
            session, resource_id, span.starts_at, span.ends_at, now
        )


async def available_day(
    session: Reader, resource_id: int, timezone: str, day: date, now: datetime
) -> DayAvailability:
    """The available slots of one local day of the resource (R-22), from PostgreSQL."""
    start, end = day_bounds(day, ZoneInfo(timezone))
    rows = await repository.list_available_day(session, resource_id, start, end, now)
    expiry = rows[0][4] if rows else None
    slots = [AvailableSlot(row[0], row[1], row[2], row[3]) for row in rows if row[0] is not None]
    return DayAvailability(slots, expiry)


def covers_range(
    resource_id: ColumnElement[int],
    start: Arg[datetime],
    end: Arg[datetime],
    now: Arg[datetime],
    seconds: Arg[int],
) -> ColumnElement[bool]:
    """SQL condition: the resource's available slots cover [start, end) without a gap;
    `seconds` is the range's length (`range_seconds`), a value of its own so that the
    condition can take all its values as parameters (core.prepared).

    Slots of one resource never overlap, so "the available slots lying inside the range add
    up to its whole length" means every moment of the range is bookable (and at least one
    slot exists). A range not aligned to slot boundaries is therefore never covered.
    """
    return repository.covered_seconds(resource_id, start, end, now) == seconds


def range_seconds(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


async def open_minutes_by_day(
    session: AsyncSession, resource_id: int, timezone: str, first_day: date, last_day: date
) -> dict[date, int]:
    """Seat-minutes the resource was open for booking on each local day (slot minutes times
    slot capacity, blocked slots left out); days without slots are absent."""
    tz = ZoneInfo(timezone)
    start, _ = day_bounds(first_day, tz)
    _, end = day_bounds(last_day, tz)
    totals: dict[date, int] = {}
    for starts_at, minutes, capacity in await repository.open_seat_minutes(
        session, resource_id, start, end
    ):
        day = starts_at.astimezone(tz).date()
        totals[day] = totals.get(day, 0) + int(minutes) * capacity
    return totals
