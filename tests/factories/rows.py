"""Insert rows directly, for tests of the schema and of services that read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings.models import Booking
from roomtime.domains.resources.models import Resource
from roomtime.domains.users.models import User

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


async def user(session: AsyncSession, **overrides: Any) -> User:
    n = _next()
    row = User(
        email=overrides.pop("email", f"user{n}@example.com"),
        password_hash=overrides.pop("password_hash", "not-a-real-hash"),
        **overrides,
    )
    session.add(row)
    await session.flush()
    return row


async def resource(session: AsyncSession, **overrides: Any) -> Resource:
    n = _next()
    values: dict[str, Any] = {"name": f"Room {n}", "location": "HQ", "capacity": 4}
    values.update(overrides)
    row = Resource(**values)
    session.add(row)
    await session.flush()
    return row


async def booking(
    session: AsyncSession,
    *,
    user_id: int,
    resource_id: int,
    starts_at: datetime,
    minutes: int = 60,
    **overrides: Any,
) -> Booking:
    values: dict[str, Any] = {
        "status": "confirmed",
        "party_size": 1,
        "expires_at": starts_at,
    }
    values.update(overrides)
    row = Booking(
        user_id=user_id,
        resource_id=resource_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        **values,
    )
    session.add(row)
    await session.flush()
    return row
