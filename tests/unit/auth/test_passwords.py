"""Password hashing runs in threads, at most PASSWORD_HASH_CONCURRENCY at once per lane."""

from __future__ import annotations

import asyncio

import pytest

from roomtime.domains.auth import passwords

pytestmark = pytest.mark.unit


async def test_at_most_the_configured_number_of_hashes_run_at_once() -> None:
    lane = passwords.lane(passwords.NEW_PASSWORD_LANE, 2)
    tasks = [
        asyncio.create_task(passwords.hash_new_password(f"password {i}", concurrency=2))
        for i in range(6)
    ]
    borrowed, waiting = set(), set()
    while not all(t.done() for t in tasks):
        stats = lane.statistics()
        borrowed.add(stats.borrowed_tokens)
        waiting.add(stats.tasks_waiting)
        await asyncio.sleep(0.005)
    hashes = await asyncio.gather(*tasks)
    assert max(borrowed) == 2  # two ran side by side, never more
    assert max(waiting) >= 1  # the rest waited their turn
    assert all(passwords.verify_password(f"password {i}", h) for i, h in enumerate(hashes))


async def test_lanes_are_separate_so_new_passwords_never_queue_a_login() -> None:
    hashed = passwords.hash_password("correct horse battery staple")
    new_lane = passwords.lane(passwords.NEW_PASSWORD_LANE, 1)
    holder = object()
    await new_lane.acquire_on_behalf_of(holder)  # the new-password lane is full
    try:
        ok = await asyncio.wait_for(
            passwords.check_password("correct horse battery staple", hashed, concurrency=1),
            timeout=60,
        )
    finally:
        new_lane.release_on_behalf_of(holder)
    assert ok


async def test_an_unknown_account_still_costs_a_check() -> None:
    assert await passwords.check_password("whatever it is", None, concurrency=2) is False
