"""PATCH /bookings/{id} under concurrency (R-38), over real HTTP against two API processes:
users moving their bookings into the same free range get exactly one winner, and every loser
keeps its original booking and slots intact."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.concurrency.conftest import SLOT, Fleet, api_processes, build_fleet
from tests.concurrency.racing import assert_refused_for_the_slot, hold_and_confirm
from tests.concurrency.test_double_booking import ACTIVE_OVERLAPS
from tests.services import ServiceUrls

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

HOUR = timedelta(hours=1)
FIRST = SLOT - 4 * HOUR  # the fleet's room has 12 hourly slots from here


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50))


async def _change(
    client: httpx.AsyncClient, fleet: Fleet, i: int, booking_id: int, start: datetime, hours: int
) -> httpx.Response:
    base, headers = fleet.client_for(i)
    body = {"starts_at": start.isoformat(), "ends_at": (start + hours * HOUR).isoformat()}
    return await client.patch(f"{base}/bookings/{booking_id}", json=body, headers=headers)


async def _book_one_hour_each(client: httpx.AsyncClient, fleet: Fleet, users: int) -> list[int]:
    ids = []
    for i in range(users):
        status, booking_id = await hold_and_confirm(client, fleet, i, FIRST + i * HOUR)
        assert status == 201 and booking_id is not None
        ids.append(booking_id)
    return ids


async def _bookings(fleet: Fleet) -> dict[int, tuple[datetime, datetime, str]]:
    rows = await fleet.fetch("SELECT id, starts_at, ends_at, status FROM booking")
    return {r["id"]: (r["starts_at"], r["ends_at"], r["status"]) for r in rows}


async def _slot_owners(fleet: Fleet) -> dict[datetime, tuple[str, int | None]]:
    rows = await fleet.fetch(
        "SELECT starts_at, status, booking_id FROM time_slot WHERE resource_id = $1",
        fleet.resource_id,
    )
    return {r["starts_at"]: (r["status"], r["booking_id"]) for r in rows}


async def _race_in_a_fleet_of_its_own(
    services: ServiceUrls, tmp_path: Path, name: str, *, drop_constraint: bool, **env: str
) -> tuple[Fleet, list[int], list[httpx.Response]]:
    """Four users book an hour each, then all move into the same two free hours."""
    url, resource_id, toks, fleet_env = await build_fleet(
        services, tmp_path, name, services.redis_url, **env
    )
    fleet = Fleet([], url, resource_id, toks)
    if drop_constraint:
        await fleet.fetch("ALTER TABLE booking DROP CONSTRAINT booking_no_overlap")
    with api_processes(2, fleet_env, tmp_path) as bases:
        fleet.bases = bases
        async with _client() as client:
            ids = await _book_one_hour_each(client, fleet, 4)
            target = FIRST + 9 * HOUR
            answers = await asyncio.gather(
                *[_change(client, fleet, i, ids[i], target, 2) for i in range(4)]
            )
    return fleet, ids, answers


async def test_negative_control_with_guards_off_moves_collide(
    services: ServiceUrls, tmp_path: Path
) -> None:
    fleet, _, answers = await _race_in_a_fleet_of_its_own(
        services,
        tmp_path,
        "change_unguarded",
        drop_constraint=True,
        UNSAFE_DISABLE_BOOKING_GUARDS="true",
        BOOKING_RACE_DELAY_MS="300",
    )
    assert sum(a.status_code == 200 for a in answers) > 1
    [row] = await fleet.fetch(ACTIVE_OVERLAPS)
    assert row[0] > 0, "with the guards off the harness must observe two moves into one range"


async def test_a_wide_race_window_still_gives_one_winner(
    services: ServiceUrls, tmp_path: Path
) -> None:
    """Every mover writes its new range, then waits 300 ms before taking the slots: the
    exclusion constraint alone makes the others wait and lose."""
    fleet, ids, answers = await _race_in_a_fleet_of_its_own(
        services, tmp_path, "change_window", drop_constraint=False, BOOKING_RACE_DELAY_MS="300"
    )
    assert [a.status_code for a in answers].count(200) == 1, [a.status_code for a in answers]
    for answer in answers:
        if answer.status_code != 200:
            assert_refused_for_the_slot(answer)
    [row] = await fleet.fetch(ACTIVE_OVERLAPS)
    assert row[0] == 0
    statuses = await fleet.fetch("SELECT status FROM booking WHERE id = ANY($1)", ids)
    assert {r["status"] for r in statuses} == {"confirmed"}


@pytest.mark.parametrize("round_", range(3))
async def test_users_moving_into_one_free_range_get_one_winner(fleet: Fleet, round_: int) -> None:
    await fleet.reset()
    users, target = 6, FIRST + 9 * HOUR
    async with _client() as client:
        ids = await _book_one_hour_each(client, fleet, users)
        before = await _bookings(fleet)
        answers = await asyncio.gather(
            *[_change(client, fleet, i, ids[i], target, 2) for i in range(users)]
        )
    winners = [i for i, a in enumerate(answers) if a.status_code == 200]
    assert len(winners) == 1, [a.status_code for a in answers]
    [w] = winners
    assert answers[w].json()["id"] == ids[w]
    after = await _bookings(fleet)
    assert after[ids[w]] == (target, target + 2 * HOUR, "confirmed")
    owners = await _slot_owners(fleet)
    assert owners[target] == owners[target + HOUR] == ("booked", ids[w])
    assert owners[FIRST + w * HOUR] == ("available", None)
    for i, answer in enumerate(answers):
        if i == w:
            continue
        assert_refused_for_the_slot(answer)
        # The loser keeps its booking exactly as it was, and its slot.
        assert after[ids[i]] == before[ids[i]]
        assert owners[FIRST + i * HOUR] == ("booked", ids[i])
    booked = [start for start, (status, _) in owners.items() if status == "booked"]
    assert len(booked) == users + 1  # five single hours and the winner's two


async def test_a_move_onto_a_range_that_overlaps_its_own_races_a_neighbour(fleet: Fleet) -> None:
    """Ada (hour 2) and Bob (hour 3) both move to hours 3–4: whoever goes first, Bob's own
    hour is in the range, so Bob wins (shifting onto his own slot) and Ada keeps hers."""
    await fleet.reset()
    async with _client() as client:
        ada_status, ada = await hold_and_confirm(client, fleet, 0, FIRST + 2 * HOUR)
        bob_status, bob = await hold_and_confirm(client, fleet, 1, FIRST + 3 * HOUR)
        assert ada_status == bob_status == 201 and ada and bob
        before = await _bookings(fleet)
        target = FIRST + 3 * HOUR
        ada_answer, bob_answer = await asyncio.gather(
            _change(client, fleet, 0, ada, target, 2), _change(client, fleet, 1, bob, target, 2)
        )
    assert bob_answer.status_code == 200, bob_answer.text
    assert_refused_for_the_slot(ada_answer)
    after = await _bookings(fleet)
    assert after[ada] == before[ada]
    assert after[bob] == (target, target + 2 * HOUR, "confirmed")
    owners = await _slot_owners(fleet)
    assert owners[FIRST + 2 * HOUR] == ("booked", ada)
    assert owners[target] == owners[target + HOUR] == ("booked", bob)
