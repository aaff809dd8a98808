"""The contention step: 100 clients over two API processes race to hold one slot.

Checked: every request answered, exactly one winner per race, p99 under a second. One race
runs first unmeasured, as the write step warms up: the two processes fill their connection
pools and prepare the hold's statements on each connection (a cold first race answered its
slowest request in ~1 s, the warm ones in ~0.5 s).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.drivers import client, summarise
from bench.setup import Seed, token_for

CLIENTS = 100
RACES = 5


def _hold_body(seed: Seed, i: int) -> dict[str, Any]:
    rid, starts, ends = seed.write_slot("app", i)
    return {"resource_id": rid, "starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


async def run(base: str, seed: Seed) -> dict[str, Any]:
    """The races against the server at `base`, summarised as the bench's check."""
    headers = [{"Authorization": f"Bearer {token_for(u)}"} for u in seed.user_ids[-CLIENTS:]]
    await race(base, _hold_body(seed, 199_993), headers, [])
    latencies: list[float] = []
    winners: list[int] = []
    unanswered = 0
    for trial in range(RACES):
        codes = await race(base, _hold_body(seed, 200_000 + trial * 7), headers, latencies)
        winners.append(codes.count(201))
        unanswered += sum(1 for c in codes if c == -1 or c >= 500)
    load = summarise(latencies, len(latencies), unanswered, 1.0)
    return {
        "clients": CLIENTS,
        "trials": len(winners),
        "winners_per_trial": winners,
        "unanswered_or_5xx": unanswered,
        "p99_ms": round(load.p99_ms, 1),
        "met": unanswered == 0 and all(w == 1 for w in winners) and load.p99_ms < 1000,
    }


async def race(
    base: str, body: dict[str, Any], headers: list[dict[str, str]], latencies: list[float]
) -> list[int]:
    """Every client asks to hold the same range at once; their status codes (-1: no answer)."""
    gate = asyncio.Event()
    async with client(base, len(headers)) as http:

        async def one(h: dict[str, str]) -> int:
            await gate.wait()
            began = time.perf_counter()
            try:
                answer = await http.post("/bookings/hold", json=body, headers=h)
            except httpx.HTTPError:
                return -1
            finally:
                latencies.append(time.perf_counter() - began)
            return answer.status_code

        tasks = [asyncio.create_task(one(h)) for h in headers]
        await asyncio.sleep(0.2)
        gate.set()
        return list(await asyncio.gather(*tasks))
