"""GET /bookings/me, GET /bookings (admin) and GET /audit (admin)."""

from __future__ import annotations

import pytest

from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


async def _setup(booking_app: BookingApp) -> tuple[object, object, object, int, int]:
    ada, bob, admin = (
        await booking_app.caller(),
        await booking_app.caller(),
        await booking_app.caller("admin"),
    )
    room, studio = await booking_app.resource(), await booking_app.resource()
    await booking_app.book(ada, room, at(10), at(11))
    await booking_app.book(ada, studio, at(10, day=1), at(11, day=1))
    await booking_app.book(bob, room, at(12), at(13))
    await booking_app.hold(ada, room, at(14), at(15))
    return ada, bob, admin, room, studio


async def test_me_lists_only_my_bookings_with_filters(booking_app: BookingApp) -> None:
    ada, _bob, _, room, studio = await _setup(booking_app)
    mine = (await booking_app.client.get("/bookings/me", headers=ada.headers)).json()  # type: ignore[attr-defined]
    assert mine["total"] == 3 and {b["user_id"] for b in mine["items"]} == {ada.user.id}  # type: ignore[attr-defined]
    assert [b["starts_at"][:13] for b in mine["items"]] == [
        "2030-01-08T10",
        "2030-01-07T14",
        "2030-01-07T10",
    ]
    q = {"status": "confirmed", "resource_id": room}
    only = (await booking_app.client.get("/bookings/me", params=q, headers=ada.headers)).json()  # type: ignore[attr-defined]
    assert only["total"] == 1
    day = (
        await booking_app.client.get(
            "/bookings/me",
            params={"date_from": "2030-01-08", "date_to": "2030-01-08"},
            headers=ada.headers,
        )
    ).json()  # type: ignore[attr-defined]
    assert [b["resource_id"] for b in day["items"]] == [studio]
    page = (
        await booking_app.client.get(
            "/bookings/me",
            params={"limit": 1, "offset": 1, "sort": "starts_at"},
            headers=ada.headers,
        )
    ).json()  # type: ignore[attr-defined]
    assert (
        page["limit"] == 1
        and page["offset"] == 1
        and len(page["items"]) == 1
        and page["total"] == 3
    )
    naive = await booking_app.client.get(
        "/bookings/me", params={"date_from": "2030-01-08T10:00:00"}, headers=ada.headers
    )  # type: ignore[attr-defined]
    assert naive.status_code == 422


async def test_admin_lists_everyone_and_filters_by_user(booking_app: BookingApp) -> None:
    ada, bob, admin, _, _ = await _setup(booking_app)
    assert (await booking_app.client.get("/bookings", headers=ada.headers)).status_code == 403  # type: ignore[attr-defined]
    everyone = (await booking_app.client.get("/bookings", headers=admin.headers)).json()  # type: ignore[attr-defined]
    assert everyone["total"] == 4
    bobs = (
        await booking_app.client.get(
            "/bookings", params={"user_id": bob.user.id}, headers=admin.headers
        )
    ).json()  # type: ignore[attr-defined]
    assert bobs["total"] == 1


async def test_audit_trail_for_admins(booking_app: BookingApp) -> None:
    ada, _, admin, _, _ = await _setup(booking_app)
    assert (await booking_app.client.get("/audit", headers=ada.headers)).status_code == 403  # type: ignore[attr-defined]
    trail = (
        await booking_app.client.get(
            "/audit", params={"action": "booking.confirmed", "limit": 100}, headers=admin.headers
        )
    ).json()  # type: ignore[attr-defined]
    assert trail["total"] == 3
    assert all(e["entity"] == "booking" and e["request_id"] for e in trail["items"])
    by_actor = (
        await booking_app.client.get(
            "/audit",
            params={"actor_user_id": ada.user.id, "entity": "booking"},
            headers=admin.headers,
        )
    ).json()  # type: ignore[attr-defined]
    assert {e["action"] for e in by_actor["items"]} == {"booking.held", "booking.confirmed"}
