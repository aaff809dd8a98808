"""Hold, confirm and cancel write their audit row in the statement that writes the booking
(no round trip of its own): the row still names the booking, the actor, the request and
what happened, and goes when the change is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


async def _trail(booking_app: BookingApp, booking_id: int) -> list[dict[str, Any]]:
    rows = await booking_app.session.execute(
        text(
            "SELECT action, entity, entity_id, actor_user_id, meta, request_id FROM audit_log "
            "WHERE entity = 'booking' AND entity_id = :i ORDER BY id"
        ),
        {"i": str(booking_id)},
    )
    await booking_app.session.commit()
    return [dict(r._mapping) for r in rows]


async def test_hold_confirm_and_cancel_each_leave_their_row(booking_app: BookingApp) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    held = await booking_app.hold(ada, room, at(10), at(12))
    assert held.status_code == 201, held.text
    hold_id = held.json()["hold_id"]
    confirmed = await booking_app.confirm(ada, hold_id, key="audit-rows-1")
    assert confirmed.status_code == 201, confirmed.text
    cancelled = await booking_app.client.post(
        f"/bookings/{hold_id}/cancel",
        json={"reason": "plans changed"},
        headers={**ada.headers, "X-Request-ID": "cancel-request-1"},
    )
    assert cancelled.status_code == 200, cancelled.text

    hold_row, confirm_row, cancel_row = await _trail(booking_app, hold_id)
    assert {r["entity_id"] for r in (hold_row, confirm_row, cancel_row)} == {str(hold_id)}
    assert {r["actor_user_id"] for r in (hold_row, confirm_row, cancel_row)} == {ada.user.id}
    assert hold_row["action"] == "booking.held"
    assert hold_row["meta"] == {"resource_id": room, "slots": 2}
    assert hold_row["request_id"] == held.headers["X-Request-ID"]
    assert confirm_row["action"] == "booking.confirmed"
    assert confirm_row["meta"] == {
        "idempotency_key_used": True,
        "owner_user_id": ada.user.id,
        "by_admin": False,
    }
    assert cancel_row["action"] == "booking.cancelled"
    assert cancel_row["meta"] == {"from": "confirmed", "by_admin": False, "reason": "plans changed"}
    assert cancel_row["request_id"] == "cancel-request-1"


async def test_a_refused_hold_leaves_no_row(booking_app: BookingApp) -> None:
    ada, bob = await booking_app.caller(), await booking_app.caller()
    room = await booking_app.resource()
    first = await booking_app.hold(ada, room, at(10), at(12))
    assert first.status_code == 201, first.text
    # Overlapping, not identical: past the range lock, refused by the database.
    second = await booking_app.hold(bob, room, at(11), at(13))
    assert second.status_code == 409, second.text
    held = await booking_app.session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'booking.held'")
    )
    await booking_app.session.commit()
    assert held == 1
