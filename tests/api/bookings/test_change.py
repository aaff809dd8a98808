"""PATCH /bookings/{id} (R-38): move a confirmed booking to a free range of its resource, in
one transaction; when the new range is not free, 409 and nothing changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import NOW, BookingApp, at
from tests.factories.auth import Caller
from tests.factories.resources import slot_statuses

pytestmark = pytest.mark.api


async def _patch(
    app: BookingApp, who: Caller, booking_id: int, start: datetime, end: datetime, **extra: Any
) -> httpx.Response:
    body = {"starts_at": start.isoformat(), "ends_at": end.isoformat(), **extra}
    return await app.client.patch(f"/bookings/{booking_id}", json=body, headers=who.headers)


async def _row(app: BookingApp, booking_id: int) -> dict[str, Any]:
    result = await app.session.execute(
        text("SELECT starts_at, ends_at, status, party_size FROM booking WHERE id = :i"),
        {"i": booking_id},
    )
    return dict(result.one()._mapping)


async def _slots(app: BookingApp, room: int) -> dict[datetime, str]:
    return await slot_statuses(app.session, room, at(8), at(20))


async def _slot_owners(app: BookingApp, room: int) -> dict[datetime, int | None]:
    result = await app.session.execute(
        text("SELECT starts_at, booking_id FROM time_slot WHERE resource_id = :r"), {"r": room}
    )
    return {row.starts_at: row.booking_id for row in result if row.booking_id is not None}


async def test_moving_to_a_free_range_keeps_the_id_and_moves_the_slots(
    booking_app: BookingApp,
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(12))
    r = await _patch(booking_app, ada, booking["id"], at(14), at(15))
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["id"] == booking["id"] and moved["status"] == "confirmed"
    assert datetime.fromisoformat(moved["starts_at"]) == at(14)
    assert datetime.fromisoformat(moved["ends_at"]) == at(15)
    owners = await _slot_owners(booking_app, room)
    assert owners == {at(14): booking["id"]}
    slots = await _slots(booking_app, room)
    assert slots[at(14)] == "booked"
    assert slots[at(10)] == slots[at(11)] == "available"
    # The old range is free for someone else at once.
    bob = await booking_app.caller()
    assert (await booking_app.hold(bob, room, at(10), at(12))).status_code == 201


async def test_shifting_by_one_slot_onto_its_own_range_works(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(12))
    r = await _patch(booking_app, ada, booking["id"], at(11), at(13))
    assert r.status_code == 200, r.text
    assert await _slot_owners(booking_app, room) == {at(11): booking["id"], at(12): booking["id"]}
    slots = await _slots(booking_app, room)
    assert (slots[at(10)], slots[at(11)], slots[at(12)]) == ("available", "booked", "booked")


async def test_a_taken_range_is_409_and_nothing_changes(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    mine = await booking_app.book(ada, room, at(10), at(11))
    await booking_app.book(bob, room, at(12), at(13))
    before_row, before_slots = await _row(booking_app, mine["id"]), await _slots(booking_app, room)
    before_owners = await _slot_owners(booking_app, room)
    for start, end in [(at(12), at(13)), (at(11), at(13))]:
        r = await _patch(booking_app, ada, mine["id"], start, end)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "slots_unavailable"
    assert await _row(booking_app, mine["id"]) == before_row
    assert await _slots(booking_app, room) == before_slots
    assert await _slot_owners(booking_app, room) == before_owners
    changed = await booking_app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'booking.changed'")
    )
    assert changed == 0


async def test_a_range_under_someone_elses_live_hold_is_409(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    mine = await booking_app.book(ada, room, at(10), at(11))
    assert (await booking_app.hold(bob, room, at(14), at(15))).status_code == 201
    r = await _patch(booking_app, ada, mine["id"], at(14), at(15))
    assert r.status_code == 409 and r.json()["code"] == "slots_unavailable"
    # Once that hold has run out it blocks nobody, before any sweep.
    booking_app.advance(minutes=6)
    r = await _patch(booking_app, ada, mine["id"], at(14), at(15))
    assert r.status_code == 200, r.text


async def test_the_change_is_audited_and_the_owner_notified(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await _patch(booking_app, admin, booking["id"], at(15), at(16))
    assert r.status_code == 200, r.text
    audit = await booking_app.session.execute(
        text("SELECT actor_user_id, meta FROM audit_log WHERE action = 'booking.changed'")
    )
    [(actor, meta)] = audit.all()
    assert actor == admin.user.id
    assert meta["by_admin"] is True and meta["owner_user_id"] == ada.user.id
    assert meta["from"]["starts_at"] == at(10).isoformat()
    assert meta["to"]["starts_at"] == at(15).isoformat()
    mails = await booking_app.inbox.wait_for(2)
    changed = [m for m in mails if "changed" in m["Subject"]]
    assert len(changed) == 1 and changed[0]["To"] == ada.user.email
    body = changed[0].get_content()
    assert "15:00" in body and "10:00" in body and "an administrator" in body
    inbox = (await booking_app.client.get("/notifications", headers=ada.headers)).json()
    assert inbox["items"][0]["title"] == changed[0]["Subject"]
    assert inbox["items"][0]["cta_url"] == f"/bookings/{booking['id']}"


async def test_same_range_again_returns_the_booking_unchanged(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await _patch(booking_app, ada, booking["id"], at(10), at(11))
    assert r.status_code == 200 and r.json() == booking
    assert (
        await booking_app.session.scalar(
            text("SELECT count(*) FROM audit_log WHERE action = 'booking.changed'")
        )
        == 0
    )


async def test_someone_elses_booking_is_404(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await _patch(booking_app, bob, booking["id"], at(14), at(15))
    assert r.status_code == 404 and r.json()["code"] == "booking_not_found"
    missing = await _patch(booking_app, bob, 999_999, at(14), at(15))
    assert missing.status_code == 404
    assert (await _row(booking_app, booking["id"]))["starts_at"] == at(10)


async def test_cancel_deadline_applies_to_owners_not_admins(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource(cancel_deadline_minutes=120)
    booking = await booking_app.book(ada, room, at(10), at(11))
    booking_app.advance(hours=1, minutes=30)  # 08:30, 90 minutes before start
    late = await _patch(booking_app, ada, booking["id"], at(14), at(15))
    assert late.status_code == 409 and late.json()["code"] == "cancel_deadline_passed"
    assert (await _row(booking_app, booking["id"]))["starts_at"] == at(10)
    ok = await _patch(booking_app, admin, booking["id"], at(14), at(15))
    assert ok.status_code == 200, ok.text


async def test_only_confirmed_bookings_that_have_not_started_can_change(
    booking_app: BookingApp,
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    hold = (await booking_app.hold(ada, room, at(10), at(11))).json()
    pending = await _patch(booking_app, ada, hold["hold_id"], at(14), at(15))
    assert pending.status_code == 409 and pending.json()["code"] == "invalid_status_transition"
    booking = await booking_app.book(ada, room, at(12), at(13))
    await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=ada.headers)
    cancelled = await _patch(booking_app, ada, booking["id"], at(14), at(15))
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "invalid_status_transition"
    running = await booking_app.book(ada, room, at(16), at(18))
    booking_app.advance(hours=9, minutes=30)  # 16:30
    started = await _patch(booking_app, ada, running["id"], at(18), at(19))
    assert started.status_code == 409 and started.json()["code"] == "booking_started"
    booking_app.advance(hours=2)  # 18:30
    ended = await _patch(booking_app, ada, running["id"], at(19), at(20))
    assert ended.status_code == 409 and ended.json()["code"] == "booking_ended"


@pytest.mark.parametrize(
    ("start", "end", "extra", "code"),
    [
        (at(12), at(11), {}, "invalid_range"),
        (at(12), at(12), {}, "invalid_range"),
        (at(12, 30), at(13, 30), {}, "not_aligned"),
        (at(19), at(21), {}, "outside_opening_hours"),
        (at(8), at(17), {}, "too_many_slots"),
        (at(12), at(13), {"party_size": 5}, "party_too_large"),
        (NOW.replace(hour=6), NOW.replace(hour=7), {}, "starts_in_past"),
    ],
    ids=["reversed", "empty", "off-grid", "after-closing", "too-long", "party", "past"],
)
async def test_the_new_range_follows_the_hold_rules(
    booking_app: BookingApp, start: datetime, end: datetime, extra: dict[str, Any], code: str
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await _patch(booking_app, ada, booking["id"], start, end, **extra)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert (await _row(booking_app, booking["id"]))["starts_at"] == at(10)
    assert (await _slots(booking_app, room))[at(10)] == "booked"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"starts_at": "2030-01-07T14:00:00"},
        {"starts_at": "2030-01-07T14:00:00", "ends_at": "2030-01-07T15:00:00"},
        {"starts_at": "soon", "ends_at": "later"},
        {"starts_at": "2030-01-07T14:00:00Z", "ends_at": "2030-01-07T15:00:00Z", "party_size": 0},
        {"starts_at": "2030-01-07T14:00:00Z", "ends_at": "2030-01-07T15:00:00Z", "resource_id": 2},
        {"starts_at": "2030-01-07T14:00:00Z", "ends_at": "2030-01-07T15:00:00Z", "status": "x"},
        ["2030-01-07T14:00:00Z"],
    ],
    ids=["empty", "no-end", "naive", "garbage", "party-0", "other-resource", "extra", "list"],
)
async def test_malformed_bodies_are_422(booking_app: BookingApp, body: object) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await booking_app.client.patch(f"/bookings/{booking['id']}", json=body, headers=ada.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error" and r.json()["details"]


async def test_sign_in_is_required(booking_app: BookingApp) -> None:
    r = await booking_app.client.patch(
        "/bookings/1", json={"starts_at": at(14).isoformat(), "ends_at": at(15).isoformat()}
    )
    assert r.status_code == 401


async def test_shared_resource_moves_seats_and_party_size(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource(capacity=3, booking_mode="shared")
    held = await booking_app.hold(ada, room, at(10), at(11), party_size=2)
    booking = (await booking_app.confirm(ada, held.json()["hold_id"])).json()
    bobs = await booking_app.hold(bob, room, at(14), at(15), party_size=2)
    assert bobs.status_code == 201
    full = await _patch(booking_app, ada, booking["id"], at(14), at(15))
    assert full.status_code == 409 and full.json()["code"] == "slots_unavailable"
    fits = await _patch(booking_app, ada, booking["id"], at(14), at(15), party_size=1)
    assert fits.status_code == 200 and fits.json()["party_size"] == 1
    seats = await booking_app.session.execute(
        text("SELECT starts_at, seats_taken FROM time_slot WHERE resource_id = :r"), {"r": room}
    )
    taken = {row.starts_at: row.seats_taken for row in seats}
    assert taken[at(10)] == 0 and taken[at(14)] == 3


async def test_openapi_documents_the_change(booking_app: BookingApp) -> None:
    schema = (await booking_app.client.get("/openapi.json")).json()
    op = schema["paths"]["/bookings/{booking_id}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(op["responses"])
    examples = op["responses"]["409"]["content"]["application/problem+json"]["examples"]
    assert {"slots_unavailable", "cancel_deadline_passed", "booking_started"} <= set(examples)
    assert op["requestBody"]["content"]["application/json"]["examples"]
