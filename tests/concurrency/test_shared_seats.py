"""Seats of a shared resource, over real HTTP against two API processes (R-13).

Racers behave like the clients the API documents: a 409 `busy` carries Retry-After and is
retried after it, so every racer ends with a verdict on the seats themselves.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet
from tests.concurrency.racing import confirm, create_resource, hold, hold_then_confirm

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

CAPACITY = 5
SOLD_BEFORE = 2
RACERS = 10
ACTIVE_SEATS = """
    SELECT coalesce(sum(party_size), 0) FROM booking
     WHERE resource_id = $1 AND status IN ('pending', 'confirmed')
"""
SEATS_TAKEN = "SELECT seats_taken FROM time_slot WHERE resource_id = $1 AND starts_at = $2"


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100))


async def _book_retrying_busy(
    client: httpx.AsyncClient, fleet: Fleet, i: int, resource_id: int, seats: int
) -> httpx.Response:
    for _ in range(5):
        answer = await hold_then_confirm(
            client, fleet, i, SLOT, resource_id=resource_id, party_size=seats
        )
        if answer.status_code != 409 or answer.json()["code"] != "busy":
            return answer
        await asyncio.sleep(int(answer.headers["retry-after"]))
    return answer


async def _seats_left(
    client: httpx.AsyncClient, fleet: Fleet, resource_id: int, start: datetime
) -> int:
    """What availability says is left of the slot at `start` (absent: nothing left)."""
    answer = await client.get(
        f"{fleet.bases[1]}/resources/{resource_id}/availability",
        params={"date": start.date().isoformat()},
    )
    assert answer.status_code == 200, answer.text
    slots: list[dict[str, Any]] = answer.json()["slots"]
    left = [s["seats_left"] for s in slots if datetime.fromisoformat(s["starts_at"]) == start]
    return left[0] if left else 0


async def test_the_last_seats_are_sold_exactly_once(fleet: Fleet) -> None:
    await fleet.reset()
    async with _client() as client:
        shared = await create_resource(
            client, fleet, capacity=CAPACITY, booking_mode="shared", max_hold_slots=2
        )
        first = await hold_then_confirm(
            client, fleet, 1, SLOT, resource_id=shared["id"], party_size=SOLD_BEFORE
        )
        assert first.status_code == 201, first.text
        answers = await asyncio.gather(
            *[_book_retrying_busy(client, fleet, 10 + n, shared["id"], 1) for n in range(RACERS)]
        )
        left = await _seats_left(client, fleet, shared["id"], SLOT)
    winners = [a for a in answers if a.status_code == 201]
    assert len(winners) == CAPACITY - SOLD_BEFORE, [a.text for a in answers]
    assert all(w.json()["status"] == "confirmed" for w in winners)
    for loser in (a for a in answers if a.status_code != 201):
        assert loser.status_code == 409, loser.text
        assert loser.json()["code"] == "slots_unavailable"
    assert left == 0
    [sold] = await fleet.fetch(ACTIVE_SEATS, shared["id"])
    assert sold[0] == CAPACITY
    [taken] = await fleet.fetch(SEATS_TAKEN, shared["id"], SLOT)
    assert taken[0] == CAPACITY


async def test_confirm_keeps_and_cancel_returns_exactly_the_seats_taken(fleet: Fleet) -> None:
    await fleet.reset()
    later = SLOT + timedelta(hours=1)
    async with _client() as client:
        shared = await create_resource(client, fleet, capacity=4, booking_mode="shared")
        rid = shared["id"]

        async def left() -> tuple[int, int]:
            return await _seats_left(client, fleet, rid, SLOT), await _seats_left(
                client, fleet, rid, later
            )

        assert await left() == (4, 4)
        held = await hold(client, fleet, 1, SLOT, 2, resource_id=rid, party_size=3)
        assert held.status_code == 201, held.text
        assert await left() == (1, 1)
        confirmed = await confirm(client, fleet, 1, held.json()["hold_id"])
        assert confirmed.status_code == 201, confirmed.text
        assert confirmed.json()["party_size"] == 3
        assert await left() == (1, 1)
        other = await hold_then_confirm(client, fleet, 2, SLOT, resource_id=rid, party_size=1)
        assert other.status_code == 201, other.text
        assert await left() == (0, 1)
        full = await hold(client, fleet, 3, SLOT, resource_id=rid, party_size=1)
        assert (full.status_code, full.json()["code"]) == (409, "slots_unavailable")

        base, headers = fleet.client_for(1)
        cancel_url = f"{base}/bookings/{confirmed.json()['id']}/cancel"
        cancelled = await client.post(cancel_url, headers=headers)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert await left() == (3, 4)
        again = await client.post(cancel_url, headers=headers)  # the seats go back once
        assert (again.status_code, again.json()["status"]) == (200, "cancelled")
        assert await left() == (3, 4)
        resold = await hold(client, fleet, 3, SLOT, resource_id=rid, party_size=3)
        assert resold.status_code == 201, resold.text
    taken = [(await fleet.fetch(SEATS_TAKEN, rid, start))[0][0] for start in (SLOT, later)]
    assert taken == [4, 0]
