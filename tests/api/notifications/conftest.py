"""The booking app of the bookings API tests: confirmations and cancellations are what fill
an inbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.bookings.conftest import BookingApp, open_booking_app
from tests.services import ServiceUrls


@pytest.fixture
async def booking_app(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[BookingApp]:
    async with open_booking_app(services, tmp_path, session) as found:
        yield found
