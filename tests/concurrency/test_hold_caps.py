"""The live-holds cap holds under concurrency: parallel holds by one user, spread over two
real API processes, never leave more than MAX_LIVE_HOLDS_PER_USER live holds.

The first test is the negative control: with the guards switched off (no per-user advisory
lock) and a widened race window, the same harness does see the cap overrun.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet, api_processes, build_fleet
from tests.concurrency.racing import hold
from tests.services import ServiceUrls

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

CAP = 5
FIRST = SLOT - timedelta(hours=4)  # the fleet's resource has 12 one-hour slots from here
RACERS = 8
LIVE_HOLDS = """
    SELECT count(*) FROM booking
     WHERE user_id = (SELECT id FROM user_account WHERE email = 'racer0@example.com')
       AND status = 'pending' AND expires_at > now()
"""


async def _race(fleet: Fleet) -> list[httpx.Response]:
    """User 0 holds CAP - 1 slots, then asks for RACERS more at once through both processes."""
    async with httpx.AsyncClient(timeout=60) as client:
        for h in range(CAP - 1):
            first = await hold(client, fleet, 0, FIRST + timedelta(hours=h))
            assert first.status_code == 201, first.text

        async def one(n: int) -> httpx.Response:
            base = fleet.bases[n % len(fleet.bases)]
            start = FIRST + timedelta(hours=CAP - 1 + n)
            body = {
                "resource_id": fleet.resource_id,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            }
            _, headers = fleet.client_for(0)
            return await client.post(f"{base}/bookings/hold", json=body, headers=headers)

        responses = await asyncio.gather(*[one(n) for n in range(RACERS)])
    for response in responses:
        assert response.status_code in (201, 409), response.text
    return list(responses)


async def test_negative_control_without_the_user_lock_the_cap_is_overrun(
    services: ServiceUrls, tmp_path: Path
) -> None:
    url, resource_id, toks, env = await build_fleet(
        services,
        tmp_path,
        "capsunguarded",
        services.redis_url,
        UNSAFE_DISABLE_BOOKING_GUARDS="true",
        BOOKING_RACE_DELAY_MS="300",
        MAX_LIVE_HOLDS_PER_USER=str(CAP),
    )
    with api_processes(2, env, tmp_path) as bases:
        unguarded = Fleet(bases, url, resource_id, toks)
        responses = await _race(unguarded)
        [row] = await unguarded.fetch(LIVE_HOLDS)
    assert sum(r.status_code == 201 for r in responses) > 1
    assert row[0] > CAP, "with the guards off the harness must observe the cap overrun"


async def test_parallel_holds_of_one_user_never_exceed_the_cap(
    services: ServiceUrls, tmp_path: Path
) -> None:
    url, resource_id, toks, env = await build_fleet(
        services,
        tmp_path,
        "caps",
        services.redis_url,
        BOOKING_RACE_DELAY_MS="300",  # the same wide window as the control
        MAX_LIVE_HOLDS_PER_USER=str(CAP),
    )
    with api_processes(2, env, tmp_path) as bases:
        fleet = Fleet(bases, url, resource_id, toks)
        responses = await _race(fleet)
        [row] = await fleet.fetch(LIVE_HOLDS)
    outcomes = sorted(r.json().get("code", str(r.status_code)) for r in responses)
    assert outcomes == ["201"] + ["too_many_holds"] * (RACERS - 1), outcomes
    assert row[0] == CAP
