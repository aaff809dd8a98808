"""POST /bookings/{id}/cancel (R-25) and the admin status endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import BookingApp, at
from tests.factories.resources import slot_statuses

pytestmark = pytest.mark.api


async def test_cancel_frees_future_slots_and_is_repeatable(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(12))
    first = await booking_app.client.post(
        f"/bookings/{booking['id']}/cancel", json={"reason": "plans changed"}, headers=ada.headers
    )
    assert first.status_code == 200
    assert (
        first.json()["status"] == "cancelled" and first.json()["cancel_reason"] == "plans changed"
    )
    again = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=ada.headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert set((await slot_statuses(booking_app.session, room, at(10), at(12))).values()) == {
        "available"
    }
    bob = await booking_app.caller()
    assert (await booking_app.hold(bob, room, at(10), at(12))).status_code == 201
    messages = await booking_app.inbox.wait_for(2)
    assert any("cancelled" in m["Subject"] for m in messages)


async def test_cancelling_a_hold_releases_it(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    hold = (await booking_app.hold(ada, room, at(10), at(11))).json()
    r = await booking_app.client.post(f"/bookings/{hold['hold_id']}/cancel", headers=ada.headers)
    assert r.status_code == 200
    assert (
        await booking_app.hold(bob, room, at(10), at(11))
    ).status_code == 201  # lock released too


async def test_someone_elses_booking_is_404(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=bob.headers)
    assert r.status_code == 404 and r.json()["code"] == "booking_not_found"
    status = await booking_app.session.scalar(text("SELECT status FROM booking"))
    assert status == "confirmed"


async def test_admin_can_cancel_anyones_booking(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    r = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=admin.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_ended_booking_cannot_be_cancelled(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    booking_app.advance(hours=5)
    r = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=ada.headers)
    assert r.status_code == 409 and r.json()["code"] == "booking_ended"


async def test_cancel_deadline_applies_to_users_not_admins(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource(cancel_deadline_minutes=120)
    booking = await booking_app.book(ada, room, at(10), at(11))
    booking_app.advance(hours=1, minutes=30)  # 08:30, 90 min before start
    late = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=ada.headers)
    assert late.status_code == 409 and late.json()["code"] == "cancel_deadline_passed"
    ok = await booking_app.client.post(f"/bookings/{booking['id']}/cancel", headers=admin.headers)
    assert ok.status_code == 200


async def test_admin_status_changes(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    hold = (await booking_app.hold(ada, room, at(10), at(11))).json()
    url = f"/bookings/{hold['hold_id']}/status"
    assert (
        await booking_app.client.post(url, json={"status": "confirmed"}, headers=ada.headers)
    ).status_code == 403
    confirmed = await booking_app.client.post(
        url, json={"status": "confirmed"}, headers=admin.headers
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    early = await booking_app.client.post(url, json={"status": "archived"}, headers=admin.headers)
    assert early.status_code == 409 and early.json()["code"] == "invalid_status_transition"
    booking_app.advance(hours=5)
    archived = await booking_app.client.post(
        url, json={"status": "archived"}, headers=admin.headers
    )
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    bogus = await booking_app.client.post(url, json={"status": "pending"}, headers=admin.headers)
    assert bogus.status_code == 422
