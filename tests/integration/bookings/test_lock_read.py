"""The booking a use case locks (bookings.repository.get_for_update, and lock_with_resource,
which reads its resource's facts in the same statement): read raw and put in the session
as the ORM would have loaded it, or, when the session holds it already, refreshed in
place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.db import create_sessionmaker
from roomtime.domains.bookings import repository
from roomtime.domains.bookings.models import Booking
from roomtime.domains.resources import service as resources_service
from roomtime.domains.resources.models import Resource
from tests.factories import rows

pytestmark = pytest.mark.integration

STARTS = datetime(2030, 1, 8, 10, tzinfo=UTC)


async def _pending(session: AsyncSession) -> Booking:
    user = await rows.user(session)
    resource = await rows.resource(session)
    booking = await rows.booking(
        session, user_id=user.id, resource_id=resource.id, starts_at=STARTS, status="pending"
    )
    await session.commit()
    return booking


def _columns(booking: Booking) -> dict[str, object]:
    return {c.key: getattr(booking, c.key) for c in inspect(Booking).column_attrs}


async def test_a_locked_booking_is_a_loaded_object_of_the_session(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    booking = await _pending(session)
    async with create_sessionmaker(engine)() as other:
        locked = await repository.get_for_update(
            other, booking.id, owner_id=booking.user_id, bounded=True
        )
        assert locked is not None
        state = inspect(locked)
        assert state.persistent and not state.modified and not other.dirty
        assert _columns(locked) == _columns(booking)
        # The identity map has it: a later lookup in the transaction is this very object.
        assert await other.get(Booking, booking.id) is locked
        await other.rollback()


async def test_someone_elses_booking_is_not_locked(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    booking = await _pending(session)
    async with create_sessionmaker(engine)() as other:
        assert (
            await repository.get_for_update(other, booking.id, owner_id=booking.user_id + 1) is None
        )
        assert await repository.get_for_update(other, booking.id + 1000, owner_id=None) is None
        await other.rollback()


async def test_a_booking_the_session_holds_already_is_refreshed_in_place(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    booking = await _pending(session)
    async with create_sessionmaker(engine)() as other:
        earlier = await other.get(Booking, booking.id)
        assert earlier is not None
        earlier_status = earlier.status
        await other.rollback()  # its snapshot ends; the object stays in the session
        await session.execute(
            update(Booking).where(Booking.id == booking.id).values(status="confirmed")
        )
        await session.commit()
        locked = await repository.get_for_update(other, booking.id, owner_id=None)
        assert locked is earlier
        assert (earlier_status, locked.status) == ("pending", "confirmed")
        assert not inspect(locked).modified
        await other.rollback()


async def test_the_lock_that_reads_the_resource_too_gives_both_as_read_apart(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    booking = await _pending(session)
    await session.execute(
        update(Resource)
        .where(Resource.id == booking.resource_id)
        .values(timezone="Europe/Berlin", cancel_deadline_minutes=90, is_active=False)
    )
    await session.commit()
    async with create_sessionmaker(engine)() as other:
        found = await repository.lock_with_resource(other, booking.id, owner_id=booking.user_id)
        assert found is not None
        locked, facts = found
        state = inspect(locked)
        assert state.persistent and not state.modified and not other.dirty
        assert _columns(locked) == _columns(booking)
        # An inactive resource's bookings are still confirmed and cancelled: its facts come.
        assert facts == await resources_service.get_facts(
            other, booking.resource_id, include_inactive=True
        )
        assert (facts.timezone, facts.cancel_deadline_minutes) == ("Europe/Berlin", 90)
        await other.rollback()

        assert await repository.lock_with_resource(other, booking.id, owner_id=0) is None
        # Held by the session already: locked through the ORM, the resource read apart.
        earlier = await other.get(Booking, booking.id)
        again = await repository.lock_with_resource(other, booking.id, owner_id=None)
        assert again is not None and again[0] is earlier and again[1] == facts
        await other.rollback()
