"""POST /events/{id}/book and POST /bookings/{id}/confirm (R-36, seed 002): pending with
the event's TTL, confirm as the payment, expiry gives the seats back and tells the owner."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.events.conftest import EventsApp

pytestmark = pytest.mark.api


async def test_book_is_pending_until_confirmed(events: EventsApp) -> None:
    event = await events.create(total_seats=10, booking_ttl_minutes=15)
    user = await events.user()
    booked = await events.book(user, event["id"], seats=2)
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert (body["status"], body["event_id"], body["seats"], body["party_size"]) == (
        "pending",
        event["id"],
        2,
        2,
    )
    assert datetime.fromisoformat(body["expires_at"]) == events.now() + timedelta(minutes=15)
    as_instant = datetime.fromisoformat
    assert as_instant(body["starts_at"]) == as_instant(event["starts_at"])
    assert as_instant(body["ends_at"]) == as_instant(event["ends_at"])
    assert (await events.get(event["id"]))["available_seats"] == 8

    confirmed = await events.confirm(user, body["id"])
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["expires_at"] is None
    assert (await events.get(event["id"]))["available_seats"] == 8
    again = await events.confirm(user, body["id"])
    assert (again.status_code, again.json()["status"]) == (201, "confirmed")
    actions = "SELECT count(*) FROM audit_log WHERE entity = 'booking' AND entity_id = :i"
    assert await events.scalar(actions, i=str(body["id"])) == 2  # held, confirmed
    await events.drain()
    [mail] = await events.base.inbox.wait_for(1)
    assert "confirmed" in mail["Subject"] and "Go Conference" in mail["Subject"]


async def test_book_without_a_body_takes_one_seat(events: EventsApp) -> None:
    event = await events.create()
    user = await events.user()
    answer = await events.client.post(f"/events/{event['id']}/book", headers=user.headers)
    assert (answer.status_code, answer.json()["seats"]) == (201, 1)


async def test_one_live_booking_per_user_and_event(events: EventsApp) -> None:
    event = await events.create()
    user = await events.user()
    first = await events.book(user, event["id"])
    assert first.status_code == 201
    second = await events.book(user, event["id"])
    assert (second.status_code, second.json()["code"]) == (409, "already_booked")
    assert await events.confirm(user, first.json()["id"]) is not None
    third = await events.book(user, event["id"])
    assert (third.status_code, third.json()["code"]) == (409, "already_booked")
    cancelled = await events.client.post(
        f"/bookings/{first.json()['id']}/cancel", headers=user.headers
    )
    assert cancelled.status_code == 200
    assert (await events.get(event["id"]))["available_seats"] == 10
    assert (await events.book(user, event["id"])).status_code == 201


@pytest.mark.parametrize(
    ("total", "seats", "code"),
    [(10, 11, "too_many_seats"), (None, 2, "seats_not_allowed")],
)
async def test_seat_counts_the_event_cannot_take_are_422(
    events: EventsApp, total: int | None, seats: int, code: str
) -> None:
    event = await events.create(total_seats=total)
    user = await events.user()
    answer = await events.book(user, event["id"], seats=seats)
    assert (answer.status_code, answer.json()["code"]) == (422, code)
    assert await events.scalar("SELECT count(*) FROM booking") == 0


@pytest.mark.parametrize("body", [{"seats": 0}, {"seats": -1}, {"seats": "two"}, {"x": 1}])
async def test_malformed_seats_are_422(events: EventsApp, body: dict[str, object]) -> None:
    event = await events.create()
    user = await events.user()
    answer = await events.client.post(
        f"/events/{event['id']}/book", json=body, headers=user.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["details"]


async def test_unlimited_event_books_one_place(events: EventsApp) -> None:
    event = await events.create(total_seats=None)
    user = await events.user()
    answer = await events.book(user, event["id"], seats=1)
    assert (answer.status_code, answer.json()["seats"]) == (201, 1)
    assert (await events.get(event["id"]))["available_seats"] is None


async def test_sold_out(events: EventsApp) -> None:
    event = await events.create(total_seats=3)
    a, b = await events.user(), await events.user()
    assert (await events.book(a, event["id"], seats=2)).status_code == 201
    refused = await events.book(b, event["id"], seats=2)
    assert (refused.status_code, refused.json()["code"]) == (409, "sold_out")
    assert (await events.book(b, event["id"], seats=1)).status_code == 201
    assert (await events.get(event["id"]))["available_seats"] == 0


async def test_started_event_cannot_be_booked(events: EventsApp) -> None:
    event = await events.create()
    user = await events.user()
    events.advance(days=3, minutes=1)
    answer = await events.book(user, event["id"])
    assert (answer.status_code, answer.json()["code"]) == (409, "event_started")


async def test_anonymous_cannot_book_or_confirm(events: EventsApp) -> None:
    event = await events.create()
    assert (await events.client.post(f"/events/{event['id']}/book")).status_code == 401
    assert (await events.client.post("/bookings/1/confirm")).status_code == 401


async def test_confirm_someone_elses_booking_is_404(events: EventsApp) -> None:
    event = await events.create()
    owner, other = await events.user(), await events.user()
    booked = (await events.book(owner, event["id"])).json()
    answer = await events.confirm(other, booked["id"])
    assert (answer.status_code, answer.json()["code"]) == (404, "booking_not_found")
    assert await events.scalar("SELECT status FROM booking") == "pending"


async def test_confirm_by_id_takes_an_idempotency_key(events: EventsApp) -> None:
    event = await events.create()
    user = await events.user()
    booked = (await events.book(user, event["id"])).json()
    headers = {**user.headers, "Idempotency-Key": "pay-1"}
    first = await events.client.post(f"/bookings/{booked['id']}/confirm", headers=headers)
    replay = await events.client.post(f"/bookings/{booked['id']}/confirm", headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content


async def test_confirm_after_the_ttl_is_hold_expired_and_gives_seats_back(
    events: EventsApp,
) -> None:
    event = await events.create(total_seats=2, booking_ttl_minutes=10)
    user = await events.user()
    booked = (await events.book(user, event["id"], seats=2)).json()
    events.advance(minutes=10, seconds=1)
    assert (await events.get(event["id"]))["available_seats"] == 2  # at once
    late = await events.confirm(user, booked["id"])
    assert (late.status_code, late.json()["code"]) == (409, "hold_expired")
    assert await events.scalar("SELECT status FROM booking") == "expired"
    assert await events.scalar("SELECT seats_taken FROM time_slot") == 0
    await events.drain()
    [mail] = await events.base.inbox.wait_for(1)
    assert "expired" in mail["Subject"]
    assert (await events.book(user, event["id"], seats=2)).status_code == 201


async def test_release_holds_job_expires_unpaid_bookings_and_tells_the_owner(
    events: EventsApp,
) -> None:
    event = await events.create(total_seats=5, booking_ttl_minutes=5)
    late, payer = await events.user(), await events.user()
    unpaid = (await events.book(late, event["id"], seats=3)).json()
    paid = (await events.book(payer, event["id"], seats=1)).json()
    assert (await events.confirm(payer, paid["id"])).status_code == 201
    assert await events.scalar("SELECT seats_taken FROM time_slot") == 4
    events.advance(minutes=4)
    assert await events.sweep() == 0
    events.advance(minutes=2)
    assert await events.sweep() == 1
    statuses = "SELECT status FROM booking WHERE id = :i"
    assert await events.scalar(statuses, i=unpaid["id"]) == "expired"
    assert await events.scalar(statuses, i=paid["id"]) == "confirmed"
    assert await events.scalar("SELECT seats_taken FROM time_slot") == 1
    assert (await events.get(event["id"]))["available_seats"] == 4
    outbox = "SELECT count(*) FROM notification_outbox WHERE kind = 'hold_expired' AND user_id = :u"
    assert await events.scalar(outbox, u=late.user.id) == 1
    assert await events.sweep() == 0
    assert await events.scalar(outbox, u=late.user.id) == 1


async def test_expired_booking_of_a_user_does_not_block_their_next_one(events: EventsApp) -> None:
    event = await events.create(total_seats=1, booking_ttl_minutes=5)
    user, other = await events.user(), await events.user()
    assert (await events.book(user, event["id"])).status_code == 201
    events.advance(minutes=6)
    # Neither the one-per-user index nor the seat count still counts the unswept hold.
    assert (await events.book(user, event["id"])).status_code == 201
    refused = await events.book(other, event["id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "sold_out")
