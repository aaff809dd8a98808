"""No double booking under concurrency, over real HTTP against two API processes (R-11..R-14).

The first test is the negative control: with the guards switched off (a test-only setting,
and the exclusion constraint dropped in a throwaway database) the same harness does see a
double booking, so the "exactly one winner" results after it mean something.
"""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet, api_processes, build_fleet
from tests.concurrency.racing import (
    assert_refused_for_the_slot,
    hold,
    hold_and_confirm,
    hold_then_confirm,
)
from tests.services import ServiceUrls
from tests.support.processes import closed_port

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

ACTIVE_OVERLAPS = """
    SELECT count(*) FROM booking a JOIN booking b
      ON a.id < b.id AND a.resource_id = b.resource_id
     AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
     WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
"""


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))


async def test_negative_control_the_harness_sees_a_race_when_guards_are_off(
    services: ServiceUrls, tmp_path: Path
) -> None:
    url, resource_id, toks, env = await build_fleet(
        services,
        tmp_path,
        "unguarded",
        services.redis_url,
        UNSAFE_DISABLE_BOOKING_GUARDS="true",
        BOOKING_RACE_DELAY_MS="300",
    )
    unguarded = Fleet([], url, resource_id, toks)
    await unguarded.fetch("ALTER TABLE booking DROP CONSTRAINT booking_no_overlap")
    with api_processes(2, env, tmp_path) as bases:
        unguarded.bases = bases
        async with _client() as client:
            results = await asyncio.gather(*[hold(client, unguarded, i, SLOT) for i in range(10)])
    assert sum(r.status_code == 201 for r in results) > 1
    [row] = await unguarded.fetch(ACTIVE_OVERLAPS)
    assert row[0] > 0, "with the guards off the harness must observe a double booking"


@pytest.mark.parametrize("round_", range(3))
async def test_fifty_clients_one_slot_exactly_one_winner(fleet: Fleet, round_: int) -> None:
    await fleet.reset()
    async with _client() as client:
        answers = await asyncio.gather(
            *[hold_then_confirm(client, fleet, i, SLOT) for i in range(50)]
        )
    winners = [a for a in answers if a.status_code == 201]
    assert len(winners) == 1, [a.status_code for a in answers]
    assert winners[0].json()["status"] == "confirmed"
    for answer in answers:
        if answer is not winners[0]:
            assert_refused_for_the_slot(answer)
    rows = await fleet.fetch(
        "SELECT id FROM booking WHERE status = 'confirmed' AND starts_at = $1", SLOT
    )
    assert [r["id"] for r in rows] == [winners[0].json()["id"]]


async def test_overlapping_ranges_of_different_lengths_never_overlap(fleet: Fleet) -> None:
    await fleet.reset()
    rng = random.Random(7)
    starts = [SLOT - timedelta(hours=rng.randint(0, 3)) for _ in range(40)]
    lengths = [rng.randint(1, 4) for _ in range(40)]
    async with _client() as client:
        results = await asyncio.gather(
            *[
                hold_and_confirm(client, fleet, i, s, n)
                for i, (s, n) in enumerate(zip(starts, lengths, strict=True))
            ]
        )
    assert not [s for s, _ in results if s >= 500]
    assert any(s == 201 for s, _ in results)
    [row] = await fleet.fetch(ACTIVE_OVERLAPS)
    assert row[0] == 0
    [row] = await fleet.fetch(
        "SELECT count(*) FROM time_slot s JOIN booking b ON b.id = s.booking_id "
        "WHERE s.status = 'booked' AND b.status <> 'confirmed'"
    )
    assert row[0] == 0


async def test_ten_concurrent_confirms_with_one_key_make_one_booking(fleet: Fleet) -> None:
    await fleet.reset()
    async with _client() as client:
        held = await hold(client, fleet, 0, SLOT)
        assert held.status_code == 201
        hold_id = held.json()["hold_id"]

        async def confirm(n: int) -> httpx.Response:
            base, headers = fleet.client_for(0)
            base = fleet.bases[n % 2]
            return await client.post(
                f"{base}/bookings/confirm",
                json={"hold_id": hold_id},
                headers={**headers, "Idempotency-Key": "one-key"},
            )

        responses = list(await asyncio.gather(*[confirm(n) for n in range(10)]))
        # Once the first has committed, a retry with the key is always a replay.
        responses.append(await confirm(10))
    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if "idempotent-replayed" not in r.headers]
    replays = [r for r in created if "idempotent-replayed" in r.headers]
    assert len(originals) == 1, [(r.status_code, dict(r.headers)) for r in responses]
    assert replays, "the retry after the first commit must be a replay"
    for replay in replays:
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == originals[0].content  # byte for byte
    for refused in (r for r in responses if r.status_code != 201):
        # A duplicate that arrived while the first was still running.
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "idempotency_in_progress"
        assert int(refused.headers["retry-after"]) >= 1
    booking = originals[0].json()
    assert (booking["id"], booking["status"]) == (hold_id, "confirmed")
    rows = await fleet.fetch("SELECT id FROM booking WHERE status = 'confirmed'")
    assert [r["id"] for r in rows] == [hold_id]
    [audit] = await fleet.fetch(
        "SELECT count(*) FROM audit_log WHERE action = 'booking.confirmed' AND entity_id = $1",
        str(hold_id),
    )
    assert audit[0] == 1
    [mail] = await fleet.fetch(
        "SELECT count(*) FROM notification_outbox WHERE kind = 'booking_confirmed'"
    )
    assert mail[0] == 1


async def test_without_redis_the_database_guard_alone_keeps_one_winner(
    services: ServiceUrls, tmp_path: Path
) -> None:
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    url, resource_id, toks, env = await build_fleet(services, tmp_path, "noredis", dead_redis)
    with api_processes(2, env, tmp_path) as bases:
        fleet = Fleet(bases, url, resource_id, toks)
        async with _client() as client:
            ready = await client.get(f"{bases[0]}/health/ready")
            answers = await asyncio.gather(
                *[hold_then_confirm(client, fleet, i, SLOT) for i in range(30)]
            )
            held = await hold(client, fleet, 40, SLOT + timedelta(hours=2))
            base, headers = fleet.client_for(40)
            body = {"hold_id": held.json()["hold_id"]}
            key = {**headers, "Idempotency-Key": "no-redis"}
            first = await client.post(f"{base}/bookings/confirm", json=body, headers=key)
            replay = await client.post(f"{base}/bookings/confirm", json=body, headers=key)
    assert ready.status_code == 503 and ready.json()["failing"] == ["redis"]
    winners = [a for a in answers if a.status_code == 201]
    assert len(winners) == 1, [a.status_code for a in answers]
    for answer in answers:
        if answer is not winners[0]:
            assert_refused_for_the_slot(answer)
    assert first.status_code == 201
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    [row] = await fleet.fetch(ACTIVE_OVERLAPS)
    assert row[0] == 0
