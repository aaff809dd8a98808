"""A booking's change written by one raw UPDATE (bookings.write_repository.write_changes),
as the unit-of-work flush wrote it: the same row, the database's updated_at, nothing left dirty,
a broken constraint raised as SQLAlchemy's IntegrityError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from asyncpg.connection import LoggedQuery
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from roomtime.core.db import create_sessionmaker
from roomtime.domains.bookings import repository, write_repository
from roomtime.domains.bookings.models import Booking
from tests.factories import rows

pytestmark = pytest.mark.integration

STARTS = datetime(2030, 1, 8, 10, tzinfo=UTC)


@asynccontextmanager
async def _sent(session: AsyncSession) -> AsyncIterator[list[str]]:
    """The statements sent on the session's connection meanwhile: through SQLAlchemy (its
    cursor events) and raw (the driver's query log)."""
    seen: list[str] = []

    def through_sqlalchemy(*args: Any) -> None:
        seen.append(args[2])

    def raw(query: LoggedQuery) -> None:
        seen.append(query.query)

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    driver = (await (await session.connection()).get_raw_connection()).driver_connection
    event.listen(engine, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(raw)
    try:
        yield seen
        await asyncio.sleep(0)  # the driver calls its loggers soon after each query
    finally:
        driver.remove_query_logger(raw)
        event.remove(engine, "before_cursor_execute", through_sqlalchemy)


async def _pending(session: AsyncSession, **overrides: object) -> Booking:
    user = await rows.user(session)
    resource = await rows.resource(session)
    booking = await rows.booking(
        session,
        user_id=user.id,
        resource_id=resource.id,
        starts_at=STARTS,
        status="pending",
        **overrides,
    )
    await session.commit()
    return booking


async def test_writes_what_changed_and_leaves_nothing_for_the_flush(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    booking = await _pending(session)
    created_updated_at = booking.updated_at
    async with create_sessionmaker(engine)() as other:
        locked = await repository.get_for_update(other, booking.id, owner_id=booking.user_id)
        assert locked is not None
        locked.status, locked.confirmed_at, locked.expires_at = "confirmed", STARTS, None
        locked.idempotency_key = "key-1"
        await write_repository.write_changes(other, locked)
        assert not inspect(locked).modified and not other.dirty
        async with _sent(other) as flushed:
            await other.flush()
        assert flushed == []  # nothing left for it: the row was written once
        assert locked.updated_at > created_updated_at  # set by the database, read back
        written = (
            await other.execute(select(Booking.__table__).where(Booking.id == locked.id))
        ).one()
        await other.commit()
    assert (written.status, written.confirmed_at, written.expires_at) == ("confirmed", STARTS, None)
    assert (written.idempotency_key, written.updated_at) == ("key-1", locked.updated_at)


async def test_nothing_changed_writes_nothing(engine: AsyncEngine, session: AsyncSession) -> None:
    booking = await _pending(session)
    async with create_sessionmaker(engine)() as other:
        loaded = await repository.get_for_update(other, booking.id, owner_id=None)
        assert loaded is not None
        async with _sent(other) as sent:
            await write_repository.write_changes(other, loaded)
        await other.rollback()
    assert sent == []


async def test_a_broken_constraint_is_sqlalchemys_integrity_error(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    first = await _pending(session, idempotency_key="taken")
    async with create_sessionmaker(engine)() as other:
        second = await rows.booking(
            other,
            user_id=first.user_id,
            resource_id=first.resource_id,
            starts_at=datetime(2030, 1, 9, 10, tzinfo=UTC),
            status="pending",
        )
        second.idempotency_key = "taken"  # (user_id, idempotency_key) is unique
        with pytest.raises(IntegrityError):
            await write_repository.write_changes(other, second)
        await other.rollback()
