"""Real waits on real locks, over HTTP against two API processes (R-14, R-23, R-25).

A lock wait past the lock timeout and a deadlock are provoked by holding row locks from a
second connection while the API request runs; both must become the documented 409 `busy`
with Retry-After, and change nothing. The hold lock in Redis must expire with its hold, in
real time: no job runs here and nobody flushes Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet
from tests.concurrency.racing import confirm, create_resource, hold

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

BLOCKED_BY_ME = """
    SELECT count(*) FROM pg_stat_activity
     WHERE datname = current_database() AND pg_backend_pid() = ANY(pg_blocking_pids(pid))
"""
DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"


def _assert_busy(answer: httpx.Response) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "busy"
    assert int(answer.headers["retry-after"]) >= 1


@asynccontextmanager
async def _transaction(fleet: Fleet) -> AsyncIterator[asyncpg.Connection]:
    """A second connection with an open transaction, rolled back at the end."""
    conn = await asyncpg.connect(fleet.dsn())
    tr = conn.transaction()
    await tr.start()
    try:
        yield conn
    finally:
        await tr.rollback()
        await conn.close()


async def _until(probe: asyncpg.Connection, sql: str) -> None:
    """Poll until `sql` is true (a generous 20 s at most: a stalled machine, not a timing)."""
    deadline = time.monotonic() + 20.0
    while True:
        # Inside a transaction (the locker's), PostgreSQL shows the activity views as of
        # their first read: forget that snapshot before each poll, or a backend that
        # connected or started waiting since is never seen.
        await probe.execute("SELECT pg_stat_clear_snapshot()")
        if await probe.fetchval(sql):
            return
        assert time.monotonic() < deadline, f"never true: {sql}"
        await asyncio.sleep(0.02)


async def test_a_lock_wait_past_the_lock_timeout_is_busy(fleet: Fleet) -> None:
    await fleet.reset()
    async with httpx.AsyncClient(timeout=60) as client:
        held = await hold(client, fleet, 5, SLOT)
        booking = await confirm(client, fleet, 5, held.json()["hold_id"])
        assert booking.status_code == 201, booking.text
        base, headers = fleet.client_for(5)
        cancel_url = f"{base}/bookings/{booking.json()['id']}/cancel"
        async with _transaction(fleet) as locker:
            await locker.execute(
                "SELECT 1 FROM booking WHERE id = $1 FOR UPDATE", held.json()["hold_id"]
            )
            answer = await client.post(cancel_url, headers=headers)
        _assert_busy(answer)
        [row] = await fleet.fetch("SELECT status FROM booking WHERE id = $1", booking.json()["id"])
        assert row["status"] == "confirmed"  # the refused cancel changed nothing
        retried = await client.post(cancel_url, headers=headers)
    assert (retried.status_code, retried.json()["status"]) == (200, "cancelled")


async def _deadlocked_confirm(
    client: httpx.AsyncClient, fleet: Fleet, i: int, start: datetime
) -> tuple[int, httpx.Response] | None:
    """Confirm a hold while this test holds its slot rows and then asks for its booking
    row, which the confirm has locked first. None when PostgreSQL picked this test's
    transaction as the victim instead (it picks whichever waiter checks first)."""
    held = await hold(client, fleet, i, start)
    hold_id = held.json()["hold_id"]
    async with _transaction(fleet) as locker:
        slots = await locker.fetch(
            "SELECT id FROM time_slot WHERE booking_id = $1 FOR UPDATE", hold_id
        )
        assert slots, "the hold must own its slot rows"
        request = asyncio.create_task(confirm(client, fleet, i, hold_id))
        await _until(locker, BLOCKED_BY_ME)  # the confirm waits for the slot rows
        try:
            await locker.execute("SELECT 1 FROM booking WHERE id = $1 FOR UPDATE", hold_id)
        except asyncpg.DeadlockDetectedError:
            await request
            return None
        answer = await request  # not before the rollback: a victim's answer is prompt
    return hold_id, answer


async def test_a_deadlock_is_busy(fleet: Fleet) -> None:
    await fleet.reset()
    [stats] = await fleet.fetch(DEADLOCKS)
    before = stats[0]
    async with httpx.AsyncClient(timeout=60) as client:
        for attempt in range(3):
            outcome = await _deadlocked_confirm(
                client, fleet, 20 + attempt, SLOT + timedelta(hours=1 + attempt)
            )
            if outcome is not None:
                break
        assert outcome is not None, "the API request was never the deadlock's victim"
        hold_id, answer = outcome
        _assert_busy(answer)
        [row] = await fleet.fetch("SELECT status FROM booking WHERE id = $1", hold_id)
        assert row["status"] == "pending"  # rolled back: still a live hold
        retried = await confirm(client, fleet, 20 + attempt, hold_id)
    assert (retried.status_code, retried.json()["status"]) == (201, "confirmed")
    probe = await asyncpg.connect(fleet.dsn())
    try:
        # Statistics reach the view within seconds; a lock timeout would not count here.
        await _until(probe, f"SELECT ({DEADLOCKS}) > {before}")
    finally:
        await probe.close()


async def test_the_hold_lock_expires_with_its_hold_in_real_time(fleet: Fleet) -> None:
    await fleet.reset()
    async with httpx.AsyncClient(timeout=60) as client:
        room = await create_resource(client, fleet, hold_ttl_seconds=2)
        first = await hold(client, fleet, 30, SLOT, resource_id=room["id"])
        assert first.status_code == 201, first.text
        during = await hold(client, fleet, 31, SLOT, resource_id=room["id"])
        assert (during.status_code, during.json()["code"]) == (409, "slots_unavailable")
        expires_at = datetime.fromisoformat(first.json()["expires_at"])
        await asyncio.sleep((expires_at - datetime.now(UTC)).total_seconds() + 1.0)
        after = await hold(client, fleet, 31, SLOT, resource_id=room["id"])
        late = await confirm(client, fleet, 30, first.json()["hold_id"])
    assert after.status_code == 201, after.text
    assert (late.status_code, late.json()["code"]) == (409, "hold_expired")
    rows = await fleet.fetch(
        "SELECT id, status FROM booking WHERE resource_id = $1 ORDER BY id", room["id"]
    )
    assert [(r["id"], r["status"]) for r in rows] == [
        (first.json()["hold_id"], "expired"),
        (after.json()["hold_id"], "pending"),
    ]
