"""Cancelling a booking that has started and not ended (R-25): 200, the slots already
started stay the booking's history, the future ones are free to book again.

A booking can only be in progress after time has passed, so this runs the HTTP app in
process on a clock the test moves; everything else goes through the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from roomtime.core.clock import FrozenClock
from roomtime.main import create_app
from roomtime.settings import Settings
from tests.conftest import make_settings
from tests.factories import rows
from tests.factories.auth import bearer
from tests.services import ServiceUrls

pytestmark = pytest.mark.api

NOW = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)  # a Monday; open 08:00-20:00 UTC by default
TEN, ELEVEN, NOON, ONE = (NOW.replace(hour=h) for h in (10, 11, 12, 13))
SLOTS = """
    SELECT starts_at, status, booking_id, seats_taken FROM time_slot
     WHERE resource_id = :r AND starts_at >= :s AND starts_at < :e ORDER BY starts_at
"""


@dataclass
class Api:
    client: httpx.AsyncClient
    clock: FrozenClock
    settings: Settings
    session: AsyncSession
    users: dict[str, SimpleNamespace]

    def as_(self, who: str) -> dict[str, str]:
        """Fresh headers for `who` at the current (moved) time: tokens live 15 minutes."""
        return bearer(self.settings, self.users[who], now=self.clock())  # type: ignore[arg-type]

    async def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.as_(who))

    async def slots(self, resource_id: int) -> list[tuple[datetime, str, int | None, int]]:
        result = await self.session.execute(text(SLOTS), {"r": resource_id, "s": TEN, "e": ONE})
        return [tuple(r) for r in result.all()]  # type: ignore[misc]


@pytest.fixture
async def api(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[Api]:
    settings = make_settings(services, tmp_path)
    users = {}
    for who in ("admin", "user1", "user2"):
        role = "admin" if who == "admin" else "user"
        row = await rows.user(session, role=role, email=f"{who}@example.com")
        users[who] = SimpleNamespace(id=row.id, role=role)
    await session.commit()
    clock = FrozenClock(NOW)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, clock, settings, session, users)


async def _book_ten_to_one(api: Api, **resource: Any) -> tuple[int, dict[str, Any]]:
    created = await api.post(
        "admin", "/resources", {"name": "Studio", "location": "HQ", **resource}
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    body = {"resource_id": rid, "starts_at": TEN.isoformat(), "ends_at": ONE.isoformat()}
    if resource.get("booking_mode") == "shared":
        body["party_size"] = 2
    held = await api.post("user1", "/bookings/hold", body)
    assert held.status_code == 201, held.text
    confirmed = await api.post("user1", "/bookings/confirm", {"hold_id": held.json()["hold_id"]})
    assert confirmed.status_code == 201, confirmed.text
    return rid, confirmed.json()


async def test_cancel_in_progress_keeps_started_slots_and_frees_the_rest(api: Api) -> None:
    rid, booking = await _book_ten_to_one(api, capacity=1)
    api.clock.advance(hours=4, minutes=30)  # 11:30: the 10:00 and 11:00 slots have started
    cancelled = await api.post("user1", f"/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["id"], cancelled.json()["status"]) == (booking["id"], "cancelled")
    assert [(s, status, owner) for s, status, owner, _ in await api.slots(rid)] == [
        (TEN, "booked", booking["id"]),
        (ELEVEN, "booked", booking["id"]),
        (NOON, "available", None),
    ]
    day = await api.client.get(f"/resources/{rid}/availability", params={"date": "2030-01-07"})
    starts = [datetime.fromisoformat(s["starts_at"]) for s in day.json()["slots"]]
    assert starts[0] == NOON
    rebooked = await api.post(
        "user2",
        "/bookings/hold",
        {"resource_id": rid, "starts_at": NOON.isoformat(), "ends_at": ONE.isoformat()},
    )
    assert rebooked.status_code == 201, rebooked.text


async def test_cancel_in_progress_of_a_shared_booking_returns_only_future_seats(api: Api) -> None:
    rid, booking = await _book_ten_to_one(api, capacity=4, booking_mode="shared")
    assert [seats for *_, seats in await api.slots(rid)] == [2, 2, 2]
    api.clock.advance(hours=4, minutes=30)
    cancelled = await api.post("user1", f"/bookings/{booking['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert [seats for *_, seats in await api.slots(rid)] == [2, 2, 0]
    again = await api.post("user1", f"/bookings/{booking['id']}/cancel")
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")
    assert [seats for *_, seats in await api.slots(rid)] == [2, 2, 0]
    day = await api.client.get(f"/resources/{rid}/availability", params={"date": "2030-01-07"})
    noon = [s for s in day.json()["slots"] if datetime.fromisoformat(s["starts_at"]) == NOON]
    assert noon[0]["seats_left"] == 4
    assert timedelta(0) < ONE - api.clock()  # still in progress when cancelled
