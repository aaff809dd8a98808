"""A booking app with an admin, a specialist (weekdays 08:00–12:00 UTC, 30-minute slots) and
their 90-minute service; the clock is frozen on Monday 2030-01-07 07:00 UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.bookings.conftest import BookingApp, open_booking_app
from tests.factories.auth import Caller
from tests.services import ServiceUrls

MORNINGS = [{"weekday": d, "opens": "08:00", "closes": "12:00"} for d in range(5)]


@dataclass
class Studio:
    """The app, its admin, one specialist (their caller and row) and a 90-minute service."""

    app: BookingApp
    admin: Caller
    pro: Caller
    specialist: dict[str, Any]
    service: dict[str, Any]

    @property
    def client(self) -> httpx.AsyncClient:
        return self.app.client

    async def make_specialist(self, who: Caller, **fields: Any) -> httpx.Response:
        body = {"user_id": who.user.id, "display_name": f"Pro {who.user.id}", **fields}
        return await self.client.post("/specialists", json=body, headers=self.admin.headers)

    async def add_service(self, who: Caller, **fields: Any) -> httpx.Response:
        body = {"name": "Service", "duration_minutes": 30, **fields}
        return await self.client.post("/specialists/me/services", json=body, headers=who.headers)

    async def book(self, who: Caller, key: str | None = None, **body: Any) -> httpx.Response:
        headers = dict(who.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post("/bookings", json=body, headers=headers)

    async def slots(self, day: str = "2030-01-07", **params: Any) -> dict[str, Any]:
        answer = await self.client.get(
            f"/specialists/{self.specialist['id']}/slots", params={"date": day, **params}
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def open_studio(app: BookingApp) -> Studio:
    admin = await app.caller("admin")
    pro = await app.caller()
    studio = Studio(app, admin, pro, {}, {})
    made = await studio.make_specialist(
        pro, display_name="Dr. Ana Lima", slot_minutes=30, opening_hours=MORNINGS
    )
    assert made.status_code == 201, made.text
    studio.specialist = made.json()
    added = await studio.add_service(
        pro, name="Long treatment", duration_minutes=90, price_cents=4500
    )
    assert added.status_code == 201, added.text
    studio.service = added.json()
    return studio


@pytest.fixture
async def studio(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[Studio]:
    async with open_booking_app(services, tmp_path, session) as app:
        yield await open_studio(app)
