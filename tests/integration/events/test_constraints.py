"""The database itself guards the event invariants (R-36): one live booking per user and
event (a partial unique index), and never more seats taken than the event's slot has."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asyncpg.exceptions import CheckViolationError, UniqueViolationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.domains.events import service as events_service
from roomtime.domains.events.schemas import EventCreate
from tests.factories import rows

pytestmark = pytest.mark.integration


async def _event(
    session: AsyncSession, clock: FrozenClock, seats: int | None = 3
) -> tuple[int, int]:
    admin = await rows.user(session, role="admin")
    await session.commit()
    starts = clock() + timedelta(days=2)
    event = await events_service.create_event(
        session,
        EventCreate(
            name="Gala",
            starts_at=starts,
            ends_at=starts + timedelta(days=2),  # longer than a day: one slot covers it
            total_seats=seats,
            booking_ttl_minutes=10,
        ),
        actor_user_id=admin.id,
        now=clock(),
    )
    rid = await session.scalar(text("SELECT resource_id FROM event WHERE id = :i"), {"i": event.id})
    return event.id, int(rid)


def _cause(exc: IntegrityError) -> type[BaseException]:
    return type(exc.orig.__cause__) if exc.orig is not None else type(exc)  # type: ignore[union-attr]


async def test_the_event_has_one_slot_covering_it_with_its_seats(
    session: AsyncSession, clock: FrozenClock
) -> None:
    _, rid = await _event(session, clock, seats=3)
    slots = (
        await session.execute(
            text(
                "SELECT starts_at, ends_at, capacity, status FROM time_slot WHERE resource_id = :r"
            ),
            {"r": rid},
        )
    ).all()
    assert len(slots) == 1
    starts, ends, capacity, status = slots[0]
    assert ends - starts == timedelta(days=2) and capacity == 3 and status == "available"
    hidden = await session.scalar(
        text("SELECT is_hidden AND NOT is_active FROM resource WHERE id = :r"), {"r": rid}
    )
    assert hidden is True


@pytest.mark.parametrize("second", ["pending", "confirmed"])
async def test_a_second_live_booking_of_one_user_is_refused(
    session: AsyncSession, clock: FrozenClock, second: str
) -> None:
    eid, rid = await _event(session, clock)
    user = await rows.user(session)
    starts = clock() + timedelta(days=2)
    common = {"user_id": user.id, "resource_id": rid, "starts_at": starts, "event_id": eid}
    await rows.booking(session, status="pending", is_exclusive=False, **common)
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await rows.booking(session, status=second, is_exclusive=False, **common)
    assert _cause(caught.value) is UniqueViolationError
    assert "uq_booking_one_live_per_event" in str(caught.value)


async def test_ended_bookings_do_not_count_and_other_events_neither(
    session: AsyncSession, clock: FrozenClock
) -> None:
    eid, rid = await _event(session, clock)
    user = await rows.user(session)
    starts = clock() + timedelta(days=2)
    common = {"user_id": user.id, "resource_id": rid, "starts_at": starts, "is_exclusive": False}
    for status in ("cancelled", "expired", "archived"):
        await rows.booking(session, status=status, event_id=eid, **common)
    await rows.booking(session, status="confirmed", event_id=eid, **common)
    await rows.booking(session, status="confirmed", event_id=None, **common)
    await rows.booking(session, status="confirmed", event_id=None, **common)
    assert await session.scalar(text("SELECT count(*) FROM booking")) == 6


async def test_the_slot_never_sells_more_seats_than_the_event_has(
    session: AsyncSession, clock: FrozenClock
) -> None:
    _, rid = await _event(session, clock, seats=3)
    with pytest.raises(IntegrityError) as caught:
        async with session.begin_nested():
            await session.execute(
                text("UPDATE time_slot SET seats_taken = 4 WHERE resource_id = :r"), {"r": rid}
            )
    assert _cause(caught.value) is CheckViolationError
