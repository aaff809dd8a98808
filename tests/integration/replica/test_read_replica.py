"""Reads from a streaming replica (R-40, DATABASE_READ_URL) with read-your-writes.

The replica is real (pg_basebackup of the test's own primary) and is made to lag by pausing
its replay, or is stopped with pg_ctl. What is checked is what a client sees, plus which
database answered (roomtime_db_reads_total).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
from sqlalchemy import text

from roomtime.core.db import create_sessionmaker
from roomtime.core.replica import Reads
from roomtime.domains.availability import service as availability_service
from tests.integration.replica.conftest import ReplicaApp, all_reads, reads, tomorrow_at

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _slot_status(app: ReplicaApp, server: str, resource_id: int, start: datetime) -> str:
    db = app.cluster.primary if server == "primary" else app.cluster.replica
    return db.sql(
        f"SELECT status FROM time_slot WHERE resource_id = {resource_id} "
        f"AND starts_at = '{start.isoformat()}'",
        "roomtime",
    )


async def test_reads_go_to_the_replica_once_it_has_caught_up(replica_app: ReplicaApp) -> None:
    admin = await replica_app.caller("admin")
    room = await replica_app.resource(admin, location="Annex")
    replica_app.cluster.wait_for_replay()
    before = reads("replica", "caught_up")

    r = await replica_app.client.get("/resources", params={"location": "Annex"})
    assert [item["name"] for item in r.json()["items"]] == ["Aurora"]
    assert reads("replica", "caught_up") == before + 1

    # A change made behind the application's back (no fence raised) while replay is
    # paused: the listing, read from the replica, cannot show it yet.
    replica_app.cluster.pause_replay()
    async with replica_app.engine.begin() as conn:
        await conn.execute(
            text("UPDATE resource SET name = 'Borealis' WHERE id = :i"), {"i": room["id"]}
        )
    r = await replica_app.client.get("/resources", params={"location": "Annex"})
    assert [item["name"] for item in r.json()["items"]] == ["Aurora"]

    replica_app.cluster.resume_replay()
    replica_app.cluster.wait_for_replay()
    r = await replica_app.client.get("/resources", params={"location": "Annex"})
    assert [item["name"] for item in r.json()["items"]] == ["Borealis"]


async def test_a_client_sees_its_hold_confirm_change_and_cancel_while_the_replica_lags(
    replica_app: ReplicaApp,
) -> None:
    admin = await replica_app.caller("admin")
    ada = await replica_app.caller(email="ada@example.com")
    room = (await replica_app.resource(admin))["id"]
    ten, twelve = tomorrow_at(10), tomorrow_at(12)
    day = ten.date()
    replica_app.cluster.wait_for_replay()
    # Cached from the caught-up replica: both slots free.
    starts, _ = await replica_app.free_starts(room, day)
    assert {ten, twelve} <= set(starts)

    replica_app.cluster.pause_replay()
    lagging = reads("primary", "lagging")
    span = {
        "resource_id": room,
        "starts_at": ten.isoformat(),
        "ends_at": tomorrow_at(11).isoformat(),
    }
    hold = await replica_app.client.post("/bookings/hold", json=span, headers=ada.headers)
    assert hold.status_code == 201, hold.text
    assert _slot_status(replica_app, "replica", room, ten) == "available"  # it does lag

    # Ada's next read, and an anonymous one that fills the cache for everyone: taken.
    assert ten not in (await replica_app.free_starts(room, day, ada))[0]
    starts, cache = await replica_app.free_starts(room, day)
    assert ten not in starts and cache == "HIT"
    assert reads("primary", "lagging") > lagging

    confirm = await replica_app.client.post(
        "/bookings/confirm", json={"hold_id": hold.json()["hold_id"]}, headers=ada.headers
    )
    assert confirm.status_code == 201, confirm.text
    booking_id = confirm.json()["id"]
    mine = (await replica_app.client.get("/bookings/me", headers=ada.headers)).json()
    assert [(b["id"], b["status"]) for b in mine["items"]] == [(booking_id, "confirmed")]

    moved = await replica_app.client.patch(
        f"/bookings/{booking_id}",
        json={"starts_at": twelve.isoformat(), "ends_at": tomorrow_at(13).isoformat()},
        headers=ada.headers,
    )
    assert moved.status_code == 200, moved.text
    starts, _ = await replica_app.free_starts(room, day)
    assert ten in starts and twelve not in starts
    mine = (await replica_app.client.get("/bookings/me", headers=ada.headers)).json()
    assert datetime.fromisoformat(mine["items"][0]["starts_at"]) == twelve

    cancel = await replica_app.client.post(f"/bookings/{booking_id}/cancel", headers=ada.headers)
    assert cancel.status_code == 200, cancel.text
    starts, _ = await replica_app.free_starts(room, day, ada)
    assert {ten, twelve} <= set(starts)
    mine = (await replica_app.client.get("/bookings/me", headers=ada.headers)).json()
    assert mine["items"][0]["status"] == "cancelled"
    # Through all of it the replica never replayed the hold.
    assert _slot_status(replica_app, "replica", room, ten) == "available"


async def test_a_read_waits_for_the_replica_when_it_catches_up_in_time(
    replica_app: ReplicaApp,
) -> None:
    admin = await replica_app.caller("admin")
    ada = await replica_app.caller()
    room = (await replica_app.resource(admin))["id"]
    ten = tomorrow_at(10)
    replica_app.cluster.pause_replay()
    span = {
        "resource_id": room,
        "starts_at": ten.isoformat(),
        "ends_at": tomorrow_at(11).isoformat(),
    }
    assert (
        await replica_app.client.post("/bookings/hold", json=span, headers=ada.headers)
    ).is_success
    replica = replica_app.client.app.state.infra.replica  # type: ignore[attr-defined]
    replica.wait_seconds = 30.0  # generous: the replica, not the clock, ends the wait
    waited = reads("replica", "waited")

    async def resume_soon() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(replica_app.cluster.resume_replay)

    resumer = asyncio.create_task(resume_soon())
    starts, cache = await replica_app.free_starts(room, ten.date(), ada)
    await resumer
    assert ten not in starts and cache == "MISS"
    assert reads("replica", "waited") == waited + 1


async def test_a_fill_from_a_lagging_replica_is_stale_without_the_fence(
    replica_app: ReplicaApp,
) -> None:
    """Negative control: the race the fence closes. After a hold commits and bumps the
    day's counters, a miss answered by the lagging replica would store the slot as free
    under the new stamp, for everyone; answered through the fence, it is not."""
    admin = await replica_app.caller("admin")
    ada = await replica_app.caller()
    room = (await replica_app.resource(admin))["id"]
    ten = tomorrow_at(10)
    replica_app.cluster.wait_for_replay()
    replica_app.cluster.pause_replay()
    span = {
        "resource_id": room,
        "starts_at": ten.isoformat(),
        "ends_at": tomorrow_at(11).isoformat(),
    }
    assert (
        await replica_app.client.post("/bookings/hold", json=span, headers=ada.headers)
    ).is_success

    infra = replica_app.client.app.state.infra  # type: ignore[attr-defined]
    cache, now = infra.cache, datetime.now(ten.tzinfo)
    cached = await availability_service.lookup_day(cache, room, ten.date())
    assert cached.fence and cached.fence > replica_app.cluster.replayed()

    async def answer(session: object) -> bytes:
        return await availability_service.answer_day(
            session,  # type: ignore[arg-type]
            cache,
            cached,
            resource_id=room,
            timezone="UTC",
            resource_active=True,
            day=ten.date(),
            now=now,
            ttl_seconds=60,
        )

    async with create_sessionmaker(infra.replica.engine)() as on_replica:  # no fence check
        stale = await answer(on_replica)
    assert ten in [datetime.fromisoformat(s["starts_at"]) for s in json.loads(stale)["slots"]]
    starts, cache_state = await replica_app.free_starts(room, ten.date())
    assert ten in starts and cache_state == "HIT"  # the stale day is now everyone's

    # The same miss through the fence: the replica has not replayed it, the primary answers.
    await availability_service.invalidate_availability(cache, room, [ten.date()])
    cached = await availability_service.lookup_day(cache, room, ten.date())
    async with infra.sessionmaker() as primary:
        await Reads(primary, infra.replica).run(cached.fence, answer)
    starts, cache_state = await replica_app.free_starts(room, ten.date())
    assert ten not in starts and cache_state == "HIT"


async def test_a_replica_that_is_down_leaves_reads_to_the_primary(
    replica_app: ReplicaApp,
) -> None:
    admin = await replica_app.caller("admin")
    ada = await replica_app.caller()
    room = (await replica_app.resource(admin))["id"]
    ten = tomorrow_at(10)
    replica_app.cluster.replica.stop()
    unavailable = reads("primary", "unavailable")

    span = {
        "resource_id": room,
        "starts_at": ten.isoformat(),
        "ends_at": tomorrow_at(11).isoformat(),
    }
    assert (
        await replica_app.client.post("/bookings/hold", json=span, headers=ada.headers)
    ).is_success
    starts, _ = await replica_app.free_starts(room, ten.date())
    assert ten not in starts and tomorrow_at(12) in starts
    r = await replica_app.client.get("/resources", params={"location": "HQ"})
    assert [item["id"] for item in r.json()["items"]] == [room]
    mine = await replica_app.client.get("/bookings/me", headers=ada.headers)
    assert mine.status_code == 200 and mine.json()["total"] == 1
    assert reads("primary", "unavailable") >= unavailable + 3


async def test_the_write_path_never_reads_the_replica(replica_app: ReplicaApp) -> None:
    """Holds, confirms, changes and cancels succeed (a write on the replica would fail), the
    guards see the primary (a second hold of a held range is refused while the replica
    still shows it free), and not one read of theirs goes through the replica router."""
    admin = await replica_app.caller("admin")
    ada, bob = await replica_app.caller(), await replica_app.caller()
    room = (await replica_app.resource(admin))["id"]
    replica_app.cluster.wait_for_replay()
    replica_app.cluster.pause_replay()
    before = all_reads()

    span = {
        "resource_id": room,
        "starts_at": tomorrow_at(9).isoformat(),
        "ends_at": tomorrow_at(10).isoformat(),
    }
    hold = await replica_app.client.post("/bookings/hold", json=span, headers=ada.headers)
    assert hold.status_code == 201, hold.text
    again = await replica_app.client.post("/bookings/hold", json=span, headers=bob.headers)
    assert again.status_code == 409, again.text
    confirm = await replica_app.client.post(
        "/bookings/confirm", json={"hold_id": hold.json()["hold_id"]}, headers=ada.headers
    )
    assert confirm.status_code == 201, confirm.text
    booking_id = confirm.json()["id"]
    late = {"starts_at": tomorrow_at(15).isoformat(), "ends_at": tomorrow_at(16).isoformat()}
    moved = await replica_app.client.patch(
        f"/bookings/{booking_id}", json=late, headers=ada.headers
    )
    assert moved.status_code == 200, moved.text
    one_step = {"resource_id": room, **late}
    taken = await replica_app.client.post("/bookings", json=one_step, headers=bob.headers)
    assert taken.status_code == 409, taken.text
    cancel = await replica_app.client.post(f"/bookings/{booking_id}/cancel", headers=ada.headers)
    assert cancel.status_code == 200, cancel.text

    assert all_reads() == before
    assert _slot_status(replica_app, "replica", room, tomorrow_at(9)) == "available"
