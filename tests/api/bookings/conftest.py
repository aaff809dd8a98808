"""A booking app on a frozen clock, a resource with slots, and users to book them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import MailSettings, Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.factories.auth import Caller, bearer
from tests.factories.resources import make_resource
from tests.services import ServiceUrls
from tests.support.smtp import Inbox, smtp_server

NOW = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)  # a Monday, before opening (08:00–20:00 UTC)
_emails = count(1)


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute) + timedelta(days=day)


@dataclass
class BookingApp:
    client: httpx.AsyncClient
    app: FastAPI
    clock: FrozenClock
    settings: Settings
    session: AsyncSession
    inbox: Inbox
    callers: list[Caller] = field(default_factory=list)

    async def caller(self, role: str = "user") -> Caller:
        user = await rows.user(self.session, role=role, email=f"u{next(_emails)}@example.com")
        await self.session.commit()
        caller = Caller(user, bearer(self.settings, user, now=self.clock()))
        self.callers.append(caller)
        return caller

    def advance(self, **delta: float) -> None:
        """Move the clock; re-issue access tokens, which would otherwise expire."""
        self.clock.advance(**delta)
        for caller in self.callers:
            caller.headers.update(bearer(self.settings, caller.user, now=self.clock()))

    async def resource(self, **fields: Any) -> int:
        resource = await make_resource(self.session, self.clock, horizon_days=7, **fields)
        return resource.id

    async def hold(
        self, who: Caller, resource_id: int, start: datetime, end: datetime, **extra: Any
    ) -> httpx.Response:
        body = {
            "resource_id": resource_id,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            **extra,
        }
        return await self.client.post("/bookings/hold", json=body, headers=who.headers)

    async def confirm(self, who: Caller, hold_id: int, key: str | None = None) -> httpx.Response:
        headers = dict(who.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(
            "/bookings/confirm", json={"hold_id": hold_id}, headers=headers
        )

    async def book(
        self, who: Caller, resource_id: int, start: datetime, end: datetime
    ) -> dict[str, Any]:
        held = await self.hold(who, resource_id, start, end)
        assert held.status_code == 201, held.text
        confirmed = await self.confirm(who, held.json()["hold_id"])
        assert confirmed.status_code == 201, confirmed.text
        return confirmed.json()


@asynccontextmanager
async def open_booking_app(
    services: ServiceUrls,
    tmp_path: Path,
    session: AsyncSession,
    *,
    mail: dict[str, Any] | None = None,
    **sections: object,
) -> AsyncIterator[BookingApp]:
    """A booking app on its own SMTP stand-in; `mail` adds mail settings, `sections`
    replace whole settings sections (`booking=BookingSettings(...)`)."""
    with smtp_server() as inbox:
        settings = make_settings(
            services,
            tmp_path,
            mail=MailSettings(smtp_host=inbox.host, smtp_port=inbox.port, **(mail or {})),
            **sections,
        )
        clock = FrozenClock(NOW)
        app = create_app(settings, clock=clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield BookingApp(client, app, clock, settings, session, inbox)


@pytest.fixture
async def booking_app(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[BookingApp]:
    async with open_booking_app(services, tmp_path, session) as found:
        yield found
