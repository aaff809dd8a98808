"""POST /bookings/hold (R-23, R-14)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import NOW, BookingApp, at
from tests.factories.resources import slot_statuses

pytestmark = pytest.mark.api


async def test_hold_marks_slots_and_returns_the_contract(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    response = await booking_app.hold(ada, room, at(10), at(12))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "hold_id",
        "booking_id",
        "resource_id",
        "starts_at",
        "ends_at",
        "expires_at",
    }
    assert body["hold_id"] == body["booking_id"] and body["resource_id"] == room
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(seconds=300)
    statuses = await slot_statuses(booking_app.session, room, at(10), at(12))
    assert list(statuses.values()) == ["held", "held"]


async def test_overlapping_hold_with_another_range_is_409(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    assert (await booking_app.hold(ada, room, at(10), at(12))).status_code == 201
    for start, end in [(at(10), at(12)), (at(11), at(13)), (at(9), at(11)), (at(11), at(12))]:
        response = await booking_app.hold(bob, room, start, end)
        assert response.status_code == 409, (start, end)
        assert response.json()["code"] == "slots_unavailable"
    assert (await booking_app.hold(bob, room, at(12), at(13))).status_code == 201  # touching


@pytest.mark.parametrize(
    ("start", "end", "extra", "code"),
    [
        (at(12), at(11), {}, "invalid_range"),
        (NOW - timedelta(hours=1), NOW, {}, "starts_in_past"),
        (at(10, 30), at(11, 30), {}, "not_aligned"),
        (at(10), at(10, 30), {}, "not_aligned"),
        (at(19), at(21), {}, "outside_opening_hours"),
        (at(19, day=0), at(9, day=1), {}, "outside_opening_hours"),
        (at(8), at(17), {}, "too_many_slots"),
        (at(10), at(11), {"party_size": 5}, "party_too_large"),
    ],
)
async def test_invalid_ranges_have_distinct_codes(
    booking_app: BookingApp, start: object, end: object, extra: dict[str, int], code: str
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource(capacity=4)
    response = await booking_app.hold(ada, room, start, end, **extra)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


async def test_naive_datetimes_are_refused(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    body = {
        "resource_id": room,
        "starts_at": "2030-01-07T10:00:00",
        "ends_at": "2030-01-07T11:00:00",
    }
    response = await booking_app.client.post("/bookings/hold", json=body, headers=ada.headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {"body.starts_at", "body.ends_at"}


async def test_other_offsets_name_the_same_instant(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    body = {
        "resource_id": room,
        "starts_at": "2030-01-07T11:00:00+01:00",
        "ends_at": "2030-01-07T12:00:00+01:00",
    }
    response = await booking_app.client.post("/bookings/hold", json=body, headers=ada.headers)
    assert response.status_code == 201
    assert response.json()["starts_at"].startswith("2030-01-07T10:00:00")


async def test_unknown_or_inactive_resource_is_404(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    await booking_app.session.execute(
        text("UPDATE resource SET is_active = false WHERE id = :r"), {"r": room}
    )
    await booking_app.session.commit()
    assert (await booking_app.hold(ada, room, at(10), at(11))).status_code == 404
    assert (await booking_app.hold(ada, 99999, at(10), at(11))).status_code == 404


async def test_anonymous_hold_is_401(booking_app: BookingApp) -> None:
    room = await booking_app.resource()
    body = {"resource_id": room, "starts_at": at(10).isoformat(), "ends_at": at(11).isoformat()}
    assert (await booking_app.client.post("/bookings/hold", json=body)).status_code == 401


async def test_blocked_slot_cannot_be_held(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    await booking_app.session.execute(
        text("UPDATE time_slot SET status = 'blocked' WHERE resource_id = :r AND starts_at = :s"),
        {"r": room, "s": at(11)},
    )
    await booking_app.session.commit()
    response = await booking_app.hold(ada, room, at(10), at(12))
    assert response.status_code == 409 and response.json()["code"] == "slots_unavailable"
    assert list((await slot_statuses(booking_app.session, room, at(10), at(12))).values()) == [
        "available",
        "blocked",
    ]


async def test_an_expired_hold_blocks_nobody_before_any_job_runs(
    booking_app: BookingApp, redis: object
) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    first = (await booking_app.hold(ada, room, at(10), at(12))).json()
    booking_app.clock.advance(seconds=301)
    response = await booking_app.hold(bob, room, at(11), at(13))  # overlapping, other range
    assert response.status_code == 201, response.text
    statuses = await booking_app.session.execute(text("SELECT id, status FROM booking ORDER BY id"))
    assert dict(statuses.all()) == {
        first["booking_id"]: "expired",
        response.json()["booking_id"]: "pending",
    }
    slots = await slot_statuses(booking_app.session, room, at(10), at(13))
    assert list(slots.values()) == ["available", "held", "held"]


async def test_shared_resource_sells_seats_up_to_capacity(booking_app: BookingApp) -> None:
    room = await booking_app.resource(capacity=3, booking_mode="shared")
    guests = [await booking_app.caller() for _ in range(3)]
    ok = await booking_app.hold(guests[0], room, at(10), at(11), party_size=2)
    assert ok.status_code == 201
    full = await booking_app.hold(guests[1], room, at(10), at(11), party_size=2)
    assert full.status_code == 409
    assert (
        await booking_app.hold(guests[2], room, at(10), at(11), party_size=1)
    ).status_code == 201
    seats = await booking_app.session.scalar(
        text("SELECT seats_taken FROM time_slot WHERE resource_id = :r AND starts_at = :s"),
        {"r": room, "s": at(10)},
    )
    assert seats == 3


async def test_database_refuses_when_redis_forgot_the_lock(
    booking_app: BookingApp, redis: object
) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    assert (await booking_app.hold(ada, room, at(10), at(11))).status_code == 201
    await redis.flushdb()  # type: ignore[attr-defined]  # Redis "lies": the lock is gone
    again = await booking_app.hold(bob, room, at(10), at(11))
    assert again.status_code == 409 and again.json()["code"] == "slots_unavailable"
    assert await booking_app.session.scalar(text("SELECT count(*) FROM booking")) == 1


async def test_seats_of_an_expired_shared_hold_are_free_at_once(
    booking_app: BookingApp, redis: object
) -> None:
    room = await booking_app.resource(capacity=2, booking_mode="shared")
    ada, bob = await booking_app.caller(), await booking_app.caller()
    assert (await booking_app.hold(ada, room, at(10), at(11), party_size=2)).status_code == 201
    day = {"date": "2030-01-07"}
    full = (await booking_app.client.get(f"/resources/{room}/availability", params=day)).json()
    assert at(10) not in {datetime.fromisoformat(s["starts_at"]) for s in full["slots"]}
    booking_app.advance(seconds=301)  # Ada's hold expires; no job has run
    await redis.flushdb()  # type: ignore[attr-defined]  # the cache entry's real TTL ran out too
    after = (await booking_app.client.get(f"/resources/{room}/availability", params=day)).json()
    freed = [s for s in after["slots"] if datetime.fromisoformat(s["starts_at"]) == at(10)]
    assert freed and freed[0]["seats_left"] == 2
    bobs = await booking_app.hold(bob, room, at(10), at(11), party_size=2)
    assert bobs.status_code == 201
    # The slots domain's record of seat holds follows: Ada's is gone with her seats, Bob's
    # lives until he confirms.
    held = "SELECT array_agg(booking_id) FROM seat_hold"
    assert await booking_app.session.scalar(text(held)) == [bobs.json()["booking_id"]]
    assert (await booking_app.confirm(bob, bobs.json()["hold_id"])).status_code == 201
    assert await booking_app.session.scalar(text(held)) is None
