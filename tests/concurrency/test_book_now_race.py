"""One-step booking under concurrency (R-35), over real HTTP against two API processes: 50
clients want one specialist's 10:00, and one client retries one key ten times at once."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet
from tests.concurrency.racing import assert_refused_for_the_slot

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

_people = itertools.count(1)


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))


async def _specialist_with_service(client: httpx.AsyncClient, fleet: Fleet) -> dict[str, Any]:
    """A new specialist (open round the clock, 30-minute slots) and a 60-minute service."""
    n = next(_people)
    [row] = await fleet.fetch(
        "INSERT INTO user_account (email, password_hash) VALUES ($1, 'x') RETURNING id",
        f"pro{n}@example.com",
    )
    base = fleet.bases[0]
    made = await client.post(
        f"{base}/specialists",
        json={
            "user_id": row["id"],
            "display_name": f"Racing pro {n}",
            "slot_minutes": 30,
            "opening_hours": [
                {"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(7)
            ],
        },
        headers=fleet.admin_headers,
    )
    assert made.status_code == 201, made.text
    service = await client.post(
        f"{base}/specialists/me/services",
        json={"name": "Hour", "duration_minutes": 60, "specialist_id": made.json()["id"]},
        headers=fleet.admin_headers,
    )
    assert service.status_code == 201, service.text
    return {"specialist": made.json(), "service": service.json()}


async def _book(
    client: httpx.AsyncClient,
    fleet: Fleet,
    i: int,
    service_id: int,
    key: str | None = None,
    *,
    via: int | None = None,
) -> httpx.Response:
    """User `i` books the service at SLOT (through process `via`, if given)."""
    base, headers = fleet.client_for(i)
    if via is not None:
        base = fleet.bases[via % len(fleet.bases)]
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    body = {"service_id": service_id, "starts_at": SLOT.isoformat()}
    return await client.post(f"{base}/bookings", json=body, headers=headers)


async def test_fifty_clients_book_one_specialists_ten_oclock_exactly_one_wins(
    fleet: Fleet,
) -> None:
    await fleet.reset()
    async with _client() as client:
        made = await _specialist_with_service(client, fleet)
        service_id = made["service"]["id"]
        answers = await asyncio.gather(*[_book(client, fleet, i, service_id) for i in range(50)])
    winners = [a for a in answers if a.status_code == 201]
    assert len(winners) == 1, [a.status_code for a in answers]
    assert winners[0].json()["status"] == "confirmed"
    for answer in answers:
        if answer is not winners[0]:
            assert_refused_for_the_slot(answer)
    assert sum(a.json()["code"] == "slots_unavailable" for a in answers[1:] if a.status_code == 409)
    resource_id = made["specialist"]["resource_id"]
    rows = await fleet.fetch(
        "SELECT id, status FROM booking WHERE resource_id = $1 ORDER BY id", resource_id
    )
    # Nothing half-written by the losers: no pending booking left behind.
    assert [(r["id"], r["status"]) for r in rows] == [(winners[0].json()["id"], "confirmed")]
    booked = await fleet.fetch(
        "SELECT count(*) AS n FROM time_slot WHERE resource_id = $1 AND status = 'booked'",
        resource_id,
    )
    held = await fleet.fetch(
        "SELECT count(*) AS n FROM time_slot WHERE resource_id = $1 AND status = 'held'",
        resource_id,
    )
    assert (booked[0]["n"], held[0]["n"]) == (2, 0)


async def test_ten_concurrent_requests_with_one_key_make_one_booking(fleet: Fleet) -> None:
    await fleet.reset()
    async with _client() as client:
        made = await _specialist_with_service(client, fleet)
        service_id = made["service"]["id"]
        answers = list(
            await asyncio.gather(
                *[_book(client, fleet, 0, service_id, "k-1", via=n) for n in range(10)]
            )
        )
        # Once the first has committed, a retry with the key is always a replay.
        answers.append(await _book(client, fleet, 0, service_id, "k-1", via=1))
    assert "idempotent-replayed" in answers[-1].headers
    created = [a for a in answers if a.status_code == 201]
    originals = [a for a in created if "idempotent-replayed" not in a.headers]
    assert len(originals) == 1, [(a.status_code, a.text) for a in answers]
    for answer in answers:
        if answer.status_code == 201 and answer is not originals[0]:
            assert answer.content == originals[0].content
        elif answer.status_code != 201:
            assert answer.status_code == 409, answer.text
            assert answer.json()["code"] == "idempotency_in_progress"
    rows = await fleet.fetch(
        "SELECT count(*) AS n FROM booking WHERE resource_id = $1",
        made["specialist"]["resource_id"],
    )
    assert rows[0]["n"] == 1
