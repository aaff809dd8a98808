"""Someone else's booking is never locked nor waited for, and an admin's action on it is
audited as the admin's, with the owner named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from roomtime.domains.bookings import repository
from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


@asynccontextmanager
async def row_locked(booking_app: BookingApp, booking_id: int) -> AsyncIterator[AsyncConnection]:
    """The owner's request in flight: a transaction holding the booking's row lock."""
    engine = booking_app.session.bind
    assert isinstance(engine, AsyncEngine)
    async with engine.connect() as conn, conn.begin():
        await conn.execute(
            text("SELECT id FROM booking WHERE id = :i FOR UPDATE"), {"i": booking_id}
        )
        yield conn


async def test_a_foreign_cancel_neither_waits_for_nor_takes_the_owners_row_lock(
    booking_app: BookingApp,
) -> None:
    ada, mallory = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    url = f"/bookings/{booking['id']}/cancel"
    async with row_locked(booking_app, booking["id"]):
        # A query that locked foreign rows would queue behind the owner and end in 409 busy
        # (and its delay would reveal that the booking exists).
        foreign = await booking_app.client.post(url, headers=mallory.headers)
    assert foreign.status_code == 404, foreign.text
    assert foreign.json()["code"] == "booking_not_found"
    assert (await booking_app.client.post(url, headers=ada.headers)).status_code == 200


async def test_a_foreign_confirm_neither_waits_for_nor_takes_the_owners_row_lock(
    booking_app: BookingApp,
) -> None:
    ada, mallory = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    hold_id = (await booking_app.hold(ada, room, at(10), at(11))).json()["hold_id"]
    async with row_locked(booking_app, hold_id):
        foreign = await booking_app.confirm(mallory, hold_id)
    assert foreign.status_code == 404, foreign.text
    assert foreign.json()["code"] == "booking_not_found"
    assert (await booking_app.confirm(ada, hold_id)).status_code == 201


async def test_the_owner_proceeds_while_a_foreign_lookup_is_open(booking_app: BookingApp) -> None:
    """The locking lookup a foreign request runs, left open in its transaction, holds nothing
    the owner's cancel needs; an admin's lookup (no owner) does lock, as it must."""
    ada, mallory = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    url = f"/bookings/{booking['id']}/cancel"
    engine = booking_app.session.bind
    assert isinstance(engine, AsyncEngine)
    async with AsyncSession(engine) as attacker, attacker.begin():
        assert (
            await repository.get_for_update(attacker, booking["id"], owner_id=mallory.user.id)
            is None
        )
        cancelled = await booking_app.client.post(url, headers=ada.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    async with AsyncSession(engine) as admin_tx, admin_tx.begin():
        assert await repository.get_for_update(admin_tx, booking["id"], owner_id=None) is not None
        async with engine.connect() as other, other.begin():
            with pytest.raises(DBAPIError) as locked:
                await other.execute(
                    text("SELECT id FROM booking WHERE id = :i FOR UPDATE NOWAIT"),
                    {"i": booking["id"]},
                )
    assert "could not obtain lock" in str(locked.value)


async def test_an_admin_confirming_someones_hold_is_audited_as_the_admin(
    booking_app: BookingApp,
) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    hold_id = (await booking_app.hold(ada, room, at(10), at(11))).json()["hold_id"]
    confirmed = await booking_app.client.post(
        f"/bookings/{hold_id}/status", json={"status": "confirmed"}, headers=admin.headers
    )
    assert confirmed.status_code == 200 and confirmed.json()["user_id"] == ada.user.id
    trail = await booking_app.client.get(
        "/audit",
        params={"entity": "booking", "entity_id": hold_id, "action": "booking.confirmed"},
        headers=admin.headers,
    )
    assert trail.status_code == 200, trail.text
    [entry] = trail.json()["items"]
    assert entry["actor_user_id"] == admin.user.id
    assert entry["meta"]["owner_user_id"] == ada.user.id


async def test_an_owners_own_confirm_is_audited_as_the_owner(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    trail = await booking_app.client.get(
        "/audit",
        params={"entity_id": booking["id"], "action": "booking.confirmed"},
        headers=admin.headers,
    )
    [entry] = trail.json()["items"]
    assert entry["actor_user_id"] == ada.user.id
    assert entry["meta"]["owner_user_id"] == ada.user.id
