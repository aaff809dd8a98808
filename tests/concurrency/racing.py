"""Requests the concurrency tests send to a fleet: holds, confirms, resources, and what a
loser of a race must be told."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.concurrency.conftest import Fleet

_names = itertools.count(1)


async def hold(
    client: httpx.AsyncClient,
    fleet: Fleet,
    i: int,
    start: datetime,
    hours: int = 1,
    *,
    resource_id: int | None = None,
    party_size: int | None = None,
) -> httpx.Response:
    """User `i` holds `hours` from `start`, on the fleet's race room unless told otherwise."""
    base, headers = fleet.client_for(i)
    body: dict[str, Any] = {
        "resource_id": resource_id or fleet.resource_id,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
    }
    if party_size is not None:
        body["party_size"] = party_size
    return await client.post(f"{base}/bookings/hold", json=body, headers=headers)


async def confirm(client: httpx.AsyncClient, fleet: Fleet, i: int, hold_id: int) -> httpx.Response:
    """User `i` confirms a hold, through the process the user did not hold through."""
    _, headers = fleet.client_for(i)
    base = fleet.bases[(i + 1) % len(fleet.bases)]
    return await client.post(f"{base}/bookings/confirm", json={"hold_id": hold_id}, headers=headers)


async def hold_then_confirm(
    client: httpx.AsyncClient,
    fleet: Fleet,
    i: int,
    start: datetime,
    hours: int = 1,
    **options: Any,
) -> httpx.Response:
    """The refusal of the hold, or the answer to confirming it (through the other process)."""
    held = await hold(client, fleet, i, start, hours, **options)
    if held.status_code != 201:
        return held
    return await confirm(client, fleet, i, held.json()["hold_id"])


async def hold_and_confirm(
    client: httpx.AsyncClient, fleet: Fleet, i: int, start: datetime, hours: int = 1
) -> tuple[int, int | None]:
    """(final status, confirmed booking id)."""
    answer = await hold_then_confirm(client, fleet, i, start, hours)
    return answer.status_code, answer.json().get("id") if answer.status_code == 201 else None


def assert_refused_for_the_slot(answer: httpx.Response) -> None:
    """A loser of a race is told so: 409 `slots_unavailable`, or the documented 409 `busy`
    with Retry-After when its lock wait passed the lock timeout (only a machine stalled for
    seconds gets there: each transaction holds the contended rows for milliseconds)."""
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    code = answer.json()["code"]
    assert code in {"slots_unavailable", "busy"}, answer.text
    if code == "busy":
        assert int(answer.headers["retry-after"]) >= 1


async def create_resource(client: httpx.AsyncClient, fleet: Fleet, **fields: Any) -> dict[str, Any]:
    """A resource created by the fleet's admin, open round the clock unless told otherwise."""
    body = {
        "name": f"Room {next(_names)}",
        "location": "Lab",
        "capacity": 1,
        "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(7)],
        **fields,
    }
    created = await client.post(
        f"{fleet.bases[0]}/resources", json=body, headers=fleet.admin_headers
    )
    assert created.status_code == 201, created.text
    return dict(created.json())
