"""An app on a frozen clock with an admin, users and helpers to create and book events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.domains.bookings.factory import wiring_of
from roomtime.domains.bookings.sweep_holds import release_expired_holds
from tests.api.bookings.conftest import NOW, BookingApp, open_booking_app
from tests.factories.auth import Caller
from tests.services import ServiceUrls

STARTS = NOW + timedelta(days=3)


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Go Conference",
        "short_description": "Talks about Go",
        "description": "A day of talks.",
        "starts_at": STARTS.isoformat(),
        "ends_at": (STARTS + timedelta(hours=8)).isoformat(),
        "location": "Berlin",
        "total_seats": 10,
        "booking_ttl_minutes": 15,
        "payment_info": "Pay at the door",
    }
    body.update(overrides)
    return body


class EventsApp:
    def __init__(self, base: BookingApp, admin: Caller) -> None:
        self.base = base
        self.client = base.client
        self.admin = admin

    async def user(self) -> Caller:
        return await self.base.caller()

    async def create(self, **overrides: Any) -> dict[str, Any]:
        answer = await self.client.post(
            "/events", json=event_body(**overrides), headers=self.admin.headers
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def get(self, event_id: int) -> dict[str, Any]:
        answer = await self.client.get(f"/events/{event_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def book(self, who: Caller, event_id: int, seats: int | None = None) -> httpx.Response:
        body = None if seats is None else {"seats": seats}
        return await self.client.post(f"/events/{event_id}/book", json=body, headers=who.headers)

    async def confirm(self, who: Caller, booking_id: int) -> httpx.Response:
        return await self.client.post(f"/bookings/{booking_id}/confirm", headers=who.headers)

    async def cancel(self, event_id: int, reason: str = "Speaker ill") -> httpx.Response:
        return await self.client.post(
            f"/events/{event_id}/cancel", json={"reason": reason}, headers=self.admin.headers
        )

    def now(self) -> datetime:
        return self.base.clock()

    def advance(self, **delta: float) -> None:
        self.base.advance(**delta)

    async def sweep(self) -> int:
        """The release-holds job's work, on this app's collaborators and clock."""
        async with self.base.app.state.infra.sessionmaker() as session:
            return await release_expired_holds(wiring_of(session, self.base.app.state.infra).io)

    async def scalar(self, sql: str, **params: Any) -> Any:
        value = await self.base.session.scalar(text(sql), params)
        await self.base.session.commit()
        return value

    async def drain(self) -> None:
        await self.base.app.state.infra.notifier.drain()


@pytest.fixture
async def events(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[EventsApp]:
    async with open_booking_app(services, tmp_path, session) as base:
        admin = await base.caller("admin")
        yield EventsApp(base, admin)
