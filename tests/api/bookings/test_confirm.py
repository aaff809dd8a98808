"""POST /bookings/confirm with Idempotency-Key (R-24) and the stale-holder fence."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import BookingApp, at
from tests.factories.resources import slot_statuses

pytestmark = pytest.mark.api


async def _held(booking_app: BookingApp) -> tuple[object, int, int]:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    hold = (await booking_app.hold(ada, room, at(10), at(12))).json()
    return ada, room, hold["hold_id"]


async def test_confirm_books_the_slots_and_keeps_the_id(booking_app: BookingApp) -> None:
    ada, room, hold_id = await _held(booking_app)
    response = await booking_app.confirm(ada, hold_id)  # type: ignore[arg-type]
    assert response.status_code == 201
    booking = response.json()
    assert booking["id"] == hold_id and booking["status"] == "confirmed"
    assert {
        "id",
        "user_id",
        "resource_id",
        "starts_at",
        "ends_at",
        "status",
        "party_size",
        "created_at",
    } <= set(booking)
    assert list((await slot_statuses(booking_app.session, room, at(10), at(12))).values()) == [
        "booked",
        "booked",
    ]
    again = await booking_app.confirm(ada, hold_id)  # type: ignore[arg-type]
    assert again.status_code == 201 and again.json()["id"] == hold_id
    [message] = await booking_app.inbox.wait_for(1)
    assert "confirmed" in message["Subject"]


async def test_replay_with_the_same_key_and_body(booking_app: BookingApp) -> None:
    ada, _, hold_id = await _held(booking_app)
    first = await booking_app.confirm(ada, hold_id, key="key-1")  # type: ignore[arg-type]
    second = await booking_app.confirm(ada, hold_id, key='"key-1"')  # type: ignore[arg-type]
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    confirmations = await booking_app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'booking.confirmed'")
    )
    assert confirmations == 1


async def test_same_key_with_another_body_is_422(booking_app: BookingApp) -> None:
    ada, room, hold_id = await _held(booking_app)
    other = (await booking_app.hold(ada, room, at(14), at(15))).json()["hold_id"]  # type: ignore[arg-type]
    assert (await booking_app.confirm(ada, hold_id, key="k")).status_code == 201  # type: ignore[arg-type]
    reused = await booking_app.confirm(ada, other, key="k")  # type: ignore[arg-type]
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    status = await booking_app.session.scalar(
        text("SELECT status FROM booking WHERE id = :i"), {"i": other}
    )
    assert status == "pending"  # no side effect


async def test_a_key_of_another_booking_is_refused_after_its_record_expired(
    booking_app: BookingApp,
) -> None:
    # The stored outcome lives 24 h; the booking keeps its key, and its (user, key) is
    # unique: the key never confirms a second hold.
    ada, room, hold_id = await _held(booking_app)
    assert (await booking_app.confirm(ada, hold_id, key="old")).status_code == 201  # type: ignore[arg-type]
    booking_app.advance(hours=25)
    later = await booking_app.hold(ada, room, at(14, day=2), at(15, day=2))  # type: ignore[arg-type]
    assert later.status_code == 201, later.text
    reused = await booking_app.confirm(ada, later.json()["hold_id"], key="old")  # type: ignore[arg-type]
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    status = await booking_app.session.scalar(
        text("SELECT status FROM booking WHERE id = :i"), {"i": later.json()["hold_id"]}
    )
    assert status == "pending"


async def test_a_used_key_sent_for_an_unknown_hold_is_422_not_404(booking_app: BookingApp) -> None:
    ada, _, hold_id = await _held(booking_app)
    assert (await booking_app.confirm(ada, hold_id, key="k")).status_code == 201  # type: ignore[arg-type]
    reused = await booking_app.confirm(ada, hold_id + 1000, key="k")  # type: ignore[arg-type]
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    unknown = await booking_app.confirm(ada, hold_id + 1000, key="fresh")  # type: ignore[arg-type]
    assert unknown.status_code == 404


async def test_a_replay_after_the_booking_was_cancelled_is_the_first_answer(
    booking_app: BookingApp,
) -> None:
    ada, _, hold_id = await _held(booking_app)
    first = await booking_app.confirm(ada, hold_id, key="key-1")  # type: ignore[arg-type]
    assert first.status_code == 201
    cancelled = await booking_app.client.post(
        f"/bookings/{hold_id}/cancel",
        headers=ada.headers,  # type: ignore[attr-defined]
    )
    assert cancelled.status_code == 200
    again = await booking_app.confirm(ada, hold_id, key="key-1")  # type: ignore[arg-type]
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


async def test_keys_are_scoped_per_user(booking_app: BookingApp) -> None:
    ada, room, ada_hold = await _held(booking_app)
    bob = await booking_app.caller()
    bob_hold = (await booking_app.hold(bob, room, at(14), at(15))).json()["hold_id"]  # type: ignore[arg-type]
    assert (await booking_app.confirm(ada, ada_hold, key="shared")).status_code == 201  # type: ignore[arg-type]
    mine = await booking_app.confirm(bob, bob_hold, key="shared")
    assert mine.status_code == 201 and mine.json()["id"] == bob_hold
    assert "idempotent-replayed" not in mine.headers
    bola = await booking_app.confirm(bob, ada_hold, key="other")  # Ada's hold: not Bob's
    assert bola.status_code == 404


async def test_concurrent_duplicates_yield_one_booking(booking_app: BookingApp) -> None:
    ada, _, hold_id = await _held(booking_app)
    responses = await asyncio.gather(
        *[booking_app.confirm(ada, hold_id, key="dup") for _ in range(10)]  # type: ignore[arg-type]
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409} and 201 in statuses
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "idempotency_in_progress"
            assert r.headers["retry-after"] == "1"
    confirmed = await booking_app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'booking.confirmed'")
    )
    assert confirmed == 1


@pytest.mark.parametrize("bad", ["", "x" * 256, "has space", "tab\there"])
async def test_malformed_keys_are_400(booking_app: BookingApp, bad: str) -> None:
    ada, _, hold_id = await _held(booking_app)
    response = await booking_app.confirm(ada, hold_id, key=bad)  # type: ignore[arg-type]
    assert response.status_code in (400, 422) if bad == "" else response.status_code == 400
    if response.status_code == 400:
        assert response.json()["code"] == "invalid_idempotency_key"


async def test_failed_outcomes_are_not_stored(booking_app: BookingApp) -> None:
    ada, _room, _hold_id = await _held(booking_app)
    wrong = await booking_app.confirm(ada, 99999, key="retry-me")  # type: ignore[arg-type]
    assert wrong.status_code == 404
    # The same key with the same (failed) body is tried again, not replayed as 404.
    assert (await booking_app.confirm(ada, 99999, key="retry-me")).status_code == 404  # type: ignore[arg-type]
    assert await booking_app.session.scalar(text("SELECT count(*) FROM idempotency_record")) == 0


async def test_expired_hold_is_409_and_its_slots_come_back(booking_app: BookingApp) -> None:
    ada, room, hold_id = await _held(booking_app)
    booking_app.clock.advance(seconds=301)
    response = await booking_app.confirm(ada, hold_id)  # type: ignore[arg-type]
    assert response.status_code == 409 and response.json()["code"] == "hold_expired"
    assert set((await slot_statuses(booking_app.session, room, at(10), at(12))).values()) == {
        "available"
    }
    status = await booking_app.session.scalar(
        text("SELECT status FROM booking WHERE id = :i"), {"i": hold_id}
    )
    assert status == "expired"


async def test_a_stale_holder_is_fenced_out(booking_app: BookingApp, redis: object) -> None:
    ada, room, ada_hold = await _held(booking_app)
    booking_app.clock.advance(seconds=301)  # Ada pauses past her TTL
    await redis.flushdb()  # type: ignore[attr-defined]  # her Redis lock has expired too
    bob = await booking_app.caller()
    bob_hold = await booking_app.hold(bob, room, at(10), at(12))
    assert bob_hold.status_code == 201
    late = await booking_app.confirm(ada, ada_hold)  # type: ignore[arg-type]
    assert late.status_code == 409 and late.json()["code"] == "hold_expired"
    assert (await booking_app.confirm(bob, bob_hold.json()["hold_id"])).status_code == 201
    owners = (
        (
            await booking_app.session.execute(
                text("SELECT user_id FROM booking WHERE status = 'confirmed'")
            )
        )
        .scalars()
        .all()
    )
    assert owners == [bob.user.id]


async def test_confirm_limit_is_per_user(booking_app: BookingApp) -> None:
    ada, _, hold_id = await _held(booking_app)
    bob = await booking_app.caller()
    statuses = [(await booking_app.confirm(ada, hold_id)).status_code for _ in range(11)]  # type: ignore[arg-type]
    assert statuses[:10] == [201] * 10
    assert statuses[10] == 429
    limited = await booking_app.confirm(ada, hold_id)  # type: ignore[arg-type]
    assert int(limited.headers["retry-after"]) >= 1
    assert (await booking_app.confirm(bob, 12345)).status_code == 404  # Bob is not limited


async def test_database_backstop_when_redis_forgot_the_key(
    booking_app: BookingApp, redis: object
) -> None:
    ada, _room, hold_id = await _held(booking_app)
    assert (await booking_app.confirm(ada, hold_id, key="k1")).status_code == 201  # type: ignore[arg-type]
    await redis.flushdb()  # type: ignore[attr-defined]
    replay = await booking_app.confirm(ada, hold_id, key="k1")  # type: ignore[arg-type]
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert await booking_app.session.scalar(text("SELECT count(*) FROM booking")) == 1


async def test_a_key_older_than_24h_is_new_again_and_still_makes_one_booking(
    booking_app: BookingApp,
) -> None:
    ada, _, hold_id = await _held(booking_app)
    first = await booking_app.confirm(ada, hold_id, key="old")  # type: ignore[arg-type]
    booking_app.advance(hours=24, seconds=1)
    later = await booking_app.confirm(ada, hold_id, key="old")  # type: ignore[arg-type]
    assert later.status_code == 201
    assert "idempotent-replayed" not in later.headers  # executed again, not replayed
    assert later.json()["id"] == first.json()["id"]  # …and it found the same booking
    assert await booking_app.session.scalar(text("SELECT count(*) FROM booking")) == 1


async def test_a_key_sent_for_a_booking_confirmed_without_one_is_bound_to_that_answer(
    booking_app: BookingApp,
) -> None:
    ada, _, hold_id = await _held(booking_app)
    assert (await booking_app.confirm(ada, hold_id)).status_code == 201  # type: ignore[arg-type]
    keyed = await booking_app.confirm(ada, hold_id, key="late")  # type: ignore[arg-type]
    assert keyed.status_code == 201 and "idempotent-replayed" not in keyed.headers
    again = await booking_app.confirm(ada, hold_id, key="late")  # type: ignore[arg-type]
    assert again.headers["idempotent-replayed"] == "true" and again.content == keyed.content
