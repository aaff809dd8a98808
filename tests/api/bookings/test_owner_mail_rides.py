"""The owner's mail about their own confirm or cancel is written by the statement that
writes the booking (no round trip of its own): the same outbox row and inbox copy as a
mail queued on its own, delivered after commit, once per booking and kind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.api.bookings.conftest import BookingApp, at

pytestmark = pytest.mark.api


async def _rows(booking_app: BookingApp, sql: str, user_id: int) -> list[dict[str, Any]]:
    found = await booking_app.session.execute(text(sql), {"u": user_id})
    await booking_app.session.commit()
    return [dict(r._mapping) for r in found]


async def test_the_owners_confirm_and_cancel_queue_their_mail_and_inbox_copy(
    booking_app: BookingApp,
) -> None:
    ada = await booking_app.caller()
    room = await booking_app.resource()
    held = await booking_app.hold(ada, room, at(10), at(11))
    assert held.status_code == 201, held.text
    hold_id = held.json()["hold_id"]
    confirmed = await booking_app.confirm(ada, hold_id, key="mail-rides-1")
    assert confirmed.status_code == 201, confirmed.text
    # A replay and a confirm of the confirmed booking write no second mail.
    again = await booking_app.confirm(ada, hold_id, key="mail-rides-1")
    assert again.status_code == 201 and again.content == confirmed.content
    twice = await booking_app.confirm(ada, hold_id)
    assert twice.status_code == 201, twice.text
    cancelled = await booking_app.client.post(f"/bookings/{hold_id}/cancel", headers=ada.headers)
    assert cancelled.status_code == 200, cancelled.text

    outbox = await _rows(
        booking_app,
        "SELECT kind, channel, recipient, dedupe_key "
        "FROM notification_outbox WHERE user_id = :u ORDER BY id",
        ada.user.id,
    )
    assert outbox == [
        {
            "kind": "booking_confirmed",
            "channel": "email",
            "recipient": ada.user.email,
            "dedupe_key": f"booking_confirmed:{hold_id}",
        },
        {
            "kind": "booking_cancelled",
            "channel": "email",
            "recipient": ada.user.email,
            "dedupe_key": f"booking_cancelled:{hold_id}",
        },
    ]
    inbox = await _rows(
        booking_app,
        "SELECT n.kind, n.title = o.subject AS titled, n.body = o.body AS same_body "
        "FROM notification n JOIN notification_outbox o USING (dedupe_key) "
        "WHERE n.user_id = :u ORDER BY n.id",
        ada.user.id,
    )
    assert inbox == [
        {"kind": "booking_confirmed", "titled": True, "same_body": True},
        {"kind": "booking_cancelled", "titled": True, "same_body": True},
    ]
    # Delivered after commit, as a mail queued on its own is.
    messages = await booking_app.inbox.wait_for(2)
    assert {m["To"] for m in messages} == {ada.user.email}
    assert sorted("cancelled" in m["Subject"] for m in messages) == [False, True]
    # The server has the mail; marking it sent is the deliverer's next statement.
    await booking_app.app.state.infra.notifier.drain()
    unsent = await _rows(
        booking_app,
        "SELECT count(*) AS n FROM notification_outbox WHERE user_id = :u AND sent_at IS NULL",
        ada.user.id,
    )
    assert unsent == [{"n": 0}]
