"""Booking mail carries only text the service or an administrator wrote, and the per-account
hourly mail cap never fails the use case that would have sent one more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.bookings.conftest import BookingApp, at, open_booking_app
from tests.services import ServiceUrls
from tests.support.smtp import body_of

pytestmark = pytest.mark.api

SPAM = "Cheap watches at http://spam.example/buy, reply to win"


async def test_a_users_own_cancel_reason_is_kept_but_never_mailed(
    booking_app: BookingApp,
) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    cancelled = await booking_app.client.post(
        f"/bookings/{booking['id']}/cancel", json={"reason": SPAM}, headers=ada.headers
    )
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == SPAM
    messages = await booking_app.inbox.wait_for(2)
    [mail] = [m for m in messages if "cancelled" in m["Subject"]]
    assert "cancelled by you" in body_of(mail)
    assert "spam.example" not in body_of(mail) and "spam.example" not in mail["Subject"]
    outbox = await booking_app.session.scalar(
        text("SELECT string_agg(subject || body, ' ') FROM notification_outbox")
    )
    assert "spam.example" not in outbox
    trail = await booking_app.client.get(
        "/audit", params={"action": "booking.cancelled"}, headers=admin.headers
    )
    assert trail.json()["items"][0]["meta"]["reason"] == SPAM  # kept where staff can read it


async def test_an_administrators_reason_is_mailed_to_the_owner(booking_app: BookingApp) -> None:
    ada, admin = await booking_app.caller(), await booking_app.caller("admin")
    room = await booking_app.resource()
    booking = await booking_app.book(ada, room, at(10), at(11))
    reason = "The room is closed for repairs"
    response = await booking_app.client.post(
        f"/bookings/{booking['id']}/status",
        json={"status": "cancelled", "reason": reason},
        headers=admin.headers,
    )
    assert response.status_code == 200
    messages = await booking_app.inbox.wait_for(2)
    [mail] = [m for m in messages if "cancelled" in m["Subject"]]
    assert "cancelled by an administrator" in body_of(mail)
    assert f"Reason given by the administrator: {reason}" in body_of(mail)


@pytest.fixture
async def one_mail_an_hour(
    services: ServiceUrls, tmp_path: Path, session: AsyncSession, redis: object
) -> AsyncIterator[BookingApp]:
    async with open_booking_app(
        services, tmp_path, session, mail={"max_mails_per_user_per_hour": 1}
    ) as found:
        yield found


async def test_over_the_mail_cap_the_use_case_still_succeeds(
    one_mail_an_hour: BookingApp,
) -> None:
    app = one_mail_an_hour
    ada = await app.caller()
    room = await app.resource()
    booking = await app.book(ada, room, at(10), at(11))  # "confirmed": the hour's one mail
    cancelled = await app.client.post(f"/bookings/{booking['id']}/cancel", headers=ada.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    kinds = (
        await app.session.execute(
            text("SELECT kind FROM notification_outbox WHERE user_id = :u"), {"u": ada.user.id}
        )
    ).scalars()
    assert list(kinds) == ["booking_confirmed"]
    # The inbox keeps what the cap kept out of the mailbox (the cancel's mail rode on the
    # statement that cancelled the booking).
    kept = (
        await app.session.execute(
            text("SELECT kind FROM notification WHERE user_id = :u ORDER BY id"),
            {"u": ada.user.id},
        )
    ).scalars()
    assert list(kept) == ["booking_confirmed", "booking_cancelled"]
    status = await app.session.scalar(
        text("SELECT status FROM booking WHERE id = :i"), {"i": booking["id"]}
    )
    assert status == "cancelled"


async def test_booking_mail_goes_to_the_owner_whoever_acts(booking_app: BookingApp) -> None:
    # The owner's address comes from the caller's account when the owner acts, and is read
    # from the owner's account when an administrator does.
    ada, bob, admin = (
        await booking_app.caller(),
        await booking_app.caller(),
        await booking_app.caller("admin"),
    )
    room = await booking_app.resource()
    mine = await booking_app.book(ada, room, at(10), at(11))
    theirs = (await booking_app.hold(bob, room, at(12), at(13))).json()
    confirmed = await booking_app.client.post(
        f"/bookings/{theirs['hold_id']}/status", json={"status": "confirmed"}, headers=admin.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    cancelled = await booking_app.client.post(f"/bookings/{mine['id']}/cancel", headers=ada.headers)
    assert cancelled.status_code == 200, cancelled.text
    messages = await booking_app.inbox.wait_for(3)
    sent = {(m["To"], "cancelled" in m["Subject"]) for m in messages}
    assert sent == {(ada.user.email, False), (bob.user.email, False), (ada.user.email, True)}
